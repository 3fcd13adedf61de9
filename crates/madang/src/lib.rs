//! The Madang binary's library half: configuration, adapters that need no crate of
//! their own (hashing, tokens, clock), wiring and the server. `main.rs` is the CLI.

pub mod app;
pub mod auth;
pub mod config;
mod probes;
pub mod replicas;
pub mod seed;
pub mod telemetry;
pub mod views;

/// A domain error as a command-line error: validation failures one field per line.
pub fn domain_error(e: madang_domain::Error) -> anyhow::Error {
    match e {
        madang_domain::Error::Validation(v) => {
            let lines: Vec<String> = v
                .iter()
                .map(|v| format!("  {}: {}", v.field, v.message))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::Error::new(other),
    }
}
