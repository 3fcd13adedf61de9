//! Users: value types for names, emails and passwords, roles, states, and the user
//! entities the use cases hand out.

use crate::error::Violation;
use crate::time::Timestamp;
use crate::validate::char_len;

/// 2–30 characters of letters (Hangul included), digits, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const MIN: usize = 2;
    pub const MAX: usize = 30;

    /// The name in NFC, so a decomposed (NFD) spelling is the same name as the composed
    /// one. Letters that show nothing (the Hangul fillers are letters to Unicode) are
    /// refused with the other characters a name may not hold.
    pub fn parse(field: &str, s: &str) -> Result<Self, Violation> {
        let s = crate::search::text::nfc(s);
        char_len(field, &s, Self::MIN, Self::MAX)?;
        if !s.chars().all(|c| {
            (c.is_alphanumeric() || c == '_' || c == '-') && !crate::validate::is_invisible(c)
        }) {
            return Err(Violation::new(
                field,
                "pattern",
                format!("{field} may contain only letters, digits, '_' and '-'"),
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is decided on (see [`name_key`]).
    pub fn key(&self) -> String {
        name_key(&self.0)
    }

    /// The name's confusable skeleton (Unicode TR39) of its key: two names with one
    /// skeleton look alike (`boss`, `bоss` with a Cyrillic о, `b0ss`).
    pub fn skeleton(&self) -> String {
        skeleton(&self.0)
    }
}

/// An email address, kept as typed; unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 254;

    pub fn parse(field: &str, s: &str) -> Result<Self, Violation> {
        let s = s.trim();
        if s.chars().count() > Self::MAX
            || !email_address::EmailAddress::is_valid(s)
            || !s.contains('.')
        {
            return Err(Violation::new(
                field,
                "email",
                format!("{field} must be a valid email address"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        fold_case(&self.0)
    }
}

/// The key a name is unique by and looked up by: Unicode's compatibility caseless
/// form (NFKD and full case folding, twice, as definition D146 of the standard has
/// it), composed. Case, width and other compatibility spellings fold away, so `Boss`,
/// `ｂｏｓｓ` and `𝐛𝐨𝐬𝐬` are one name, and `ㅋㅋ` is the name its conjoining jamo spell.
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfd: String = name.nfd().collect();
    let once: String = caseless::default_case_fold_str(&nfd).nfkd().collect();
    let twice: String = caseless::default_case_fold_str(&once).nfkd().collect();
    twice.nfc().collect()
}

/// The confusable skeleton (Unicode TR39) of a name's key, folded once more: the
/// prototypes of TR39 keep case (`0` is `O`), and names are compared without it.
pub fn skeleton(name: &str) -> String {
    let prototype: String = unicode_security::skeleton(&name_key(name)).collect();
    name_key(&prototype)
}

/// The keys what was typed at log-in (or by an operator) is looked up by: as a name
/// (its [`name_key`]) and as an email (NFC, lower case), each the form it was stored
/// under.
pub fn lookup_keys(name_or_email: &str) -> (String, String) {
    let typed = name_or_email.trim();
    (name_key(typed), fold_case(&crate::search::text::nfc(typed)))
}

pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// A plain-text password that passed the length rule. Never stored, logged or cached.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(field: &str, s: &str) -> Result<Self, Violation> {
        char_len(field, s, Self::MIN, Self::MAX)?;
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Moderator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Moderators and admins see and remove any content.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
}

/// What a user may currently do, beside their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserState {
    Active,
    Suspended { until: Timestamp, reason: String },
    Banned { reason: String },
}

impl UserState {
    /// The state in force at `now`: a suspension that has run out is no longer one.
    pub fn at(&self, now: Timestamp) -> &UserState {
        match self {
            UserState::Suspended { until, .. } if *until <= now => &UserState::Active,
            s => s,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            UserState::Active => "active",
            UserState::Suspended { .. } => "suspended",
            UserState::Banned { .. } => "banned",
        }
    }
}

/// A user as the account owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub state: UserState,
    pub created_at: Timestamp,
}

/// The public face of a user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicProfile {
    pub id: i64,
    pub name: String,
    pub created_at: Timestamp,
    pub post_count: i64,
    pub comment_count: i64,
}

/// A name and id, as shown beside content. `None` where the author resigned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRecord {
    pub id: i64,
    pub created_at: Timestamp,
    pub succeeded: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_accept_hangul_digits_and_marks() {
        assert!(UserName::parse("name", "김철수_99-a").is_ok());
        assert_eq!(
            UserName::parse("name", "a").unwrap_err().constraint,
            "min_length"
        );
        assert_eq!(
            UserName::parse("name", &"가".repeat(31))
                .unwrap_err()
                .constraint,
            "max_length"
        );
        assert_eq!(
            UserName::parse("name", "no spaces").unwrap_err().constraint,
            "pattern"
        );
        assert_eq!(
            UserName::parse("name", "semi;colon")
                .unwrap_err()
                .constraint,
            "pattern"
        );
    }

    #[test]
    fn names_are_composed_and_show_every_letter() {
        let nfd = "\u{1112}\u{1161}\u{11AB}\u{1100}\u{1173}\u{11AF}"; // 한글, decomposed
        let composed = UserName::parse("name", nfd).unwrap();
        assert_eq!(composed.as_str(), "한글");
        assert_eq!(
            composed.key(),
            UserName::parse("name", "한글").unwrap().key()
        );
        for blank in [
            "\u{3164}\u{3164}",
            "김\u{FFA0}",
            "a\u{200B}b",
            "ab\u{202E}cd",
        ] {
            assert_eq!(
                UserName::parse("name", blank).unwrap_err().constraint,
                "pattern",
                "{blank:?}"
            );
        }
    }

    #[test]
    fn name_key_ignores_case() {
        let a = UserName::parse("name", "Alice").unwrap();
        let b = UserName::parse("name", "aLICE").unwrap();
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn emails_are_checked_and_keyed_without_case() {
        let e = Email::parse("email", "Kim@Example.COM").unwrap();
        assert_eq!(e.as_str(), "Kim@Example.COM");
        assert_eq!(e.key(), "kim@example.com");
        assert!(Email::parse("email", "not-an-email").is_err());
        assert!(Email::parse("email", "a@b").is_err());
    }

    #[test]
    fn password_length_is_counted_in_characters() {
        assert!(Password::parse("p", "비밀번호비밀번호").is_ok());
        assert!(Password::parse("p", "short").is_err());
        assert!(Password::parse("p", &"x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("p", "secret-pass").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn expired_suspension_is_active() {
        let s = UserState::Suspended {
            until: Timestamp(1000),
            reason: "spam".into(),
        };
        assert_eq!(s.at(Timestamp(999)).kind(), "suspended");
        assert_eq!(s.at(Timestamp(1000)).kind(), "active");
    }

    #[test]
    fn keys_fold_case_width_and_compatibility_spellings() {
        for same in ["Boss", "BOSS", "ｂｏｓｓ", "𝐛𝐨𝐬𝐬", "ᵇᵒˢˢ"] {
            assert_eq!(name_key(same), "boss", "{same}");
        }
        // ß folds to ss, as the standard's case folding has it.
        assert_eq!(name_key("Straße"), name_key("STRASSE"));
        // Hangul: composed and decomposed syllables, and compatibility jamo.
        assert_eq!(
            name_key("한글"),
            name_key("\u{1112}\u{1161}\u{11AB}\u{1100}\u{1173}\u{11AF}")
        );
        assert_eq!(name_key("ㅋㅋ"), "\u{110F}\u{110F}");
        assert_ne!(name_key("한글"), name_key("한굴"));
        let (name, email) = lookup_keys("  ＢＯＳＳ ");
        assert_eq!(name, "boss");
        assert_eq!(email, "ｂｏｓｓ");
    }

    #[test]
    fn lookalikes_share_a_skeleton_and_different_names_do_not() {
        let boss = skeleton("boss");
        for alike in ["b0ss", "bоss", "ｂｏｓｓ", "BOSS", "bos\u{0455}"] {
            assert_eq!(skeleton(alike), boss, "{alike}");
        }
        for other in ["bass", "boss2", "보스", "moss"] {
            assert_ne!(skeleton(other), boss, "{other}");
        }
        assert_eq!(skeleton("admin"), skeleton("adrnin"));
        assert_ne!(skeleton("운영자"), skeleton("운영지"));
    }
}
