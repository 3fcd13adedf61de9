//! Why a post matched: the excerpt around the first match and the character ranges of
//! every match in the title and in that excerpt.

use super::query::SearchQuery;
use super::text::{Folded, fold, nfc_cow};
use crate::posts::EXCERPT_CHARS;

/// Character ranges `[start, end)` of matches, ascending and not overlapping.
pub type Ranges = Vec<[u32; 2]>;

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Highlights {
    pub title: Ranges,
    pub excerpt: Ranges,
}

/// Every match of the query's terms in `f`, as merged ranges of the NFC original.
fn matches(f: &Folded, q: &SearchQuery) -> Ranges {
    let mut spans: Vec<(u32, u32)> = q
        .terms()
        .iter()
        .flat_map(|t| {
            f.find_all(t)
                .into_iter()
                .map(|i| f.original_range(i, i + t.len()))
        })
        .collect();
    spans.sort_unstable();
    let mut out: Ranges = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last[1] => last[1] = last[1].max(e),
            _ => out.push([s, e]),
        }
    }
    out
}

/// The excerpt of a searched post and the highlights of its title and excerpt.
///
/// The excerpt is `EXCERPT_CHARS` characters of the content, centred on the first match
/// in the content; without one (the title or the author's name matched) it is the
/// content's beginning, as in any list.
pub fn highlight(title: &str, content: &str, q: &SearchQuery) -> (String, Highlights) {
    let title_ranges = matches(&fold(title), q);
    let content_nfc = nfc_cow(content);
    let all = matches(&fold(&content_nfc), q);
    let len = content_nfc.chars().count();
    let start = match all.first() {
        Some([s, e]) if len > EXCERPT_CHARS => {
            let s = *s as usize;
            let m = (*e as usize - s).min(EXCERPT_CHARS);
            s.saturating_sub((EXCERPT_CHARS - m) / 2)
                .min(len - EXCERPT_CHARS)
        }
        _ => 0,
    };
    let end = (start + EXCERPT_CHARS).min(len);
    let excerpt: String = content_nfc.chars().skip(start).take(end - start).collect();
    let (lo, hi) = (start as u32, end as u32);
    let excerpt_ranges = all
        .into_iter()
        .filter(|[s, e]| *e > lo && *s < hi)
        .map(|[s, e]| [s.max(lo) - lo, e.min(hi) - lo])
        .collect();
    (
        excerpt,
        Highlights {
            title: title_ranges,
            excerpt: excerpt_ranges,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> SearchQuery {
        SearchQuery::parse("keyword", s).unwrap().unwrap()
    }

    fn slice(s: &str, [a, b]: [u32; 2]) -> String {
        s.chars().skip(a as usize).take((b - a) as usize).collect()
    }

    #[test]
    fn title_ranges_are_character_offsets_merged() {
        let (_, h) = highlight("배우의 배우 연기", "내용", &q("배우 우의"));
        assert_eq!(h.title, vec![[0, 3], [4, 6]]);
        assert_eq!(slice("배우의 배우 연기", h.title[0]), "배우의");
        assert!(h.excerpt.is_empty());
    }

    #[test]
    fn excerpt_is_centred_on_the_first_match() {
        let content = format!("{}시간낭비{}", "가".repeat(500), "나".repeat(500));
        let (ex, h) = highlight("제목", &content, &q("시간낭비"));
        assert_eq!(ex.chars().count(), EXCERPT_CHARS);
        assert_eq!(h.excerpt.len(), 1);
        assert_eq!(slice(&ex, h.excerpt[0]), "시간낭비");
        let at = h.excerpt[0][0] as usize;
        assert!((95..=100).contains(&at), "{at}");
    }

    #[test]
    fn short_content_and_no_content_match_start_at_the_beginning() {
        let (ex, h) = highlight("Rust 입문", "짧은 글에 rust", &q("RUST"));
        assert_eq!(ex, "짧은 글에 rust");
        assert_eq!(h.title, vec![[0, 4]]);
        assert_eq!(h.excerpt, vec![[6, 10]]);
        let long = "다".repeat(300);
        let (ex, h) = highlight("rust", &long, &q("rust"));
        assert_eq!(ex.chars().count(), EXCERPT_CHARS);
        assert!(h.excerpt.is_empty());
    }

    #[test]
    fn matches_near_the_end_keep_a_full_excerpt() {
        let content = format!("{}끝말", "가".repeat(400));
        let (ex, h) = highlight("t", &content, &q("끝말"));
        assert_eq!(ex.chars().count(), EXCERPT_CHARS);
        assert_eq!(h.excerpt, vec![[198, 200]]);
    }

    #[test]
    fn offsets_follow_the_original_through_zero_width_and_spaces() {
        let title = "배\u{200B}우  연기";
        let (_, h) = highlight(title, "x", &q("\"배우 연기\""));
        assert_eq!(h.title, vec![[0, 7]]);
    }
}
