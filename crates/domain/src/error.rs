//! The one error type of the domain. Adapters map their failures into it; the HTTP
//! layer maps it to a status and an error code in one place.

use std::fmt;

/// One violated constraint of an input, reported with all the others at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub constraint: &'static str,
    pub message: String,
}

impl Violation {
    pub fn new(
        field: impl Into<String>,
        constraint: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            constraint,
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule; every violation of the request is listed.
    #[error("{}", validation_summary(.0))]
    Validation(Vec<Violation>),
    /// A request that cannot be understood (bad cursor, bad query syntax).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Too many requests in a short time; the next is allowed after `retry_after_secs`.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// A uniqueness or state conflict; `field` names the unique field when there is one.
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// A backend the request needs (the database) cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else. The cause is logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn validation_summary(v: &[Violation]) -> String {
    match v.len() {
        1 => "1 field is invalid".to_owned(),
        n => format!("{n} fields are invalid"),
    }
}

impl Error {
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn state_conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            field: None,
            message: message.into(),
        }
    }

    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(e.into())
    }

    pub fn invalid(field: &str, constraint: &'static str, message: impl Into<String>) -> Self {
        Self::Validation(vec![Violation::new(field, constraint, message)])
    }
}

/// A plain message error for `Error::internal` when there is no source error.
#[derive(Debug)]
pub struct Message(pub String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}
