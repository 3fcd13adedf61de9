//! A post search as a member types it, parsed into terms.
//!
//! White space separates terms, and a post must contain every term (in any order) in its
//! title, its content or its author's name. `"…"` keeps words together as one term. An
//! unbalanced quote is an ordinary character. A term of punctuation alone is dropped, so
//! a keyword of nothing but spaces or punctuation is no filter; `%` and `_` are never
//! wildcards.

use super::text::{fold, is_punctuation, is_zero_width, nfc};
use crate::error::Violation;

/// A parsed keyword: one or more folded terms, each a substring a post must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Vec<char>>,
}

impl SearchQuery {
    /// The longest keyword, in characters (NFC, zero-width characters not counted).
    pub const MAX: usize = 100;

    /// `None` when the keyword has no term (empty, blank, or punctuation only).
    pub fn parse(field: &str, raw: &str) -> Result<Option<Self>, Violation> {
        let composed = nfc(raw);
        let n = composed.chars().filter(|c| !is_zero_width(*c)).count();
        if n > Self::MAX {
            return Err(Violation::new(
                field,
                "max_length",
                format!("{field} must be at most {} characters", Self::MAX),
            ));
        }
        let folded = fold(&composed).chars;
        let quotes = folded.iter().filter(|c| **c == '"').count();
        let mut terms: Vec<Vec<char>> = Vec::new();
        let mut add = |t: &[char]| {
            let t = trim_spaces(t);
            if !t.is_empty()
                && !t.iter().all(|c| is_punctuation(*c))
                && !terms.iter().any(|x| x == t)
            {
                terms.push(t.to_vec());
            }
        };
        if quotes > 0 && quotes % 2 == 0 {
            for (i, part) in folded.split(|c| *c == '"').enumerate() {
                if i % 2 == 1 {
                    add(part);
                } else {
                    part.split(|c| *c == ' ').for_each(&mut add);
                }
            }
        } else {
            folded.split(|c| *c == ' ').for_each(&mut add);
        }
        Ok((!terms.is_empty()).then_some(Self { terms }))
    }

    /// The terms, folded; a quoted phrase is one term with its single spaces.
    pub fn terms(&self) -> &[Vec<char>] {
        &self.terms
    }

    /// The terms as strings (for `LIKE` patterns and logs).
    pub fn term_strings(&self) -> Vec<String> {
        self.terms.iter().map(|t| t.iter().collect()).collect()
    }
}

fn trim_spaces(t: &[char]) -> &[char] {
    let start = t.iter().position(|c| *c != ' ').unwrap_or(t.len());
    let end = t.iter().rposition(|c| *c != ' ').map_or(start, |e| e + 1);
    &t[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(s: &str) -> Vec<String> {
        SearchQuery::parse("keyword", s)
            .unwrap()
            .map(|q| q.term_strings())
            .unwrap_or_default()
    }

    #[test]
    fn words_are_terms_and_quotes_keep_them_together() {
        assert_eq!(terms("배우 연기"), ["배우", "연기"]);
        assert_eq!(terms("  배우\t\t연기  "), ["배우", "연기"]);
        assert_eq!(terms("\"배우  연기\" 최고"), ["배우 연기", "최고"]);
        assert_eq!(terms("영화 \"좋은 배우\""), ["영화", "좋은 배우"]);
    }

    #[test]
    fn an_unbalanced_quote_is_literal() {
        assert_eq!(terms("\"배우 연기"), ["\"배우", "연기"]);
        assert_eq!(terms("a\"b"), ["a\"b"]);
    }

    #[test]
    fn punctuation_alone_is_no_filter_but_stays_inside_a_term() {
        assert_eq!(terms("   "), Vec::<String>::new());
        assert_eq!(terms("!!! ... %"), Vec::<String>::new());
        assert_eq!(terms("\"\""), Vec::<String>::new());
        assert_eq!(terms("50% 할인"), ["50%", "할인"]);
        assert_eq!(terms("a_b"), ["a_b"]);
        assert_eq!(terms("배우 !"), ["배우"]);
    }

    #[test]
    fn nfd_case_and_zero_width_fold_away() {
        use unicode_normalization::UnicodeNormalization;
        let nfd: String = "시간낭비".nfd().collect();
        assert_eq!(terms(&nfd), ["시간낭비"]);
        assert_eq!(terms("Ru\u{200B}ST"), ["rust"]);
        assert_eq!(terms("rust RUST"), ["rust"]);
    }

    #[test]
    fn length_is_counted_composed_and_without_zero_width() {
        use unicode_normalization::UnicodeNormalization;
        let nfd: String = "가".repeat(100).nfd().collect();
        assert!(SearchQuery::parse("keyword", &nfd).is_ok());
        let zw = format!("{}{}", "가".repeat(100), "\u{200B}".repeat(5));
        assert!(SearchQuery::parse("keyword", &zw).is_ok());
        let e = SearchQuery::parse("keyword", &"a".repeat(101)).unwrap_err();
        assert_eq!(e.field, "keyword");
    }
}
