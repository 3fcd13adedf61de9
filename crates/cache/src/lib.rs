//! Madang's cache adapters behind the domain's `Cache` port: in-process (moka) for a
//! single node, Redis for several. The view counter's buffer (`ViewBuffer`), the other
//! short-lived shared state, lives here too, in process and in Redis.
//!
//! **Freshness across nodes.** Every scope (`post:42`, `names`, …) has a generation
//! number. A value is stored under its key *and* the generations of its scopes as they
//! were when its load began (`v1:post:42@3.17`). A write bumps the generations of the
//! scopes it changed before its response is sent, so every later read computes a new
//! key and misses; a load that raced with the write can only store its (possibly old)
//! value under the old generations, which nobody reads any more. Nothing is deleted,
//! entries simply expire.
//!
//! **Stampedes.** Concurrent misses of one key on one node share one load.
//!
//! **Outages.** A Redis that is down or slow is a miss after a short timeout; the
//! failure is counted and logged at most every few seconds; the connection is
//! re-established in the background. An invalidation that could not be delivered is
//! retried until it is, and until then this node bypasses the cache.

mod connect;
mod local;
mod redis_store;
mod service;
mod views;

pub use connect::LazyRedis;
pub use local::LocalStore;
pub use redis_store::{RedisSettings, RedisStore};
pub use service::{CacheService, Passthrough};
pub use views::{LOCAL_DEDUP_CAP, LocalViews, RedisViews};
