//! Keyword search and ranking rules shared by every engine and by the search index.
//!
//! Search matches substrings of any length, Hangul included, ignoring case. Engines
//! disagree on what "ignoring case" means (SQLite folds only ASCII, MariaDB's default
//! collations also fold accents, PostgreSQL's LIKE folds nothing), so Madang folds
//! text itself ([`text::fold`]): the index, the keyword and each post's `search_text`
//! column are folded the same way, and only folded characters are compared.

mod highlight;
mod port;
mod query;
pub mod text;

pub use highlight::{Highlights, Ranges, highlight};
pub use port::*;
pub use query::SearchQuery;

use crate::error::Violation;
use crate::time::Timestamp;
use crate::users::fold_case;
use crate::validate::char_len;

/// A search keyword, folded for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword(String);

impl Keyword {
    pub const MAX: usize = 100;

    /// `None` for an empty or blank keyword (no filter).
    pub fn parse(field: &str, s: &str) -> Result<Option<Self>, Violation> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        char_len(field, s, 1, Self::MAX)?;
        Ok(Some(Self(fold_case(s))))
    }

    pub fn folded(&self) -> &str {
        &self.0
    }
}

/// The folded text a post is searched by (the `search_text` column): title and content,
/// one line apart, so that no term (which has no line break) matches across the two.
pub fn post_search_text(title: &str, content: &str) -> String {
    let mut s = text::fold_str(title);
    s.push('\n');
    s.push_str(&text::fold_str(content));
    s
}

/// Seconds of age worth one order of magnitude of votes in the `hot` rank.
const HOT_DECAY_SECS: f64 = 45_000.0;
/// 2026-01-01T00:00:00Z, to keep the rank's numbers small.
const HOT_EPOCH_MS: i64 = 1_767_225_600_000;

/// The `hot` rank: votes decayed by age.
///
/// `log10(votes) + created / 45000 s` orders posts exactly as decaying every post's
/// votes by its age would, but a post's rank never changes with time, only with its
/// votes. So it is stored on the row, kept right on every vote, and indexed like any
/// other sort key; no periodic re-ranking of the whole table is needed.
pub fn hot_rank(vote_count: i64, created_at: Timestamp) -> f64 {
    let votes = vote_count.max(1) as f64;
    let age_secs = (created_at.millis() - HOT_EPOCH_MS) as f64 / 1000.0;
    votes.log10() + age_secs / HOT_DECAY_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_is_trimmed_folded_and_optional() {
        assert_eq!(Keyword::parse("k", "  ").unwrap(), None);
        assert_eq!(
            Keyword::parse("k", " HeLLo ").unwrap().unwrap().folded(),
            "hello"
        );
        assert_eq!(Keyword::parse("k", "가").unwrap().unwrap().folded(), "가");
        assert!(Keyword::parse("k", &"a".repeat(101)).is_err());
    }

    #[test]
    fn hot_rank_prefers_votes_then_recency() {
        let t = Timestamp(HOT_EPOCH_MS + 86_400_000);
        assert!(hot_rank(100, t) > hot_rank(1, t));
        assert!(hot_rank(1, t.plus_secs(3600)) > hot_rank(1, t));
        // Ten times the votes is worth 45,000 seconds of age.
        let a = hot_rank(10, t);
        let b = hot_rank(1, t.plus_secs(45_000));
        assert!((a - b).abs() < 1e-9);
    }

    #[test]
    fn search_text_folds_both_parts() {
        assert_eq!(
            post_search_text("Rust  게시판", "HELLO"),
            "rust 게시판\nhello"
        );
    }
}
