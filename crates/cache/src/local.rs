//! The in-process store: moka for values (bounded by bytes, per-entry time to live)
//! and a map of scope generations.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::future::Cache as Moka;

use crate::service::Store;

/// Scopes tracked before the generation map is reset (with a new epoch, so no value
/// stored under the old generations can be read again).
const MAX_SCOPES: usize = 200_000;

#[derive(Clone)]
struct Value {
    bytes: std::sync::Arc<Vec<u8>>,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Value> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, v: &Value, _: Instant) -> Option<Duration> {
        Some(v.ttl)
    }
}

pub struct LocalStore {
    values: Moka<String, Value>,
    generations: Mutex<HashMap<String, u64>>,
    epoch: AtomicU64,
}

impl LocalStore {
    /// A store holding at most `max_bytes` of values.
    pub fn new(max_bytes: u64) -> Self {
        let values = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &String, v: &Value| {
                (k.len() + v.bytes.len()).try_into().unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        Self {
            values,
            generations: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }

    fn stamp(&self, key: &str, scopes: &[String]) -> String {
        let gens = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        let mut s = format!("{key}@{}", self.epoch.load(Ordering::SeqCst));
        for scope in scopes {
            s.push('.');
            s.push_str(&gens.get(scope).copied().unwrap_or(0).to_string());
        }
        s
    }
}

#[async_trait]
impl Store for LocalStore {
    async fn read(&self, key: &str, scopes: &[String]) -> Result<(String, Option<Vec<u8>>), ()> {
        let stamped = self.stamp(key, scopes);
        let v = self
            .values
            .get(&stamped)
            .await
            .map(|v| v.bytes.as_ref().clone());
        Ok((stamped, v))
    }

    async fn get(&self, stamped: &str) -> Result<Option<Vec<u8>>, ()> {
        Ok(self
            .values
            .get(stamped)
            .await
            .map(|v| v.bytes.as_ref().clone()))
    }

    async fn put(&self, stamped: &str, value: &[u8], ttl: Duration) {
        let v = Value {
            bytes: std::sync::Arc::new(value.to_vec()),
            ttl,
        };
        self.values.insert(stamped.to_owned(), v).await;
    }

    async fn bump(&self, scopes: &[String]) -> Result<(), ()> {
        let mut gens = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        if gens.len() + scopes.len() > MAX_SCOPES {
            gens.clear();
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        for s in scopes {
            *gens.entry(s.clone()).or_insert(0) += 1;
        }
        Ok(())
    }
}
