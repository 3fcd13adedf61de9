//! Read replicas: which reads may go to one, which replica, and whether it is fit.
//!
//! **Which reads.** A store method that tolerates a little lag (list pages, search,
//! a post or profile as the public sees it) takes its connection from
//! [`Db::rd_lagging`](crate::Db); every other read, every write and everything in a
//! transaction uses the primary. Whether the *request* may be served stale is the
//! caller's call, made once per request with [`ReadRoute::scope`]: the HTTP layer
//! opens a `Replica` scope for safe requests of readers who have not written lately
//! and a `Primary` scope otherwise. Outside any scope (jobs, cron, the CLI) reads go
//! to the primary.
//!
//! **Which replica.** Round robin over the replicas in rotation. A replica leaves the
//! rotation when its health check fails, when its lag exceeds the configured bound,
//! or when a connection to it cannot be had; the next passing check puts it back.
//! With none in rotation, reads go to the primary.
//!
//! **Lag** is the engine's own figure: MariaDB's `Seconds_Behind_Master`, and on
//! PostgreSQL the age of the last replayed transaction while WAL received is not yet
//! replayed (0 when the standby has replayed all it received).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::Row as _;

use crate::db::Engine;

/// Where the current request's lag-tolerant reads may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRoute {
    /// The latest state: the primary.
    Primary,
    /// A healthy replica when there is one.
    Replica,
}

/// The route in force for one request, and whether a replica served any of it.
#[derive(Debug, Clone)]
struct Scope {
    route: ReadRoute,
    replica_used: Arc<AtomicBool>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// What a [`ReadRoute::scope`] learnt while it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeReport {
    /// A replica connection was handed out inside the scope.
    pub replica_used: bool,
}

impl ReadRoute {
    /// Runs `f` with this route for its lag-tolerant reads.
    pub async fn scope<F: Future>(self, f: F) -> (F::Output, ScopeReport) {
        let used = Arc::new(AtomicBool::new(false));
        let scope = Scope {
            route: self,
            replica_used: used.clone(),
        };
        let out = SCOPE.scope(scope, f).await;
        let report = ScopeReport {
            replica_used: used.load(Ordering::SeqCst),
        };
        (out, report)
    }

    /// The route of the scope the caller runs in; the primary outside any.
    pub fn current() -> Self {
        SCOPE.try_with(|s| s.route).unwrap_or(Self::Primary)
    }

    pub(crate) fn note_replica_used() {
        let _ = SCOPE.try_with(|s| s.replica_used.store(true, Ordering::SeqCst));
    }
}

#[derive(Debug, Clone)]
pub struct ReplicaSettings {
    /// Connection URLs, one per replica.
    pub urls: Vec<String>,
    /// A replica further behind than this leaves the rotation.
    pub max_lag: Duration,
    /// Longest wait for a replica connection or health check before the primary is
    /// used instead.
    pub timeout: Duration,
}

impl Default for ReplicaSettings {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            max_lag: Duration::from_secs(5),
            timeout: Duration::from_secs(1),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Replica {
    /// `replica-0`, `replica-1`, …: the metrics' `pool` label.
    pub(crate) name: &'static str,
    pub(crate) pool: AnyPool,
    in_rotation: AtomicBool,
}

/// The replicas and the round-robin position.
#[derive(Debug, Default)]
pub(crate) struct Replicas {
    pub(crate) members: Vec<Replica>,
    next: AtomicUsize,
    pub(crate) max_lag: Duration,
    pub(crate) timeout: Duration,
}

impl Replicas {
    pub(crate) fn new(pools: Vec<AnyPool>, settings: &ReplicaSettings) -> Self {
        let members = pools
            .into_iter()
            .enumerate()
            .map(|(i, pool)| Replica {
                // A handful of names made once per process; the metrics macros want
                // `'static` labels.
                name: Box::leak(format!("replica-{i}").into_boxed_str()),
                pool,
                // In rotation until a check says otherwise, so a node that starts
                // under load spreads its reads at once.
                in_rotation: AtomicBool::new(true),
            })
            .collect();
        Self {
            members,
            next: AtomicUsize::new(0),
            max_lag: settings.max_lag,
            timeout: settings.timeout,
        }
    }

    /// The replicas in rotation, starting at the round-robin position.
    pub(crate) fn candidates(&self) -> impl Iterator<Item = &Replica> {
        let n = self.members.len();
        let start = if n == 0 {
            0
        } else {
            self.next.fetch_add(1, Ordering::Relaxed) % n
        };
        (0..n)
            .map(move |i| &self.members[(start + i) % n])
            .filter(|r| r.in_rotation.load(Ordering::Relaxed))
    }

    pub(crate) fn take_out(&self, r: &Replica, why: &str) {
        if r.in_rotation.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                replica = r.name,
                reason = why,
                "replica taken out of rotation"
            );
        }
        metrics::gauge!("madang_db_replica_in_rotation", "pool" => r.name).set(0.0);
    }

    fn put_back(&self, r: &Replica) {
        if !r.in_rotation.swap(true, Ordering::SeqCst) {
            tracing::info!(replica = r.name, "replica back in rotation");
        }
        metrics::gauge!("madang_db_replica_in_rotation", "pool" => r.name).set(1.0);
    }

    /// Checks every replica once: reachable, replicating, and within the lag bound.
    pub(crate) async fn check(&self, engine: Engine) {
        for r in &self.members {
            let lag = tokio::time::timeout(self.timeout, lag_of(&r.pool, engine))
                .await
                .unwrap_or_else(|_| Err("the health check timed out".to_owned()));
            match lag {
                Ok(lag) => {
                    metrics::gauge!("madang_db_replica_lag_seconds", "pool" => r.name)
                        .set(lag.as_secs_f64());
                    if lag > self.max_lag {
                        let why = format!(
                            "{:.1} s behind (bound {:.1} s)",
                            lag.as_secs_f64(),
                            self.max_lag.as_secs_f64()
                        );
                        self.take_out(r, &why);
                    } else {
                        self.put_back(r);
                    }
                }
                Err(why) => {
                    metrics::counter!("madang_db_pool_errors_total", "pool" => r.name).increment(1);
                    self.take_out(r, &why);
                }
            }
        }
    }
}

/// How far behind its primary a replica is.
async fn lag_of(pool: &AnyPool, engine: Engine) -> Result<Duration, String> {
    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
    match engine {
        Engine::MySql => {
            let row = sqlx::query("SHOW SLAVE STATUS")
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("replication is not configured on this server")?;
            let io: String = row.try_get("Slave_IO_Running").map_err(|e| e.to_string())?;
            let sql: String = row
                .try_get("Slave_SQL_Running")
                .map_err(|e| e.to_string())?;
            if io != "Yes" || sql != "Yes" {
                return Err(format!(
                    "replication is stopped (IO thread {io}, SQL thread {sql})"
                ));
            }
            let behind: Option<i64> = row
                .try_get("Seconds_Behind_Master")
                .map_err(|e| e.to_string())?;
            let secs = behind.ok_or("the replica does not know its lag")?;
            Ok(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
        }
        Engine::Postgres => {
            let row = sqlx::query(
                "SELECT CAST(pg_is_in_recovery() AS INT), \
                 CAST(CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                 ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000, 0) \
                 END AS BIGINT)",
            )
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
            let recovering: i32 = row.try_get(0).map_err(|e| e.to_string())?;
            if recovering == 0 {
                return Err("this server is not a standby".into());
            }
            let ms: i64 = row.try_get(1).map_err(|e| e.to_string())?;
            Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        }
        Engine::Sqlite => Err("SQLite has no replicas".into()),
    }
}
