//! Madang's database adapter.
//!
//! One implementation of the domain's storage ports for SQLite, MariaDB/MySQL and
//! PostgreSQL, over sqlx's `Any` driver. Madang stores only integers, floats and
//! text (instants are epoch milliseconds), which `Any` carries on every engine, so
//! each query is written once; the few places where the engines' SQL differs
//! (placeholders, `RETURNING`, insert-or-ignore, row locks) live in [`Dialect`].

mod blocks;
mod board;
mod categories;
mod comments;
mod console;
mod cookie_sessions;
mod db;
mod jobs;
mod maintenance;
mod mentions;
mod migrate;
mod notifications;
mod posts;
mod replicas;
mod reports;
mod search_feed;
mod seed;
mod seminars;
mod sessions;
mod users;
mod votes;

pub use db::{Db, DbConfig, Engine};
pub use jobs::EmbeddedQueue;
pub use migrate::{MigrationError, MigrationState, MigrationStatus};
pub use replicas::{ReadRoute, ReplicaSettings, ScopeReport};
pub use seed::{SeedBatch, SeedComment, SeedIds, SeedPost, SeedUser, SeedVersion, SeedVote};
