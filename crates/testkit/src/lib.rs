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

/// A database of its own for one test. An SQLite file is removed when this is
/// dropped; a server database is left for the server's own clean-up.
pub struct FreshDatabase {
    pub url: String,
    pub dir: Option<tempfile::TempDir>,
}

impl FreshDatabase {
    /// `sqlite`, `mysql` or `postgres`, from the URL's scheme.
    pub fn engine_name(&self) -> &'static str {
        match self.url.split(':').next() {
            Some("mysql") => "mysql",
            Some("postgres") => "postgres",
            _ => "sqlite",
        }
    }
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
            dir: Some(dir),
        };
    };
    let name = format!("madang_t_{}", ulid::Ulid::new().to_string().to_lowercase());
    let server = server.trim_end_matches('/').to_owned();
    let mysql = server.starts_with("mysql");
    let admin_url = if mysql {
        format!("{server}/mysql")
    } else {
        format!("{server}/postgres")
    };
    let admin = AnyPool::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {admin_url}: {e}"));
    let create = if mysql {
        format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    } else {
        format!("CREATE DATABASE {name}")
    };
    admin
        .execute(sqlx::AssertSqlSafe(create))
        .await
        .expect("create test database");
    admin.close().await;
    FreshDatabase {
        url: format!("{server}/{name}"),
        dir: None,
    }
}
