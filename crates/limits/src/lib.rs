//! Madang's rate-limit adapters behind the domain's [`RateLimiter`] port.
//!
//! - [`LocalLimiter`]: one node's allowances in process, the same GCRA over a
//!   sharded map.
//! - [`RedisLimiter`]: allowances shared by every node, one atomic GCRA script per
//!   check, so two nodes can never both spend the last request. When Redis does not
//!   answer in time the check falls back to this node's own allowances: a Redis
//!   outage loosens the limits to per node, it never fails a request. The fallback is
//!   counted and logged at most every 10 s.
//!
//! Every refusal is counted in `madang_rate_limited_total{action,scope}`.

mod local;
mod redis_gcra;

pub use local::LocalLimiter;
pub use redis_gcra::RedisLimiter;

use madang_domain::limits::{Action, Scope};

fn count_refusal(action: Action, scope: Scope) {
    metrics::counter!(
        "madang_rate_limited_total",
        "action" => action.name(),
        "scope" => scope.name()
    )
    .increment(1);
}
