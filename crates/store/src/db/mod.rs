//! Pools, dialect differences, statements and error mapping.

mod failure;
mod stmt;

pub(crate) use failure::*;
pub(crate) use stmt::*;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use madang_domain::Error;

use crate::replicas::{ReadRoute, ReplicaSettings, Replicas};
use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Arguments, AssertSqlSafe, ConnectOptions, Encode, Executor, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    MySql,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "mysql" | "mariadb" => Ok(Self::MySql),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(Error::BadRequest(format!(
                "unsupported database URL scheme {scheme:?}: use sqlite://, mysql:// or postgres://"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::MySql => "mysql",
            Self::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub struct DbConfig {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Read replicas of the primary at `url` (server engines only).
    pub replicas: ReplicaSettings,
}

impl DbConfig {
    /// A primary at `url` with no replicas.
    pub fn new(url: &str, max_connections: u32, acquire_timeout: Duration) -> Self {
        Self {
            url: url.to_owned(),
            max_connections,
            acquire_timeout,
            replicas: ReplicaSettings::default(),
        }
    }
}

/// The database: a pool for writes and one for reads. On SQLite the write pool has a
/// single connection, so writers queue in the application instead of failing with
/// `SQLITE_BUSY`, while readers proceed in parallel under WAL. On the server engines
/// both are the same pool (the primary), and lag-tolerant reads may go to replicas.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) engine: Engine,
    pub(crate) write: AnyPool,
    pub(crate) read: AnyPool,
    pub(crate) replicas: Arc<Replicas>,
    /// False while migrations known to be pending could not be applied yet: requests
    /// are then answered 503 instead of failing on missing tables.
    schema_ready: Arc<AtomicBool>,
    /// Signalled after a transaction that wrote to the job outbox commits, so the relay
    /// moves the job on at once instead of at its next poll.
    outbox_signal: Arc<tokio::sync::Notify>,
}

impl Db {
    /// Opens the pools. The database is not contacted here: a server that is down at
    /// start-up makes requests answer 503 until it is back, rather than stopping Madang.
    pub fn connect_lazy(cfg: &DbConfig) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(&cfg.url)?;
        let url = match engine {
            Engine::Sqlite => sqlite_url(&cfg.url)?,
            _ => cfg.url.clone(),
        };
        let opts = connect_options(&url, "database URL")?;
        let max = cfg.max_connections.max(1);
        let pool = |max: u32| lazy_pool(engine, &opts, max, cfg.acquire_timeout);
        let (write, read) = match engine {
            Engine::Sqlite => (pool(1), pool(max)),
            _ => {
                let p = pool(max);
                (p.clone(), p)
            }
        };
        let mut replica_pools = Vec::new();
        for url in &cfg.replicas.urls {
            if Engine::from_url(url)? != engine || engine == Engine::Sqlite {
                return Err(Error::BadRequest(format!(
                    "replica URLs must be of the primary's engine, and SQLite has none: {}",
                    engine.name()
                )));
            }
            let opts = connect_options(url, "replica URL")?;
            replica_pools.push(lazy_pool(engine, &opts, max, cfg.replicas.timeout));
        }
        Ok(Self {
            engine,
            write,
            read,
            replicas: Arc::new(Replicas::new(replica_pools, &cfg.replicas)),
            schema_ready: Arc::new(AtomicBool::new(true)),
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
            .map_err(map_err)
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
        for r in &self.replicas.members {
            r.pool.close().await;
        }
    }

    /// Whether read replicas are configured.
    pub fn has_replicas(&self) -> bool {
        !self.replicas.members.is_empty()
    }

    /// Checks each replica's health and lag once, taking replicas out of rotation or
    /// putting them back.
    pub async fn check_replicas(&self) {
        self.replicas.check(self.engine).await;
    }

    pub fn set_schema_ready(&self, ready: bool) {
        self.schema_ready.store(ready, Ordering::SeqCst);
    }

    /// Notified whenever a committed write left jobs in the outbox.
    pub fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_signal.clone()
    }

    pub(crate) fn outbox_written(&self) {
        self.outbox_signal.notify_one();
    }

    pub fn schema_ready(&self) -> bool {
        self.schema_ready.load(Ordering::SeqCst)
    }

    fn check_schema(&self) -> Result<(), Error> {
        if self.schema_ready() {
            Ok(())
        } else {
            Err(Error::Unavailable(
                "the database schema is being migrated".into(),
            ))
        }
    }

    /// A connection for reads, timed and counted while waited for.
    pub(crate) async fn rd(&self) -> Result<PoolConnection<Any>, Error> {
        self.check_schema()?;
        acquire(&self.read, self.read_pool_name()).await
    }

    /// A connection for a read that tolerates replica lag: a replica in rotation when
    /// the request's [`ReadRoute`] allows it, the primary otherwise. A replica that
    /// cannot give a connection leaves the rotation and the next one is tried.
    pub(crate) async fn rd_lagging(&self) -> Result<PoolConnection<Any>, Error> {
        self.check_schema()?;
        if ReadRoute::current() == ReadRoute::Replica {
            for r in self.replicas.candidates() {
                match acquire(&r.pool, r.name).await {
                    Ok(conn) => {
                        ReadRoute::note_replica_used();
                        return Ok(conn);
                    }
                    Err(e) => {
                        metrics::counter!("madang_db_pool_errors_total", "pool" => r.name)
                            .increment(1);
                        self.replicas.take_out(r, &e.to_string());
                    }
                }
            }
        }
        acquire(&self.read, self.read_pool_name()).await
    }

    /// The read pool's `pool` label: `read` beside SQLite's single writer, `primary`
    /// on the server engines.
    fn read_pool_name(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "read",
            _ => "primary",
        }
    }

    /// A connection for writes outside a transaction.
    pub(crate) async fn wr(&self) -> Result<PoolConnection<Any>, Error> {
        self.check_schema()?;
        acquire(&self.write, self.write_pool_name()).await
    }

    /// A write connection even while the schema is being migrated, for the data
    /// steps of a migration itself (`Db::rekey_names`).
    pub(crate) async fn wr_migrating(&self) -> Result<PoolConnection<Any>, Error> {
        acquire(&self.write, self.write_pool_name()).await
    }

    fn write_pool_name(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "write",
            _ => "primary",
        }
    }

    /// A write transaction on a timed connection.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`). In one process
    /// the single write connection already serialises writers, but several processes
    /// on one file (nodes, a `madang worker`) would otherwise each begin reading and
    /// then fail to upgrade to writing with `SQLITE_BUSY` at once, a case the busy
    /// timeout does not cover; taken at the start, the lock is waited for instead.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, Any>, Error> {
        use sqlx::SqlSafeStr as _;
        self.check_schema()?;
        let conn = acquire(&self.write, self.write_pool_name()).await?;
        let statement = (self.engine == Engine::Sqlite).then(|| "BEGIN IMMEDIATE".into_sql_str());
        sqlx::Transaction::begin(conn, statement)
            .await
            .map_err(|e| DbError::new("begin", e).into())
    }

    /// Sets the pool gauges; called when metrics are scraped.
    pub fn record_pool_metrics(&self) {
        let mut pools: Vec<(&'static str, &AnyPool)> = if self.engine == Engine::Sqlite {
            vec![("read", &self.read), ("write", &self.write)]
        } else {
            vec![("primary", &self.write)]
        };
        pools.extend(self.replicas.members.iter().map(|r| (r.name, &r.pool)));
        for (name, pool) in pools {
            metrics::gauge!("madang_db_pool_connections", "pool" => name)
                .set(f64::from(pool.size()));
            metrics::gauge!("madang_db_pool_idle_connections", "pool" => name)
                .set(pool.num_idle() as f64);
            metrics::gauge!("madang_db_pool_max_connections", "pool" => name)
                .set(f64::from(pool.options().get_max_connections()));
        }
    }

    pub(crate) fn stmt(&self, sql: &str) -> Stmt {
        Stmt::new(self.engine, sql)
    }

    /// Appends a row lock to a SELECT inside a write transaction. SQLite has none and
    /// needs none: its single writer connection already serialises writes.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "",
            _ => " FOR UPDATE",
        }
    }

    /// A row lock that passes over rows other transactions hold (work queues). SQLite's
    /// single writer needs none.
    pub(crate) fn for_update_skip_locked(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "",
            _ => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// `INSERT … VALUES …` that overwrites `cols` of the row whose primary key `key`
    /// exists already.
    pub(crate) fn upsert(&self, insert: &str, key: &str, cols: &[&str]) -> String {
        match self.engine {
            Engine::MySql => {
                let set: Vec<String> = cols.iter().map(|c| format!("{c} = VALUES({c})")).collect();
                format!("{insert} ON DUPLICATE KEY UPDATE {}", set.join(", "))
            }
            _ => {
                let set: Vec<String> = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                format!(
                    "{insert} ON CONFLICT ({key}) DO UPDATE SET {}",
                    set.join(", ")
                )
            }
        }
    }

    /// `expr` (a SUM, which MariaDB and PostgreSQL answer as a decimal) as a 64-bit
    /// integer, the type `Any` reads back.
    pub(crate) fn as_bigint(&self, expr: &str) -> String {
        match self.engine {
            Engine::MySql => format!("CAST({expr} AS SIGNED)"),
            Engine::Postgres => format!("CAST({expr} AS BIGINT)"),
            Engine::Sqlite => expr.to_owned(),
        }
    }

    /// The engine's plan of a statement, as lines of text (column names first).
    pub(crate) async fn explain(&self, mut s: Stmt) -> Result<String, Error> {
        use sqlx::{Column as _, Row as _};
        let prefix = match self.engine {
            Engine::Sqlite => "EXPLAIN QUERY PLAN ",
            Engine::MySql | Engine::Postgres => "EXPLAIN ",
        };
        s.sql.insert_str(0, prefix);
        let rows = s.fetch_all(&mut *self.rd().await?).await?;
        let mut out = Vec::new();
        if let Some(first) = rows.first() {
            let names: Vec<&str> = first.columns().iter().map(|c| c.name()).collect();
            out.push(names.join(" | "));
        }
        for r in &rows {
            let cells: Vec<String> = (0..r.columns().len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .map(|v| v.unwrap_or_else(|| "NULL".into()))
                        .or_else(|_| r.try_get::<i64, _>(i).map(|v| v.to_string()))
                        .or_else(|_| r.try_get::<f64, _>(i).map(|v| v.to_string()))
                        .unwrap_or_else(|_| "?".into())
                })
                .collect();
            out.push(cells.join(" | "));
        }
        Ok(out.join("\n"))
    }

    /// `INSERT` that does nothing when the row's key exists already.
    pub(crate) fn insert_ignore(&self, table_and_values: &str) -> String {
        match self.engine {
            Engine::MySql => format!("INSERT IGNORE INTO {table_and_values}"),
            _ => format!("INSERT INTO {table_and_values} ON CONFLICT DO NOTHING"),
        }
    }
}

async fn acquire(pool: &AnyPool, name: &'static str) -> Result<PoolConnection<Any>, Error> {
    let waiters = metrics::gauge!("madang_db_pool_waiters", "pool" => name);
    waiters.increment(1.0);
    let started = Instant::now();
    let conn = pool.acquire().await;
    waiters.decrement(1.0);
    metrics::counter!("madang_db_pool_acquires_total", "pool" => name).increment(1);
    metrics::histogram!("madang_db_acquire_duration_seconds", "pool" => name)
        .record(started.elapsed().as_secs_f64());
    conn.map_err(map_err)
}

fn connect_options(url: &str, what: &str) -> Result<AnyConnectOptions, Error> {
    Ok(AnyConnectOptions::from_str(url)
        .map_err(|e| Error::BadRequest(format!("{what} is invalid: {e}")))?
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500)))
}

/// A pool that connects on first use.
fn lazy_pool(engine: Engine, opts: &AnyConnectOptions, max: u32, timeout: Duration) -> AnyPool {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(timeout)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                for s in session_setup(engine) {
                    conn.execute(*s).await?;
                }
                Ok(())
            })
        })
        .connect_lazy_with(opts.clone())
}

/// Statements each new connection runs first.
fn session_setup(engine: Engine) -> &'static [&'static str] {
    match engine {
        Engine::Sqlite => &[
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 10000",
        ],
        // Strict mode: an out-of-range or truncated value is an error, never a
        // silently altered row.
        Engine::MySql => &[
            "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO'",
        ],
        Engine::Postgres => &[],
    }
}

/// `sqlite://PATH` with the file and its folder created on first run.
fn sqlite_url(url: &str) -> Result<String, Error> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(Error::BadRequest(
            "an in-memory SQLite database is not supported; give a file path".into(),
        ));
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::BadRequest(format!(
                "cannot create the database folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut q: Vec<&str> = query
        .split('&')
        .filter(|s| !s.is_empty() && !s.starts_with("mode="))
        .collect();
    q.push("mode=rwc");
    Ok(format!("sqlite://{path}?{}", q.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered_placeholders("a = ? AND b LIKE '?' AND c = ?"),
            "a = $1 AND b LIKE '?' AND c = $2"
        );
    }

    #[test]
    fn operations_name_verb_and_table() {
        assert_eq!(
            operation("SELECT p.id FROM posts p JOIN users u"),
            "select posts"
        );
        assert_eq!(
            operation("INSERT IGNORE INTO post_votes (a) VALUES (?)"),
            "insert post_votes"
        );
        assert_eq!(operation("UPDATE users SET x = ?"), "update users");
        assert_eq!(
            operation("DELETE FROM comment_votes WHERE"),
            "delete comment_votes"
        );
        assert_eq!(
            operation("SELECT COUNT(*) AS n FROM (SELECT p.id FROM posts p"),
            "select posts"
        );
    }

    #[test]
    fn like_escapes_wildcards() {
        assert_eq!(like_contains("50%_off!"), "%50!%!_off!!%");
    }

    #[test]
    fn engines_from_urls() {
        assert_eq!(Engine::from_url("sqlite://./x.db").unwrap(), Engine::Sqlite);
        assert_eq!(
            Engine::from_url("mysql://root@h/db").unwrap(),
            Engine::MySql
        );
        assert_eq!(
            Engine::from_url("postgres://h/db").unwrap(),
            Engine::Postgres
        );
        assert!(Engine::from_url("oracle://x").is_err());
    }

    #[test]
    fn sqlite_url_creates_with_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/m.db");
        let url = sqlite_url(&format!("sqlite://{}", p.display())).unwrap();
        assert!(url.ends_with("?mode=rwc"));
        assert!(p.parent().unwrap().is_dir());
    }
}
