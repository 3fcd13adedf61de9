//! Allowances shared by every node: one GCRA script in Redis per check.
//!
//! The script reads the key's theoretical arrival time, decides and writes it back in
//! one atomic step, on Redis's own clock, so nodes with skewed clocks still agree.
//! Written by hand because the crates for it are either in process only
//! (`governor`) or need a Redis module (`redis-cell`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use madang_cache::LazyRedis;
use madang_domain::limits::{Action, Decision, Quotas, RateLimiter, Scope};

use crate::LocalLimiter;

/// GCRA over milliseconds on the server's clock (13 digits, exact in Lua's numbers
/// and in their `%.14g` printing). Answers -1 when allowed, else the milliseconds to
/// wait; `give_back` returns one request. The key lives only as long as it differs
/// from a full allowance.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if ARGV[3] == 'give_back' then
  if tat == nil then return -1 end
  tat = tat - interval
  if tat <= now then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], tat, 'PX', tat - now)
  end
  return -1
end
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return allow_at - now
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return -1
";

/// How often a failing Redis is reported in the log.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// After a failure, checks skip Redis this long, so an outage costs requests the
/// fallback's microseconds rather than a timeout each.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

pub struct RedisLimiter {
    redis: LazyRedis,
    prefix: String,
    quotas: Quotas,
    script: redis::Script,
    fallback: LocalLimiter,
    last_report: Mutex<Option<Instant>>,
    down_until: Mutex<Option<Instant>>,
}

impl RedisLimiter {
    /// Contacts Redis on first use; until it answers, checks fall back to this node.
    pub fn new(
        url: &str,
        timeout: Duration,
        prefix: &str,
        quotas: &Quotas,
    ) -> Result<Arc<Self>, String> {
        Ok(Arc::new(Self {
            redis: LazyRedis::new(url, timeout)?,
            prefix: prefix.to_owned(),
            quotas: quotas.clone(),
            script: redis::Script::new(GCRA),
            fallback: LocalLimiter::new(quotas),
            last_report: Mutex::new(None),
            down_until: Mutex::new(None),
        }))
    }

    async fn shared(
        &self,
        action: Action,
        scope: Scope,
        subject: &str,
        op: &str,
    ) -> Result<i64, String> {
        let Some(quota) = self.quotas.get(action, scope) else {
            return Ok(-1);
        };
        if self
            .down_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|t| Instant::now() < t)
        {
            return Err("skipped after a recent failure".to_owned());
        }
        let interval_ms = (quota.interval().as_millis() as u64).max(1);
        let mut conn = self.redis.get().await?;
        let key = format!(
            "{}:rl:{}:{}:{subject}",
            self.prefix,
            action.name(),
            scope.name()
        );
        let mut invocation = self.script.key(key);
        invocation.arg(interval_ms).arg(quota.count).arg(op);
        let call = invocation.invoke_async::<i64>(&mut conn);
        tokio::time::timeout(self.redis.timeout(), call)
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())
    }

    fn report(&self, error: &str) {
        metrics::counter!("madang_rate_limit_fallback_total").increment(1);
        {
            let mut down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
            if down.is_none_or(|t| Instant::now() >= t) {
                *down = Some(Instant::now() + RETRY_AFTER_FAILURE);
            }
        }
        let mut last = self.last_report.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(error, "Redis rate limits unavailable; limiting per node");
        }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn take(&self, action: Action, scope: Scope, subject: &str) -> Decision {
        match self.shared(action, scope, subject, "take").await {
            Ok(wait) if wait < 0 => Decision::Allowed,
            Ok(wait) => {
                crate::count_refusal(action, scope);
                Decision::Refused {
                    retry_after: Duration::from_millis(wait as u64),
                }
            }
            Err(e) => {
                self.report(&e);
                self.fallback.decide(action, scope, subject)
            }
        }
    }

    async fn give_back(&self, action: Action, scope: Scope, subject: &str) {
        if let Err(e) = self.shared(action, scope, subject, "give_back").await {
            self.report(&e);
            self.fallback.restore(action, scope, subject);
        }
    }
}
