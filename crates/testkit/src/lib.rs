//! Test support shared by Madang's crates: a fresh database, and the primitives of the
//! tests that run real processes.
//!
//! The engine of a test run comes from `MADANG_TEST_DATABASE_URL`: unset, each test
//! gets a new SQLite file; `mysql://user@host:port` or `postgres://user@host:port`
//! get a new database on that server per test (named `madang_t_…`), so tests never
//! see each other's rows.
#![allow(clippy::expect_used)]

mod process;

pub use process::{
    KillOnDrop, private_redis, services_required, spare_port, wait_live, wait_until,
};

use sqlx::{AnyPool, Executor};

/// The engine a database belongs to, as its URL scheme names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    MySql,
    Postgres,
}

impl Engine {
    /// `sqlite`, `mysql` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::MySql => "mysql",
            Self::Postgres => "postgres",
        }
    }
}

/// A database of its own for one test. An SQLite file is removed when this is
/// dropped; a server database is left for the server's own clean-up.
pub struct FreshDatabase {
    pub url: String,
    pub engine: Engine,
    pub dir: Option<tempfile::TempDir>,
}

/// Creates a new, empty database on the run's engine. Panics when the server named
/// by `MADANG_TEST_DATABASE_URL` cannot be reached: a run that asked for an engine
/// fails rather than quietly testing another one.
pub async fn fresh_database() -> FreshDatabase {
    sqlx::any::install_default_drivers();
    let server = std::env::var("MADANG_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let Some(server) = server else {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("madang.db").display());
        return FreshDatabase {
            url,
            engine: Engine::Sqlite,
            dir: Some(dir),
        };
    };
    let name = format!("madang_t_{}", ulid::Ulid::new().to_string().to_lowercase());
    let server = server.trim_end_matches('/').to_owned();
    let (admin_url, engine) = if server.starts_with("mysql") {
        (format!("{server}/mysql"), Engine::MySql)
    } else {
        (format!("{server}/postgres"), Engine::Postgres)
    };
    let admin = AnyPool::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {admin_url}: {e}"));
    let create = match engine {
        Engine::MySql => {
            format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        }
        _ => format!("CREATE DATABASE {name}"),
    };
    admin
        .execute(sqlx::AssertSqlSafe(create))
        .await
        .expect("create test database");
    admin.close().await;
    FreshDatabase {
        url: format!("{server}/{name}"),
        engine,
        dir: None,
    }
}
