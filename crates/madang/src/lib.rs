//! The Madang binary's library half: configuration, adapters that need no crate of
//! their own (hashing, tokens, clock), wiring and the server. `main.rs` is the CLI.

pub mod app;
pub mod auth;
pub mod config;
pub mod telemetry;
