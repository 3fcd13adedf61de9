//! Collecting every violation of an input before answering, so a client sees all of
//! them at once.

use crate::error::{Error, Violation};

#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, v: Violation) {
        self.0.push(v);
    }

    pub fn add(&mut self, field: &str, constraint: &'static str, message: impl Into<String>) {
        self.0.push(Violation::new(field, constraint, message));
    }

    /// Keeps the parsed value, or records why it failed.
    pub fn check<T>(&mut self, r: Result<T, Violation>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(v) => {
                self.0.push(v);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }

    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

/// Length in characters (not bytes) within `min..=max`.
pub fn char_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), Violation> {
    let n = value.chars().count();
    if n < min {
        Err(Violation::new(
            field,
            "min_length",
            format!("{field} must be at least {min} characters"),
        ))
    } else if n > max {
        Err(Violation::new(
            field,
            "max_length",
            format!("{field} must be at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// A required text that is not only white space.
pub fn not_blank(field: &str, value: &str) -> Result<(), Violation> {
    if value.trim().is_empty() {
        Err(Violation::new(
            field,
            "not_blank",
            format!("{field} must not be blank"),
        ))
    } else {
        Ok(())
    }
}

/// Whether a character shows nothing: a default-ignorable code point (zero-width and
/// bidi controls, variation selectors, the BOM, tag characters) or a Hangul filler.
/// The ranges are Unicode's `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt),
/// listed here because no maintained crate exposes that property alone.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// At least one character that shows: not whitespace and not invisible.
pub fn visible(field: &str, value: &str) -> Result<(), Violation> {
    if value
        .chars()
        .any(|c| !c.is_whitespace() && !is_invisible(c))
    {
        Ok(())
    } else {
        Err(Violation::new(
            field,
            "visible",
            format!("{field} must contain a visible character"),
        ))
    }
}

pub fn positive_id(field: &str, id: i64) -> Result<i64, Violation> {
    if id > 0 {
        Ok(id)
    } else {
        Err(Violation::new(
            field,
            "positive",
            format!("{field} must be a positive id"),
        ))
    }
}

/// U+0000 has no place in board text, and PostgreSQL's `text` cannot hold it (the
/// other engines can), so a request that carries it anywhere — a body field, a form
/// field, a query parameter — is refused before any rule or store sees it.
pub fn no_nul(field: &str, value: &str) -> Result<(), Violation> {
    if value.contains('\0') {
        let name = if field.is_empty() { "the body" } else { field };
        Err(Violation::new(
            field,
            "no_nul",
            format!("{name} must not contain the NUL character (U+0000)"),
        ))
    } else {
        Ok(())
    }
}

/// The first pair whose key or value holds U+0000 (see [`no_nul`]).
pub fn no_nul_in_pairs(pairs: &[(String, String)]) -> Result<(), Violation> {
    pairs.iter().try_for_each(|(k, v)| {
        no_nul(k, v)?;
        // A key with NUL is named by its printable part.
        no_nul(&k.replace('\0', ""), k)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_in_values_and_keys_and_named() {
        assert!(no_nul("title", "제목 title").is_ok());
        let v = no_nul("title", "a\0b").unwrap_err();
        assert_eq!((v.field.as_str(), v.constraint), ("title", "no_nul"));
        assert_eq!(
            v.message,
            "title must not contain the NUL character (U+0000)"
        );
        assert_eq!(
            no_nul("", "\0").unwrap_err().message,
            "the body must not contain the NUL character (U+0000)"
        );

        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert!(no_nul_in_pairs(&pairs(&[("q", "꿀"), ("o", "-created")])).is_ok());
        let v = no_nul_in_pairs(&pairs(&[("q", "ok"), ("keyword", "\0")])).unwrap_err();
        assert_eq!(v.field, "keyword");
        let v = no_nul_in_pairs(&pairs(&[("ke\0y", "value")])).unwrap_err();
        assert_eq!(v.field, "key");
    }
}
