//! The `Cache` port over a generation-stamped store, with single-flight loading.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use madang_domain::cache::{Entry, Loader};
use madang_domain::error::Message;
use madang_domain::ports::Cache;
use madang_domain::{Error, Result};
use rand::Rng;
use tokio::sync::OnceCell;

/// Where stamped values and generations live.
#[async_trait]
pub(crate) trait Store: Send + Sync {
    /// The stamped key for `key` under the current generations of `scopes`, and the
    /// value stored under it. `Err` when the store cannot answer.
    async fn read(
        &self,
        key: &str,
        scopes: &[String],
    ) -> std::result::Result<(String, Option<Vec<u8>>), ()>;
    async fn get(&self, stamped: &str) -> std::result::Result<Option<Vec<u8>>, ()>;
    async fn put(&self, stamped: &str, value: &[u8], ttl: Duration);
    /// Bumps the generations of `scopes`; `Err` if that could not be done.
    async fn bump(&self, scopes: &[String]) -> std::result::Result<(), ()>;
    /// `true` while an invalidation is still undelivered: reads must bypass the store.
    fn degraded(&self) -> bool {
        false
    }
}

type Flight = Arc<OnceCell<Arc<Result<Vec<u8>>>>>;

/// The cache: a store plus single-flight loading and metrics.
pub struct CacheService {
    store: Arc<dyn Store>,
    backend: &'static str,
    inflight: Mutex<HashMap<String, Flight>>,
}

impl CacheService {
    pub fn local(store: crate::LocalStore) -> Self {
        Self::new(Arc::new(store), "local")
    }

    pub fn redis(store: crate::RedisStore) -> Self {
        Self::new(Arc::new(store), "redis")
    }

    fn new(store: Arc<dyn Store>, backend: &'static str) -> Self {
        Self {
            store,
            backend,
            inflight: Mutex::new(HashMap::new()),
        }
    }

    fn flight(&self, stamped: &str) -> Flight {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(stamped.to_owned()).or_default().clone()
    }

    fn land(&self, stamped: &str, flight: &Flight) {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(stamped).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            map.remove(stamped);
        }
    }

    fn count(&self, kind: &'static str, result: &'static str) {
        metrics::counter!("madang_cache_requests_total", "backend" => self.backend, "kind" => kind, "result" => result)
            .increment(1);
    }
}

/// A time to live spread by ±10 %, so entries written together do not expire together.
fn jitter(ttl: Duration) -> Duration {
    let f = rand::rng().random_range(0.9..1.1);
    ttl.mul_f64(f)
}

/// A copy of a shared load's error for each waiter.
fn duplicate(e: &Error) -> Error {
    match e {
        Error::NotFound(what) => Error::NotFound(what),
        Error::Unavailable(m) => Error::Unavailable(m.clone()),
        Error::Forbidden(m) => Error::Forbidden(m.clone()),
        Error::BadRequest(m) => Error::BadRequest(m.clone()),
        other => Error::internal(Message(other.to_string())),
    }
}

#[async_trait]
impl Cache for CacheService {
    async fn get_or_load<'a>(&self, entry: &Entry, load: Loader<'a>) -> Result<Vec<u8>> {
        if self.store.degraded() {
            self.count(entry.kind, "bypass");
            return load.await;
        }
        let stamped = match self.store.read(&entry.key, &entry.scopes).await {
            Ok((_, Some(v))) => {
                self.count(entry.kind, "hit");
                return Ok(v);
            }
            Ok((stamped, None)) => stamped,
            Err(()) => {
                self.count(entry.kind, "error");
                return load.await;
            }
        };
        self.count(entry.kind, "miss");
        let flight = self.flight(&stamped);
        let result = flight
            .get_or_init(|| async {
                // A flight that landed just before this one began may have stored it.
                if let Ok(Some(v)) = self.store.get(&stamped).await {
                    return Arc::new(Ok(v));
                }
                metrics::counter!("madang_cache_loads_total", "backend" => self.backend, "kind" => entry.kind)
                    .increment(1);
                let loaded = load.await;
                if let Ok(v) = &loaded {
                    self.store.put(&stamped, v, jitter(entry.ttl)).await;
                }
                Arc::new(loaded)
            })
            .await
            .clone();
        self.land(&stamped, &flight);
        match result.as_ref() {
            Ok(v) => Ok(v.clone()),
            Err(e) => Err(duplicate(e)),
        }
    }

    async fn invalidate(&self, scopes: &[String]) {
        if self.store.bump(scopes).await.is_err() {
            metrics::counter!("madang_cache_errors_total", "backend" => self.backend, "op" => "invalidate").increment(1);
        }
    }
}

/// No caching at all: every read loads (`MADANG_CACHE=off`, and benchmarks' baseline).
pub struct Passthrough;

#[async_trait]
impl Cache for Passthrough {
    async fn get_or_load<'a>(&self, _: &Entry, load: Loader<'a>) -> Result<Vec<u8>> {
        load.await
    }

    async fn invalidate(&self, _: &[String]) {}
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::LocalStore;

    fn cache() -> Arc<CacheService> {
        Arc::new(CacheService::local(LocalStore::new(16 * 1024 * 1024)))
    }

    async fn read(c: &CacheService, id: i64, loads: &AtomicUsize, value: &str) -> Result<Vec<u8>> {
        let v = value.as_bytes().to_vec();
        c.get_or_load(
            &Entry::post(id),
            Box::pin(async move {
                loads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(v)
            }),
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_misses_load_once() {
        let c = cache();
        let loads = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..500)
            .map(|_| {
                let (c, loads) = (c.clone(), loads.clone());
                tokio::spawn(async move { read(&c, 1, &loads, "a").await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), b"a");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert_eq!(
            read(&c, 1, &loads, "b").await.unwrap(),
            b"a",
            "then served from the cache"
        );
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidation_makes_the_next_read_load() {
        let c = cache();
        let loads = AtomicUsize::new(0);
        read(&c, 1, &loads, "old").await.unwrap();
        c.invalidate(&[madang_domain::cache::scope::post(1)]).await;
        assert_eq!(read(&c, 1, &loads, "new").await.unwrap(), b"new");
        assert_eq!(read(&c, 2, &loads, "other").await.unwrap(), b"other");
        c.invalidate(&[madang_domain::cache::scope::NAMES.to_owned()])
            .await;
        assert_eq!(
            read(&c, 2, &loads, "renamed").await.unwrap(),
            b"renamed",
            "shared scopes reach every entry"
        );
        assert_eq!(loads.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_load_that_raced_a_write_is_never_served_after_it() {
        let c = cache();
        let loads = AtomicUsize::new(0);
        // A load begins (generations read), the write invalidates, then the load stores.
        let entry = Entry::post(9);
        let racing = c.get_or_load(
            &entry,
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(b"before the write".to_vec())
            }),
        );
        let write = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            c.invalidate(&[madang_domain::cache::scope::post(9)]).await;
        };
        let (raced, ()) = tokio::join!(racing, write);
        assert_eq!(raced.unwrap(), b"before the write");
        assert_eq!(
            read(&c, 9, &loads, "after the write").await.unwrap(),
            b"after the write"
        );
    }

    #[tokio::test]
    async fn failed_loads_are_shared_and_not_stored() {
        let c = cache();
        let e = c
            .get_or_load(
                &Entry::post(3),
                Box::pin(async { Err(Error::NotFound("post")) }),
            )
            .await;
        assert!(matches!(e, Err(Error::NotFound("post"))));
        let loads = AtomicUsize::new(0);
        assert_eq!(read(&c, 3, &loads, "now here").await.unwrap(), b"now here");
    }

    #[tokio::test]
    async fn passthrough_always_loads() {
        let loads = AtomicUsize::new(0);
        for _ in 0..3 {
            Passthrough
                .get_or_load(
                    &Entry::post(1),
                    Box::pin(async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        Ok(vec![])
                    }),
                )
                .await
                .unwrap();
        }
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }
}
