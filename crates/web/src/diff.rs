//! Word-level differences between two versions of a post, for the history page.
//!
//! `similar` finds them (Myers' algorithm over words, split at white space, which for Korean is the 어절). The
//! result is escaped HTML with `<ins>` and `<del>` around what changed.

use similar::{ChangeTag, TextDiff};

use crate::view::escape;

/// What changed from `old` to `new`, and how many words were added and removed.
pub struct WordDiff {
    pub html: String,
    pub added: usize,
    pub removed: usize,
}

pub fn words(old: &str, new: &str) -> WordDiff {
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_millis(50))
        .diff_words(old, new);
    let mut html = String::with_capacity(new.len() + new.len() / 4);
    let (mut added, mut removed) = (0, 0);
    let mut open: Option<ChangeTag> = None;
    for change in diff.iter_all_changes() {
        let tag = change.tag();
        if open != Some(tag) {
            close(&mut html, open);
            match tag {
                ChangeTag::Insert => html.push_str("<ins>"),
                ChangeTag::Delete => html.push_str("<del>"),
                ChangeTag::Equal => {}
            }
            open = Some(tag);
        }
        let word = change.value();
        if !word.trim().is_empty() {
            match tag {
                ChangeTag::Insert => added += 1,
                ChangeTag::Delete => removed += 1,
                ChangeTag::Equal => {}
            }
        }
        html.push_str(&escape(word));
    }
    close(&mut html, open);
    WordDiff {
        html,
        added,
        removed,
    }
}

fn close(html: &mut String, open: Option<ChangeTag>) {
    match open {
        Some(ChangeTag::Insert) => html.push_str("</ins>"),
        Some(ChangeTag::Delete) => html.push_str("</del>"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_and_counted() {
        let d = words("오늘 세미나 <발표> 자료", "오늘 세미나 발표 자료 공유");
        assert!(d.html.starts_with("오늘 세미나 "), "{}", d.html);
        assert!(
            d.html.contains("<del>&lt;발표&gt;</del>") || d.html.contains("<del>&lt;"),
            "{}",
            d.html
        );
        assert!(d.html.contains("<ins>"), "{}", d.html);
        assert!(d.added >= 2 && d.removed >= 1, "{} {}", d.added, d.removed);
        let same = words("같은 글", "같은 글");
        assert_eq!((same.added, same.removed), (0, 0));
        assert_eq!(same.html, "같은 글");
    }
}
