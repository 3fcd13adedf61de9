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
