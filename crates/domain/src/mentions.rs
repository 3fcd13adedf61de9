//! Mentions (`@이름`): a name after `@` in a post or a comment that names an existing
//! member is stored as a mention of that member's id, so neither an edit of the text
//! nor a rename breaks it.
//!
//! Korean is written with particles straight after a name (`@철수님`, `@민지야`), so the
//! longest run of name characters after `@` is not always the name: the longest
//! *prefix* of the run that is a member's name is. Names match case-folded and NFC, as
//! log-ins do (their key). At most [`MAX_MENTIONS`] names a text; the rest stay text.

use crate::error::Result;
use crate::ports::UserStore;
use crate::users::{UserName, name_key};

/// The members `text` mentions, looked up by name key in one query.
pub async fn mentioned(users: &dyn UserStore, text: &str) -> Result<Vec<i64>> {
    let runs = runs(text);
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let known = users.ids_by_name_keys(&candidate_keys(&runs)).await?;
    Ok(resolve(&runs, &known))
}

/// Names one text may mention.
pub const MAX_MENTIONS: usize = 20;

/// A name's characters (as [`UserName`] allows them).
fn name_char(c: char) -> bool {
    (c.is_alphanumeric() || c == '_' || c == '-') && !crate::validate::is_invisible(c)
}

/// Each `@` of `text` that may start a mention, as the run of name characters after it
/// (at most a name's length). An `@` inside a word (an email address) starts none.
/// Runs read from one text: twice the mentions it may hold, so unknown names cannot
/// make the lookup of a long text unbounded.
const MAX_RUNS: usize = 2 * MAX_MENTIONS;

pub fn runs(text: &str) -> Vec<String> {
    let text = crate::search::text::nfc(text);
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '@' && !prev.is_some_and(name_char) {
            let run: String = std::iter::from_fn(|| chars.next_if(|c| name_char(*c)))
                .take(UserName::MAX)
                .collect();
            // What follows is read on from the run's last character (or the `@`).
            prev = run.chars().last().or(Some(c));
            if run.chars().count() >= UserName::MIN && !out.contains(&run) {
                out.push(run);
                if out.len() == MAX_RUNS {
                    break;
                }
            }
            continue;
        }
        prev = Some(c);
    }
    out
}

/// The name keys to look up for `runs`: every prefix of each run that could be a name.
pub fn candidate_keys(runs: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut keys = Vec::new();
    for run in runs {
        let chars: Vec<char> = run.chars().collect();
        for n in UserName::MIN..=chars.len() {
            let key = name_key(&chars[..n].iter().collect::<String>());
            if seen.insert(key.clone()) {
                keys.push(key);
            }
        }
    }
    keys
}

/// The members a text mentions, in order of first mention, at most [`MAX_MENTIONS`]:
/// for each run, its longest prefix whose key `known` holds (key → member id).
pub fn resolve(runs: &[String], known: &[(String, i64)]) -> Vec<i64> {
    let mut out = Vec::new();
    for run in runs {
        let chars: Vec<char> = run.chars().collect();
        let found = (UserName::MIN..=chars.len()).rev().find_map(|n| {
            let key = name_key(&chars[..n].iter().collect::<String>());
            known.iter().find(|(k, _)| *k == key).map(|(_, id)| *id)
        });
        if let Some(id) = found.filter(|id| !out.contains(id)) {
            out.push(id);
            if out.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mention_starts_at_an_at_sign_outside_a_word() {
        assert_eq!(runs("@철수님 안녕하세요, @MinJi!"), ["철수님", "MinJi"]);
        assert!(runs("메일은 a@b.com 으로").is_empty());
        assert!(
            runs("@ 혼자 @x").is_empty(),
            "a name has two characters or more"
        );
        assert_eq!(runs("@철수 @철수"), ["철수"], "once each");
        // A decomposed (NFD) spelling is the same name.
        assert_eq!(runs("@\u{1109}\u{1175}\u{11AB}\u{1100}\u{1175}"), ["신기"]);
    }

    #[test]
    fn the_longest_known_prefix_is_the_name() {
        let known = vec![
            (name_key("철수"), 1),
            (name_key("철수님"), 2),
            (name_key("MinJi"), 3),
        ];
        let r = runs("@철수야 고마워 @철수님 @minji @모르는사람");
        assert_eq!(resolve(&r, &known), [1, 2, 3]);
        let keys = candidate_keys(&runs("@철수야"));
        assert_eq!(keys, [name_key("철수"), name_key("철수야")]);
    }

    #[test]
    fn a_long_text_reads_a_bounded_number_of_names() {
        let text: String = (0..2_000)
            .map(|i| format!("@n{i:05}xxxxxxxxxxxxxxxxxxxxxxx "))
            .collect();
        assert_eq!(runs(&text).len(), MAX_RUNS);
        assert!(candidate_keys(&runs(&text)).len() <= MAX_RUNS * UserName::MAX);
        assert!(
            runs("@a@철수").is_empty(),
            "an @ right after a name character starts none"
        );
    }

    #[test]
    fn at_most_twenty_members_a_text() {
        let known: Vec<(String, i64)> = (0..30)
            .map(|i| (name_key(&format!("u{i:02}")), i))
            .collect();
        let text: String = (0..30).map(|i| format!("@u{i:02} ")).collect();
        assert_eq!(resolve(&runs(&text), &known).len(), MAX_MENTIONS);
    }
}
