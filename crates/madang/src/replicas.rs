//! Read routing with read-your-writes, for a primary with read replicas.
//!
//! Every request runs in a [`ReadRoute`] scope the store consults for its lag-tolerant
//! reads (see `madang_store`'s replicas module):
//!
//! - requests that may write (anything but GET/HEAD/OPTIONS) read from the primary;
//! - safe requests of a member who wrote within the **read-your-writes window** read
//!   from the primary too, so a member always sees their own writes;
//! - every other safe request may read from a replica in rotation.
//!
//! The window is `max_lag + check_interval + check_timeout`: a replica is in rotation
//! only if its last check, at most `check_interval + check_timeout` ago, found it at
//! most `max_lag` behind, so once the window has passed every replica in rotation has
//! the member's write. Who wrote when is kept in Redis when Madang has one (several
//! nodes see the same marks), in process otherwise.
//!
//! A safe request whose replica read failed (the replica died mid-query, say) and that
//! was answered with a server error is run once more on the primary, so losing a
//! replica loses no request.
//!
//! The cache joins in: reads on the primary route bypass it (a value loaded from a
//! lagging replica must not answer a member who just wrote), and every invalidation
//! is repeated once the window has passed, so a stale value another reader loaded
//! from a replica during the lag does not outlive it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use madang_cache::LazyRedis;
use madang_domain::Result;
use madang_domain::cache::{Entry, Loader};
use madang_domain::ports::{Cache, TokenCodec};
use madang_domain::time::Clock;
use madang_http::middleware::{Around, RequestFacts};
use madang_store::ReadRoute;

/// Members who wrote lately, for as long as the read-your-writes window.
pub enum RecentWriters {
    Local(moka::sync::Cache<i64, ()>),
    Redis {
        redis: Box<LazyRedis>,
        prefix: String,
        window: Duration,
    },
}

impl RecentWriters {
    pub fn local(window: Duration) -> Self {
        Self::Local(
            moka::sync::Cache::builder()
                .time_to_live(window)
                .max_capacity(1_000_000)
                .build(),
        )
    }

    pub fn redis(url: &str, prefix: &str, timeout: Duration, window: Duration) -> Result<Self> {
        let redis = LazyRedis::new(url, timeout).map_err(madang_domain::Error::Unavailable)?;
        Ok(Self::Redis {
            redis: Box::new(redis),
            prefix: prefix.to_owned(),
            window,
        })
    }

    async fn mark(&self, user: i64) {
        match self {
            Self::Local(m) => m.insert(user, ()),
            Self::Redis {
                redis,
                prefix,
                window,
            } => {
                let key = format!("{prefix}:wrote:{user}");
                let ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
                let done = async {
                    let mut c = redis.get().await?;
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(1)
                        .arg("PX")
                        .arg(ms)
                        .query_async::<()>(&mut c)
                        .await
                        .map_err(|e| e.to_string())
                };
                if let Err(e) = tokio::time::timeout(redis.timeout(), done)
                    .await
                    .unwrap_or_else(|_| Err("timed out".into()))
                {
                    metrics::counter!("madang_read_routing_errors_total").increment(1);
                    tracing::warn!(error = %e, "could not record a write for read-your-writes");
                }
            }
        }
    }

    /// Whether `user` wrote within the window. When Redis cannot say, the answer is
    /// yes: the primary is always a correct place to read.
    async fn wrote_lately(&self, user: i64) -> bool {
        match self {
            Self::Local(m) => m.contains_key(&user),
            Self::Redis { redis, prefix, .. } => {
                let key = format!("{prefix}:wrote:{user}");
                let asked = async {
                    let mut c = redis.get().await?;
                    redis::cmd("EXISTS")
                        .arg(&key)
                        .query_async::<i64>(&mut c)
                        .await
                        .map_err(|e| e.to_string())
                };
                match tokio::time::timeout(redis.timeout(), asked).await {
                    Ok(Ok(n)) => n > 0,
                    _ => {
                        metrics::counter!("madang_read_routing_errors_total").increment(1);
                        true
                    }
                }
            }
        }
    }
}

/// The [`Around`] hook that puts each request in its read route.
pub struct ReadRouting {
    pub tokens: Arc<dyn TokenCodec>,
    pub clock: Arc<dyn Clock>,
    pub writers: RecentWriters,
}

impl ReadRouting {
    /// The member a safe request's bearer token names, if it is genuine — needed
    /// before the handler runs, to choose the route. Only the signature and expiry are
    /// checked; the handler still authenticates the request in full.
    fn reader(&self, req: &Request) -> Option<i64> {
        let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = madang_http::extract::bearer_token(value)?;
        self.tokens
            .verify_access(token, self.clock.now())
            .ok()
            .map(|c| c.user_id)
    }
}

fn count(route: &'static str) {
    metrics::counter!("madang_read_routes_total", "route" => route).increment(1);
}

#[async_trait]
impl Around for ReadRouting {
    async fn around(&self, req: Request, next: Next) -> Response {
        let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            count("primary");
            // The member the handler authenticated, once it has run: no second token
            // check, and only a member the handler accepted opens a window.
            let facts = req.extensions().get::<RequestFacts>().cloned();
            let (res, _) = ReadRoute::Primary.scope(next.run(req)).await;
            // A write that may have happened (not refused as the client's error)
            // opens the member's window.
            if let Some(user) = facts.and_then(|f| f.user_id())
                && !res.status().is_client_error()
            {
                self.writers.mark(user).await;
            }
            return res;
        }
        if let Some(user) = self.reader(&req)
            && self.writers.wrote_lately(user).await
        {
            count("primary_after_write");
            return ReadRoute::Primary.scope(next.run(req)).await.0;
        }
        count("replica");
        let (parts, body) = req.into_parts();
        let again = Request::from_parts(parts.clone(), Body::empty());
        let (res, report) = ReadRoute::Replica
            .scope(next.clone().run(Request::from_parts(parts, body)))
            .await;
        // Any server error once a replica took part — unreachable, killed mid-query, or
        // behind a migration the primary already has — is worth one try on the primary.
        if res.status().is_server_error() && report.replica_used {
            metrics::counter!("madang_read_retries_total").increment(1);
            tracing::warn!("a read on a replica failed; answering from the primary");
            return ReadRoute::Primary.scope(next.run(again)).await.0;
        }
        res
    }
}

/// The cache, made safe to share with replica reads (see the module notes).
pub struct ReplicaAwareCache {
    pub inner: Arc<dyn Cache>,
    /// How long after an invalidation it is repeated.
    pub repeat_after: Duration,
}

#[async_trait]
impl Cache for ReplicaAwareCache {
    async fn get_or_load<'a>(&self, entry: &Entry, load: Loader<'a>) -> Result<Vec<u8>> {
        if ReadRoute::current() == ReadRoute::Primary {
            return load.await;
        }
        self.inner.get_or_load(entry, load).await
    }

    async fn invalidate(&self, scopes: &[String]) {
        self.inner.invalidate(scopes).await;
        let inner = self.inner.clone();
        let scopes = scopes.to_vec();
        let after = self.repeat_after;
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            inner.invalidate(&scopes).await;
        });
    }
}
