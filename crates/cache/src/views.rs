//! The domain's `ViewBuffer`: where reads are deduplicated and their counts wait for a
//! flush.
//!
//! - [`LocalViews`], in process, for one node. Deduplication remembers each (post,
//!   viewer) for the window in a map with a **cap**: every entry lives the same time,
//!   so insertion order is expiry order, and a queue in that order drops the expired
//!   entries first and, when the cap is reached, the oldest live ones (such a viewer
//!   may count again within the window). At 64 bytes or so an entry, the default cap
//!   of 500,000 bounds it near 32 MiB.
//! - [`RedisViews`], shared by every node: one key per (post, viewer) with the window
//!   as its TTL, so Redis's own expiry bounds the memory, and one hash of pending
//!   counts that any node's flush takes whole.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use madang_domain::views::{VIEW_WINDOW, ViewBuffer, ViewerKey};
use madang_domain::{Error, Result, Timestamp};

use crate::connect::LazyRedis;

/// Default most (post, viewer) pairs one node remembers.
pub const LOCAL_DEDUP_CAP: usize = 500_000;

#[derive(Default)]
struct Local {
    /// (post, viewer hash) → when the entry stops counting as seen.
    seen: HashMap<(i64, u64), i64>,
    /// The same entries in the order they were added (= the order they expire).
    order: VecDeque<(i64, (i64, u64))>,
    pending: HashMap<i64, i64>,
}

pub struct LocalViews {
    inner: Mutex<Local>,
    cap: usize,
    window_ms: i64,
}

impl LocalViews {
    pub fn new(cap: usize) -> Self {
        Self::with_window(cap, VIEW_WINDOW)
    }

    pub fn with_window(cap: usize, window: Duration) -> Self {
        Self {
            inner: Mutex::new(Local::default()),
            cap: cap.max(1),
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// How many (post, viewer) pairs are remembered now.
    pub fn remembered(&self) -> usize {
        self.lock().seen.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Local> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn viewer_hash(v: &ViewerKey) -> u64 {
    let mut h = DefaultHasher::new();
    v.as_str().hash(&mut h);
    h.finish()
}

#[async_trait]
impl ViewBuffer for LocalViews {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn record(&self, post_id: i64, viewer: &ViewerKey, now: Timestamp) -> bool {
        let key = (post_id, viewer_hash(viewer));
        let now = now.millis();
        let mut g = self.lock();
        let l = &mut *g;
        while let Some(&(until, k)) = l.order.front() {
            if until > now && l.order.len() < self.cap {
                break;
            }
            l.order.pop_front();
            // A key seen again after it expired was queued anew: drop it only if this
            // queue entry is its latest.
            if l.seen.get(&k) == Some(&until) {
                l.seen.remove(&k);
            }
        }
        if l.seen.get(&key).is_some_and(|&until| until > now) {
            return false;
        }
        let until = now.saturating_add(self.window_ms);
        l.seen.insert(key, until);
        l.order.push_back((until, key));
        *l.pending.entry(post_id).or_insert(0) += 1;
        true
    }

    async fn take(&self) -> Result<Vec<(i64, i64)>> {
        Ok(std::mem::take(&mut self.lock().pending)
            .into_iter()
            .collect())
    }

    async fn restore(&self, counts: &[(i64, i64)]) -> Result<()> {
        let mut g = self.lock();
        for (id, n) in counts {
            *g.pending.entry(*id).or_insert(0) += n;
        }
        Ok(())
    }
}

/// Marks the viewer seen for the window and, if they were not, counts the view.
const RECORD_SCRIPT: &str = r"
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  return 1
end
return 0
";

/// Answers the pending counts and removes them, atomically.
const TAKE_SCRIPT: &str = r"
local v = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return v
";

pub struct RedisViews {
    redis: LazyRedis,
    prefix: String,
    record: redis::Script,
    take: redis::Script,
    window_ms: i64,
}

impl RedisViews {
    pub fn new(url: &str, timeout: Duration, prefix: &str) -> Result<Self, String> {
        Ok(Self {
            redis: LazyRedis::new(url, timeout)?,
            prefix: prefix.to_owned(),
            record: redis::Script::new(RECORD_SCRIPT),
            take: redis::Script::new(TAKE_SCRIPT),
            window_ms: i64::try_from(VIEW_WINDOW.as_millis()).unwrap_or(i64::MAX),
        })
    }

    fn pending_key(&self) -> String {
        format!("{}:views:pending", self.prefix)
    }

    async fn conn(&self) -> Result<redis::aio::ConnectionManager> {
        self.redis
            .get()
            .await
            .map_err(|e| Error::Unavailable(format!("Redis for view counts: {e}")))
    }
}

fn unavailable(e: &redis::RedisError) -> Error {
    Error::Unavailable(format!("Redis for view counts: {e}"))
}

#[async_trait]
impl ViewBuffer for RedisViews {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn record(&self, post_id: i64, viewer: &ViewerKey, _now: Timestamp) -> bool {
        let seen = format!("{}:views:seen:{post_id}:{}", self.prefix, viewer.as_str());
        let result = match self.conn().await {
            Ok(mut c) => self
                .record
                .key(seen)
                .key(self.pending_key())
                .arg(self.window_ms)
                .arg(post_id)
                .invoke_async::<i64>(&mut c)
                .await
                .map_err(|e| unavailable(&e)),
            Err(e) => Err(e),
        };
        match result {
            Ok(n) => n == 1,
            Err(e) => {
                metrics::counter!("madang_views_lost_total").increment(1);
                tracing::debug!(error = %e, "a view was not counted");
                false
            }
        }
    }

    async fn take(&self) -> Result<Vec<(i64, i64)>> {
        let mut c = self.conn().await?;
        let flat: Vec<(i64, i64)> = self
            .take
            .key(self.pending_key())
            .invoke_async(&mut c)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(flat)
    }

    async fn restore(&self, counts: &[(i64, i64)]) -> Result<()> {
        let mut c = self.conn().await?;
        let mut pipe = redis::pipe();
        for (id, n) in counts {
            pipe.hincr(self.pending_key(), *id, *n).ignore();
        }
        pipe.query_async::<()>(&mut c)
            .await
            .map_err(|e| unavailable(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[tokio::test]
    async fn one_view_per_viewer_and_post_per_window() {
        let v = LocalViews::with_window(100, Duration::from_millis(24 * HOUR as u64));
        let (a, b) = (ViewerKey::member(1), ViewerKey::member(2));
        assert!(v.record(10, &a, Timestamp(0)).await);
        assert!(!v.record(10, &a, Timestamp(HOUR)).await, "same day");
        assert!(v.record(10, &b, Timestamp(HOUR)).await, "another viewer");
        assert!(v.record(11, &a, Timestamp(HOUR)).await, "another post");
        assert!(
            v.record(10, &a, Timestamp(24 * HOUR)).await,
            "a day later it counts again"
        );
        let mut taken = v.take().await.unwrap();
        taken.sort_unstable();
        assert_eq!(taken, vec![(10, 3), (11, 1)]);
        assert!(
            v.take().await.unwrap().is_empty(),
            "a take empties the buffer"
        );
        v.restore(&[(10, 3)]).await.unwrap();
        assert_eq!(v.take().await.unwrap(), vec![(10, 3)]);
    }

    #[tokio::test]
    async fn memory_stays_under_the_cap() {
        let v = LocalViews::with_window(3, Duration::from_millis(24 * HOUR as u64));
        for viewer in 0..10 {
            assert!(
                v.record(1, &ViewerKey::member(viewer), Timestamp(viewer))
                    .await
            );
            assert!(v.remembered() <= 3, "{} remembered", v.remembered());
        }
        // The newest are remembered; the oldest were let go and count again.
        assert!(!v.record(1, &ViewerKey::member(9), Timestamp(20)).await);
        assert!(v.record(1, &ViewerKey::member(0), Timestamp(20)).await);
    }

    #[tokio::test]
    async fn expired_entries_go_first() {
        let v = LocalViews::with_window(1000, Duration::from_millis(10));
        for viewer in 0..100 {
            v.record(1, &ViewerKey::member(viewer), Timestamp(0)).await;
        }
        assert_eq!(v.remembered(), 100);
        v.record(2, &ViewerKey::member(0), Timestamp(11)).await;
        assert_eq!(
            v.remembered(),
            1,
            "everything older than the window is gone"
        );
    }
}
