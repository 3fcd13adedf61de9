//! The Redis store: one multiplexed, self-reconnecting connection (`ConnectionManager`),
//! every operation bounded by a short timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use crate::connect::LazyRedis;

use crate::service::Store;

/// Reads the scopes' generations and the value stored under them, in one round trip.
const READ_SCRIPT: &str = r"
local gens = {}
for i, k in ipairs(KEYS) do
  gens[i] = redis.call('GET', k) or '0'
end
local stamped = ARGV[1] .. '@' .. table.concat(gens, '.')
return {stamped, redis.call('GET', stamped)}
";

/// How often a failing Redis is reported in the log.
const REPORT_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: String,
    /// Longest wait for one cache operation before it counts as a miss.
    pub op_timeout: Duration,
    /// Prefix of every key, so several deployments can share one Redis.
    pub prefix: String,
}

struct Inner {
    settings: RedisSettings,
    redis: LazyRedis,
    last_report: Mutex<Option<Instant>>,
    script: redis::Script,
    /// Scopes whose invalidation has not reached Redis yet.
    pending: Mutex<Vec<String>>,
    degraded: AtomicBool,
}

#[derive(Clone)]
pub struct RedisStore(Arc<Inner>);

impl RedisStore {
    /// Prepares the store; Redis is contacted on first use, so Madang starts (and
    /// serves from the database) while Redis is down.
    pub fn new(settings: RedisSettings) -> Result<Self, String> {
        let redis = LazyRedis::new(&settings.url, settings.op_timeout)?;
        let store = Self(Arc::new(Inner {
            settings,
            redis,
            last_report: Mutex::new(None),
            script: redis::Script::new(READ_SCRIPT),
            pending: Mutex::new(Vec::new()),
            degraded: AtomicBool::new(false),
        }));
        store.spawn_retrier();
        Ok(store)
    }

    /// Delivers undelivered invalidations as soon as Redis answers again.
    fn spawn_retrier(&self) {
        let weak = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let Some(inner) = weak.upgrade() else { break };
                let store = RedisStore(inner);
                let pending: Vec<String> = store
                    .0
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                if pending.is_empty() {
                    continue;
                }
                if store.incr(&pending).await.is_ok() {
                    let mut p = store.0.pending.lock().unwrap_or_else(|p| p.into_inner());
                    let delivered = pending.len().min(p.len());
                    p.drain(..delivered);
                    if p.is_empty() {
                        store.0.degraded.store(false, Ordering::SeqCst);
                        tracing::info!("cache invalidations delivered; caching resumes");
                    }
                }
            }
        });
    }

    fn key(&self, k: &str) -> String {
        format!("{}:{k}", self.0.settings.prefix)
    }

    fn report(&self, op: &'static str, error: &str) {
        metrics::counter!("madang_cache_errors_total", "backend" => "redis", "op" => op)
            .increment(1);
        let mut last = self.0.last_report.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(
                op,
                error,
                "Redis cache unavailable; serving from the database"
            );
        }
    }

    async fn conn(&self) -> Result<ConnectionManager, String> {
        self.0.redis.get().await
    }

    async fn run<T, F>(
        &self,
        op: &'static str,
        f: impl FnOnce(ConnectionManager) -> F,
    ) -> Result<T, ()>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = match self.conn().await {
            Ok(c) => c,
            Err(e) => {
                self.report(op, &e);
                return Err(());
            }
        };
        match tokio::time::timeout(self.0.settings.op_timeout, f(conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                self.report(op, &e.to_string());
                Err(())
            }
            Err(_) => {
                self.report(op, "timed out");
                Err(())
            }
        }
    }

    async fn incr(&self, scopes: &[String]) -> Result<(), ()> {
        let keys: Vec<String> = scopes.iter().map(|s| self.key(&format!("g:{s}"))).collect();
        self.run("invalidate", |mut c| async move {
            let mut pipe = redis::pipe();
            for k in &keys {
                pipe.incr(k, 1).ignore();
            }
            pipe.query_async::<()>(&mut c).await
        })
        .await
    }

    /// A round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), String> {
        self.run("ping", |mut c| async move {
            redis::cmd("PING").query_async::<String>(&mut c).await
        })
        .await
        .map(|_| ())
        .map_err(|()| "Redis is unreachable".to_owned())
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn read(&self, key: &str, scopes: &[String]) -> Result<(String, Option<Vec<u8>>), ()> {
        let gens: Vec<String> = scopes.iter().map(|s| self.key(&format!("g:{s}"))).collect();
        let value_key = self.key(&format!("v:{key}"));
        let script = &self.0.script;
        self.run("read", |mut c| async move {
            let mut call = script.prepare_invoke();
            for g in &gens {
                call.key(g);
            }
            call.arg(&value_key);
            call.invoke_async::<(String, Option<Vec<u8>>)>(&mut c).await
        })
        .await
    }

    async fn get(&self, stamped: &str) -> Result<Option<Vec<u8>>, ()> {
        let k = stamped.to_owned();
        self.run("get", |mut c| async move {
            redis::cmd("GET")
                .arg(&k)
                .query_async::<Option<Vec<u8>>>(&mut c)
                .await
        })
        .await
    }

    async fn put(&self, stamped: &str, value: &[u8], ttl: Duration) {
        let k = stamped.to_owned();
        let ms = ttl.as_millis().max(1) as u64;
        let _ = self
            .run("put", |mut c| async move {
                redis::cmd("SET")
                    .arg(&k)
                    .arg(value)
                    .arg("PX")
                    .arg(ms)
                    .query_async::<()>(&mut c)
                    .await
            })
            .await;
    }

    async fn bump(&self, scopes: &[String]) -> Result<(), ()> {
        let r = self.incr(scopes).await;
        if r.is_err() {
            self.0
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(scopes.iter().cloned());
            self.0.degraded.store(true, Ordering::SeqCst);
        }
        r
    }

    fn degraded(&self) -> bool {
        self.0.degraded.load(Ordering::SeqCst)
    }
}
