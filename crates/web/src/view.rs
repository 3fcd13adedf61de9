//! Turning domain values into what the templates print: escaped text with links,
//! highlighted matches, times in words, and the pager.
//!
//! Members never write HTML: everything they write is escaped here or by the
//! templates, and the only markup added is links and `<mark>`.

use madang_domain::Timestamp;
use madang_domain::search::Highlights;

use crate::i18n::{Lang, Words};

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A member's text as HTML: escaped, with web and mail addresses made links that
/// search engines do not follow and that cannot reach back into the page. Line
/// breaks are kept by the stylesheet (`white-space: pre-wrap`).
/// Each `@name` of a mentioned member links to their profile.
/// The name is matched as the store matched it (its key, the longest one first), so
/// `@철수님` links `@철수` and leaves `님` as text.
pub fn linked_text_with(s: &str, mentions: &[(i64, String)]) -> String {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    finder.url_must_have_scheme(true);
    let mut out = String::with_capacity(s.len() + 16);
    for span in finder.spans(s) {
        match span.kind() {
            Some(linkify::LinkKind::Url) if is_web_url(span.as_str()) => {
                out.push_str("<a href=\"");
                escape_into(&mut out, span.as_str());
                out.push_str("\" rel=\"nofollow ugc noopener\">");
                escape_into(&mut out, span.as_str());
                out.push_str("</a>");
            }
            _ if mentions.is_empty() => escape_into(&mut out, span.as_str()),
            _ => mentions_into(&mut out, span.as_str(), mentions),
        }
    }
    out
}

/// Escapes `s` into `out`, linking each `@` followed by a mentioned member's name.
fn mentions_into(out: &mut String, s: &str, mentions: &[(i64, String)]) {
    let mut names: Vec<(i64, String, usize)> = mentions
        .iter()
        .map(|(id, name)| {
            (
                *id,
                madang_domain::users::name_key(name),
                name.chars().count(),
            )
        })
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.2));
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if chars[i] == '@' && at_word_start {
            let found = names.iter().find(|(_, key, n)| {
                chars.len() > i + n
                    && madang_domain::users::name_key(
                        &chars[i + 1..=i + n].iter().collect::<String>(),
                    ) == *key
            });
            if let Some((id, _, n)) = found {
                let typed: String = chars[i..=i + n].iter().collect();
                out.push_str(&format!("<a class=\"mention\" href=\"/users/{id}\">"));
                escape_into(out, &typed);
                out.push_str("</a>");
                i += n + 1;
                continue;
            }
        }
        escape_into(out, chars[i].encode_utf8(&mut [0u8; 4]));
        i += 1;
    }
}

/// Only http and https become links: never `javascript:` or `data:`.
fn is_web_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Text with the given character ranges wrapped in `<mark>`, escaped.
pub fn marked(s: &str, ranges: &[[u32; 2]]) -> String {
    if ranges.is_empty() {
        return escape(s);
    }
    let mut out = String::with_capacity(s.len() + ranges.len() * 13);
    let mut open = false;
    let mut next = ranges.iter().peekable();
    let mut end = 0;
    for (i, ch) in (0u32..).zip(s.chars()) {
        if open && i == end {
            out.push_str("</mark>");
            open = false;
        }
        while let Some(r) = next.peek() {
            if r[1] <= i {
                next.next();
            } else {
                break;
            }
        }
        if !open && let Some(r) = next.peek().filter(|r| r[0] <= i) {
            out.push_str("<mark>");
            open = true;
            end = r[1];
            next.next();
        }
        escape_into(&mut out, ch.encode_utf8(&mut [0; 4]));
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// The title and excerpt of a search hit with their matches marked.
pub fn highlighted(title: &str, excerpt: &str, h: Option<&Highlights>) -> (String, String) {
    match h {
        Some(h) => (marked(title, &h.title), marked(excerpt, &h.excerpt)),
        None => (escape(title), escape(excerpt)),
    }
}

/// Korea's time zone, in which the board shows times (no daylight saving).
const KST_OFFSET_MS: i64 = 9 * 3_600_000;

/// A time as the pages show it: in words relative to now, with the absolute time
/// (KST) for the tooltip and the machine-readable one for `<time datetime>`.
#[derive(Debug, Clone)]
pub struct When {
    pub ago: String,
    pub full: String,
    pub iso: String,
    /// `YYYY.MM.DD` for list columns, or `HH:MM` on the same day.
    pub short: String,
}

impl When {
    pub fn new(t: Timestamp, now: Timestamp, lang: Lang) -> Self {
        let secs = (now.millis() - t.millis()).max(0) / 1000;
        let ago = match secs {
            0..60 => lang.t("just_now").to_owned(),
            60..3600 => format!("{}{}", secs / 60, spaced(lang, "minutes_ago")),
            3600..86_400 => format!("{}{}", secs / 3600, spaced(lang, "hours_ago")),
            86_400..2_592_000 => format!("{}{}", secs / 86_400, spaced(lang, "days_ago")),
            _ => ymd(t, '.'),
        };
        let local = t.millis() + KST_OFFSET_MS;
        let ms_of_day = local.rem_euclid(86_400_000);
        let hm = format!(
            "{:02}:{:02}",
            ms_of_day / 3_600_000,
            ms_of_day / 60_000 % 60
        );
        let same_day =
            (now.millis() + KST_OFFSET_MS).div_euclid(86_400_000) == local.div_euclid(86_400_000);
        Self {
            short: if same_day { hm.clone() } else { ymd(t, '.') },
            full: format!("{} {hm} KST", ymd(t, '-')),
            iso: iso(t),
            ago,
        }
    }
}

fn spaced(lang: Lang, key: &str) -> String {
    match lang {
        Lang::Ko => lang.t(key).to_owned(),
        Lang::En => format!(" {}", lang.t(key)),
    }
}

fn civil(t: Timestamp, offset_ms: i64) -> time::OffsetDateTime {
    let nanos = i128::from(t.millis() + offset_ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The KST calendar day of `t`, `YYYY<sep>MM<sep>DD`.
fn ymd(t: Timestamp, sep: char) -> String {
    let d = civil(t, KST_OFFSET_MS);
    format!(
        "{:04}{sep}{:02}{sep}{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// RFC 3339 in UTC, for `<time datetime>`, feeds and sitemaps.
pub fn iso(t: Timestamp) -> String {
    let d = civil(t, 0);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// A link in the pager.
#[derive(Debug, Clone)]
pub struct PageLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// How far lists go by page number; further pages follow the "next" cursor.
pub const NUMBERED_PAGES: u32 = 10;

/// The pager of a list: numbered links for the first pages, and "next" by cursor.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    pub numbers: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list's URL with its other parameters, ending in `?` or `&`.
    pub fn new(base: &str, current: u32, total_pages: i64, next_cursor: Option<String>) -> Self {
        let last = u32::try_from(total_pages.clamp(1, i64::from(NUMBERED_PAGES))).unwrap_or(1);
        let numbers = if current <= NUMBERED_PAGES && last > 1 {
            (1..=last)
                .map(|n| PageLink {
                    label: n.to_string(),
                    href: format!("{base}page={n}"),
                    current: n == current,
                })
                .collect()
        } else {
            Vec::new()
        };
        let prev = (current > 1 && current <= NUMBERED_PAGES + 1)
            .then(|| format!("{base}page={}", current - 1));
        let prev = prev.or_else(|| (current > 1).then(|| format!("{base}page=1")));
        let next = if current < NUMBERED_PAGES {
            (i64::from(current) < total_pages).then(|| format!("{base}page={}", current + 1))
        } else {
            next_cursor.map(|c| format!("{base}cursor={c}"))
        };
        Self {
            numbers,
            prev,
            next,
        }
    }
}

impl Pager {
    /// A pager by page number alone (`param=N`), with up to ten numbers around the
    /// current page; for lists that are short enough to page by offset (a post's
    /// comments, its versions).
    pub fn numbered(base: &str, param: &str, current: u32, total_pages: u32) -> Self {
        let total = total_pages.max(1);
        let first = current.saturating_sub(NUMBERED_PAGES / 2).max(1);
        let last = (first + NUMBERED_PAGES - 1).min(total);
        let first = last.saturating_sub(NUMBERED_PAGES - 1).max(1);
        let link = |n: u32| format!("{base}{param}={n}");
        Self {
            numbers: if total > 1 {
                (first..=last)
                    .map(|n| PageLink {
                        label: n.to_string(),
                        href: link(n),
                        current: n == current,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            prev: (current > 1).then(|| link(current - 1)),
            next: (current < total).then(|| link(current + 1)),
        }
    }
}

/// Whether `next` is a path on this site (so a log-in cannot send the member away).
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    ok.then_some(next)
}

/// A query value for a URL.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_only_web_links_are_linked() {
        let m = linked_text_with("@철수님 <b> a@철수.kr @철수", &[(7, "철수".into())]);
        assert_eq!(
            m,
            "<a class=\"mention\" href=\"/users/7\">@철수</a>님 &lt;b&gt; a@철수.kr <a class=\"mention\" href=\"/users/7\">@철수</a>"
        );
        let html = linked_text_with(
            "<b>안녕</b> https://madang.kr/a?b=1&c=2 javascript:alert(1)",
            &[],
        );
        assert!(html.starts_with("&lt;b&gt;안녕&lt;/b&gt; "));
        assert!(html.contains(
            "<a href=\"https://madang.kr/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">"
        ));
        assert!(!html.contains("href=\"javascript"));
        assert_eq!(
            linked_text_with("\"quoted\" 'x'", &[]),
            "&quot;quoted&quot; &#39;x&#39;"
        );
    }

    #[test]
    fn marks_wrap_character_ranges_of_hangul() {
        assert_eq!(
            marked("배우 연기", &[[0, 2], [3, 5]]),
            "<mark>배우</mark> <mark>연기</mark>"
        );
        assert_eq!(marked("a<b", &[[1, 2]]), "a<mark>&lt;</mark>b");
        assert_eq!(marked("abc", &[]), "abc");
        assert_eq!(marked("abc", &[[2, 9]]), "ab<mark>c</mark>");
    }

    #[test]
    fn times_read_in_words_and_in_kst() {
        let now = Timestamp(1_764_633_600_000); // 2025-12-02 00:00 UTC = 09:00 KST
        let w = When::new(Timestamp(now.millis() - 5 * 60_000), now, Lang::Ko);
        assert_eq!(w.ago, "5분 전");
        assert_eq!(w.full, "2025-12-02 08:55 KST");
        assert_eq!(w.short, "08:55");
        assert_eq!(w.iso, "2025-12-01T23:55:00Z");
        let w = When::new(Timestamp(now.millis() - 3 * 86_400_000), now, Lang::En);
        assert_eq!(w.ago, "3 days ago");
        assert_eq!(w.short, "2025.11.29");
    }

    #[test]
    fn the_pager_numbers_the_first_pages_then_follows_cursors() {
        let p = Pager::new("/?", 2, 50, Some("c".into()));
        assert_eq!(p.numbers.len(), 10);
        assert!(p.numbers[1].current);
        assert_eq!(p.next.as_deref(), Some("/?page=3"));
        assert_eq!(p.prev.as_deref(), Some("/?page=1"));
        let p = Pager::new("/?", 10, 50, Some("abc".into()));
        assert_eq!(p.next.as_deref(), Some("/?cursor=abc"));
        let p = Pager::new("/?", 14, 50, None);
        assert!(p.numbers.is_empty());
        assert_eq!(p.next, None);
        assert_eq!(p.prev.as_deref(), Some("/?page=1"));
    }

    #[test]
    fn numbered_pagers_window_around_the_current_page() {
        let p = Pager::numbered("/posts/1?", "cpage", 15, 40);
        assert_eq!(p.numbers.first().unwrap().label, "10");
        assert_eq!(p.numbers.len(), 10);
        assert_eq!(p.next.as_deref(), Some("/posts/1?cpage=16"));
        assert_eq!(p.prev.as_deref(), Some("/posts/1?cpage=14"));
        let p = Pager::numbered("/x?", "page", 1, 1);
        assert!(p.numbers.is_empty() && p.next.is_none() && p.prev.is_none());
        let p = Pager::numbered("/x?", "page", 3, 3);
        assert_eq!(p.numbers.len(), 3);
        assert_eq!(p.next, None);
    }

    #[test]
    fn only_local_paths_are_followed_after_log_in() {
        assert_eq!(safe_next("/posts/1"), Some("/posts/1"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil"), None);
    }
}
