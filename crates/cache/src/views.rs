//! The domain's `ViewBuffer`: where reads are deduplicated and their counts wait for a
//! flush.
//!
//! - [`LocalViews`], in process, for one node. Deduplication remembers each (post,
//!   viewer) for the window in a map with a **cap**: every entry lives the same time,
//!   so insertion order is expiry order, and a queue in that order drops the expired
//!   entries first and, when the cap is reached, the oldest live ones (such a viewer
//!   may count again within the window). At 64 bytes or so an entry, the default cap
//!   of 500,000 bounds it near 32 MiB.
//! - [`RedisViews`], shared by every node: each node queues its first read of a pair
//!   without a round trip, and its flush sends the queue to Redis, where one key per
//!   (post, viewer) with the window as its TTL decides what counts, and one hash of
//!   pending counts waits for any node's flush to take it whole.

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

/// Which (post, viewer) pairs were seen in the window, with a cap.
#[derive(Default)]
struct Seen {
    /// (post, viewer hash) → when the entry stops counting as seen.
    until: HashMap<(i64, u64), i64>,
    /// The same entries in the order they were added (= the order they expire).
    order: VecDeque<(i64, (i64, u64))>,
}

impl Seen {
    /// Marks the pair seen at `now` for `window_ms`; answers whether it was not yet.
    fn first(&mut self, key: (i64, u64), now: i64, window_ms: i64, cap: usize) -> bool {
        while let Some(&(until, k)) = self.order.front() {
            if until > now && self.order.len() < cap {
                break;
            }
            self.order.pop_front();
            // A key seen again after it expired was queued anew: drop it only if this
            // queue entry is its latest.
            if self.until.get(&k) == Some(&until) {
                self.until.remove(&k);
            }
        }
        if self.until.get(&key).is_some_and(|&until| until > now) {
            return false;
        }
        let until = now.saturating_add(window_ms);
        self.until.insert(key, until);
        self.order.push_back((until, key));
        true
    }
}

#[derive(Default)]
struct Local {
    seen: Seen,
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
            window_ms: window_ms(window),
        }
    }

    /// How many (post, viewer) pairs are remembered now.
    pub fn remembered(&self) -> usize {
        lock(&self.inner).seen.until.len()
    }
}

fn window_ms(window: Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
        let mut l = lock(&self.inner);
        if !l.seen.first(key, now.millis(), self.window_ms, self.cap) {
            return false;
        }
        *l.pending.entry(post_id).or_insert(0) += 1;
        true
    }

    async fn take(&self) -> Result<Vec<(i64, i64)>> {
        Ok(std::mem::take(&mut lock(&self.inner).pending)
            .into_iter()
            .collect())
    }

    async fn restore(&self, counts: &[(i64, i64)]) -> Result<()> {
        let mut g = lock(&self.inner);
        for (id, n) in counts {
            *g.pending.entry(*id).or_insert(0) += n;
        }
        Ok(())
    }
}

/// Marks each viewer seen for the window and counts the views of those who were not:
/// `KEYS[1]` is the pending hash, `KEYS[i]` (i ≥ 2) a (post, viewer) key whose post id
/// is `ARGV[i]`; `ARGV[1]` is the window in milliseconds. Answers how many counted.
const RECORD_SCRIPT: &str = r"
local n = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[1]) then
    redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
    n = n + 1
  end
end
return n
";

/// Answers the pending counts and removes them, atomically.
const TAKE_SCRIPT: &str = r"
local v = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return v
";

/// (post, viewer) pairs one script call sends.
const SEND_BATCH: usize = 1_000;

/// Reads waiting to be sent to Redis: this node's first read of each pair in the
/// window, in the order they came.
#[derive(Default)]
struct Outbox {
    seen: Seen,
    unsent: Vec<(i64, String)>,
}

/// Shared by every node. A read costs no round trip: the node remembers the pairs it
/// has seen (as [`LocalViews`] does, with the same cap) and queues its first read of
/// each; a flush sends the queue, [`SEND_BATCH`] pairs a script call, before it takes the
/// pending counts. Redis decides what counts: one key per (post, viewer) with the window
/// as its TTL (so Redis's own expiry bounds that memory), set only if absent, so a
/// viewer read through two nodes counts once. A node that dies loses its unsent queue,
/// one flush interval at most; a send that fails is queued again for the next flush.
pub struct RedisViews {
    redis: LazyRedis,
    prefix: String,
    record: redis::Script,
    take: redis::Script,
    window_ms: i64,
    cap: usize,
    outbox: Mutex<Outbox>,
}

impl RedisViews {
    pub fn new(url: &str, timeout: Duration, prefix: &str, cap: usize) -> Result<Self, String> {
        Ok(Self {
            redis: LazyRedis::new(url, timeout)?,
            prefix: prefix.to_owned(),
            record: redis::Script::new(RECORD_SCRIPT),
            take: redis::Script::new(TAKE_SCRIPT),
            window_ms: window_ms(VIEW_WINDOW),
            cap: cap.max(1),
            outbox: Mutex::new(Outbox::default()),
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

    /// Sends the queued reads; on a failure the unsent rest goes back to the queue.
    async fn send(&self) -> Result<()> {
        let queued = std::mem::take(&mut lock(&self.outbox).unsent);
        let mut rest = queued.as_slice();
        while !rest.is_empty() {
            let (batch, after) = rest.split_at(rest.len().min(SEND_BATCH));
            if let Err(e) = self.send_batch(batch).await {
                let mut o = lock(&self.outbox);
                let newer = std::mem::take(&mut o.unsent);
                o.unsent = rest.iter().cloned().chain(newer).collect();
                return Err(e);
            }
            rest = after;
        }
        Ok(())
    }

    async fn send_batch(&self, batch: &[(i64, String)]) -> Result<()> {
        let mut c = self.conn().await?;
        let mut call = self.record.key(self.pending_key());
        call.arg(self.window_ms);
        for (post_id, viewer) in batch {
            call.key(format!("{}:views:seen:{post_id}:{viewer}", self.prefix))
                .arg(*post_id);
        }
        call.invoke_async::<i64>(&mut c)
            .await
            .map(|_| ())
            .map_err(|e| unavailable(&e))
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

    async fn record(&self, post_id: i64, viewer: &ViewerKey, now: Timestamp) -> bool {
        let key = (post_id, viewer_hash(viewer));
        let mut o = lock(&self.outbox);
        if !o.seen.first(key, now.millis(), self.window_ms, self.cap) {
            return false;
        }
        if o.unsent.len() >= self.cap {
            // Redis has been away for long: the newest reads go uncounted.
            metrics::counter!("madang_views_lost_total").increment(1);
            return false;
        }
        o.unsent.push((post_id, viewer.as_str().to_owned()));
        true
    }

    async fn take(&self) -> Result<Vec<(i64, i64)>> {
        self.send().await?;
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
