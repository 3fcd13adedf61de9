//! Madang's business rules.
//!
//! Entities, value types (parsed once, so an invalid value cannot exist further in),
//! the ports the adapters implement, and the use cases that drive them. This crate
//! knows no database, web framework, cache or runtime: adapters depend on it, never
//! the other way round.

pub mod accounts;
pub mod blocks;
pub mod cache;
pub mod categories;
pub mod comments;
pub mod console;
pub mod error;
pub mod jobs;
pub mod limits;
pub mod listing;
pub mod maintenance;
pub mod mentions;
pub mod notifications;
pub mod ports;
pub mod posts;
pub mod prefixes;
pub mod reports;
pub mod search;
pub mod seminars;
pub mod sentiment;
pub mod time;
pub mod users;
pub mod validate;
pub mod views;
pub mod web_sessions;

pub use error::{Error, Result, Violation};
pub use time::Timestamp;
