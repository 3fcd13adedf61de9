//! Allowances in process: the same GCRA as the Redis script, over a sharded map.
//!
//! Written by hand rather than with `governor`: log-in throttling gives back what a
//! successful log-in took (only failures may count against an account), and governor
//! has no way to return a cell; one algorithm in both adapters also keeps a node that
//! falls back from Redis answering exactly as Redis would.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use madang_domain::limits::{Action, Decision, Quota, Quotas, RateLimiter, Scope};

/// How often keys back at a full allowance are dropped, so memory follows the
/// clients of the last minutes rather than every client ever seen.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
const SHARDS: usize = 64;

type Key = (Action, Scope, String);

struct Inner {
    quotas: Quotas,
    /// Each key's theoretical arrival time, in nanoseconds since `start`.
    shards: Vec<Mutex<HashMap<Key, u64>>>,
    hasher: RandomState,
    start: Instant,
}

#[derive(Clone)]
pub struct LocalLimiter(Arc<Inner>);

impl LocalLimiter {
    /// The allowances of `quotas`. Starts a sweeper on the current Tokio runtime, if
    /// there is one, that ends when the limiter is dropped.
    pub fn new(quotas: &Quotas) -> Self {
        let me = Self(Arc::new(Inner {
            quotas: quotas.clone(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            start: Instant::now(),
        }));
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&me.0);
            rt.spawn(async move {
                loop {
                    tokio::time::sleep(SWEEP_EVERY).await;
                    let Some(inner) = weak.upgrade() else { break };
                    LocalLimiter(inner).sweep();
                }
            });
        }
        me
    }

    fn now(&self) -> u64 {
        self.0.start.elapsed().as_nanos() as u64
    }

    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, u64>> {
        let i = self.0.hasher.hash_one(key) as usize % SHARDS;
        &self.0.shards[i]
    }

    fn quota(&self, action: Action, scope: Scope) -> Option<(u64, u64)> {
        self.0.quotas.get(action, scope).map(|q: Quota| {
            let interval = (q.interval().as_nanos() as u64).max(1);
            (interval, u64::from(q.count))
        })
    }

    /// The decision, synchronously (the Redis adapter's fallback uses it too).
    pub fn decide(&self, action: Action, scope: Scope, subject: &str) -> Decision {
        let Some((interval, burst)) = self.quota(action, scope) else {
            return Decision::Allowed;
        };
        let key = (action, scope, subject.to_owned());
        let now = self.now();
        let mut map = self.shard(&key).lock().unwrap_or_else(|p| p.into_inner());
        let tat = map.get(&key).copied().unwrap_or(now).max(now);
        let new_tat = tat.saturating_add(interval);
        let allow_at = new_tat.saturating_sub(burst.saturating_mul(interval));
        if now < allow_at {
            drop(map);
            super::count_refusal(action, scope);
            return Decision::Refused {
                retry_after: Duration::from_nanos(allow_at - now),
            };
        }
        map.insert(key, new_tat);
        Decision::Allowed
    }

    /// Returns one request to `subject`'s allowance.
    pub fn restore(&self, action: Action, scope: Scope, subject: &str) {
        let Some((interval, _)) = self.quota(action, scope) else {
            return;
        };
        let key = (action, scope, subject.to_owned());
        let now = self.now();
        let mut map = self.shard(&key).lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tat) = map.get_mut(&key) {
            *tat = tat.saturating_sub(interval);
            if *tat <= now {
                map.remove(&key);
            }
        }
    }

    fn sweep(&self) {
        let now = self.now();
        for shard in &self.0.shards {
            let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|_, tat| *tat > now);
            map.shrink_to_fit();
        }
    }

    /// Keys held now, over every action.
    #[cfg(test)]
    fn keys(&self) -> usize {
        self.0
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn take(&self, action: Action, scope: Scope, subject: &str) -> Decision {
        self.decide(action, scope, subject)
    }

    async fn give_back(&self, action: Action, scope: Scope, subject: &str) {
        self.restore(action, scope, subject);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas(post: &str) -> Quotas {
        let mut q = Quotas::default();
        q.set("post", post).unwrap();
        q
    }

    #[tokio::test]
    async fn a_burst_is_allowed_then_refused_with_the_wait() {
        let l = LocalLimiter::new(&quotas("3/1m"));
        for _ in 0..3 {
            assert_eq!(
                l.take(Action::Post, Scope::Member, "7").await,
                Decision::Allowed
            );
        }
        let Decision::Refused { retry_after } = l.take(Action::Post, Scope::Member, "7").await
        else {
            panic!("the fourth post in a minute must be refused");
        };
        // One post is earned back every 20 s.
        assert!(
            retry_after > Duration::from_secs(19) && retry_after <= Duration::from_secs(20),
            "{retry_after:?}"
        );
        // A refusal takes nothing: the wait does not grow.
        let Decision::Refused { retry_after: again } =
            l.take(Action::Post, Scope::Member, "7").await
        else {
            panic!("still refused");
        };
        assert!(again <= retry_after);
        // Another member, and the client scope, are other allowances.
        assert_eq!(
            l.take(Action::Post, Scope::Member, "8").await,
            Decision::Allowed
        );
        assert_eq!(
            l.take(Action::Post, Scope::Client, "7").await,
            Decision::Allowed
        );
        assert_eq!(l.keys(), 3);
    }

    #[tokio::test]
    async fn allowance_comes_back_with_time_or_when_given_back() {
        let l = LocalLimiter::new(&quotas("2/1s"));
        assert_eq!(
            l.decide(Action::Post, Scope::Member, "1"),
            Decision::Allowed
        );
        assert_eq!(
            l.decide(Action::Post, Scope::Member, "1"),
            Decision::Allowed
        );
        assert!(matches!(
            l.decide(Action::Post, Scope::Member, "1"),
            Decision::Refused { .. }
        ));
        l.restore(Action::Post, Scope::Member, "1");
        assert_eq!(
            l.decide(Action::Post, Scope::Member, "1"),
            Decision::Allowed
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            l.decide(Action::Post, Scope::Member, "1"),
            Decision::Allowed
        );
        // Given back below a full allowance, the key is forgotten.
        l.restore(Action::Post, Scope::Member, "1");
        l.restore(Action::Post, Scope::Member, "1");
        l.restore(Action::Post, Scope::Member, "1");
        assert_eq!(l.keys(), 0);
        // Actions without a quota for the scope are not limited.
        for _ in 0..10 {
            assert_eq!(
                l.decide(Action::SignUp, Scope::Member, "1"),
                Decision::Allowed
            );
        }
    }

    #[test]
    fn concurrent_takes_never_exceed_the_burst() {
        let l = LocalLimiter::new(&quotas("50/1h"));
        let allowed = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..100 {
                        if l.decide(Action::Post, Scope::Member, "racer") == Decision::Allowed {
                            allowed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(allowed.into_inner(), 50);
    }
}
