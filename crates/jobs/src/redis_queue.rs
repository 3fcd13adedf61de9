//! The job queue on Redis, for several nodes: a stream with a consumer group carries the
//! deliveries, a hash per job keeps its record.
//!
//! - **Delivery.** Ready jobs are stream entries read with `XREADGROUP`. A reserved job's
//!   lease expiry sits in a sorted set; heartbeats push it back. An entry whose lease ran
//!   out (its worker died, or stopped heartbeating) stays pending in the stream and is
//!   handed to the next worker that asks, with `XCLAIM`.
//! - **Delays.** Jobs not due yet (retries with backoff, jobs scheduled ahead) wait in a
//!   sorted set by due time and are moved to the stream when due.
//! - **Records.** `job:{id}` holds kind, payload, state, attempts and the last error;
//!   sorted sets index live, dead and done jobs for listing, retrying and purging.
//! - **Entry.** Jobs come from the database outbox; relaying is idempotent (a job hash
//!   that exists already is not enqueued again), so a relay that died between
//!   publishing and deleting the outbox row publishes nothing twice.
//!
//! Each step that touches several keys is one Lua script, so it is atomic. The scripts
//! build job keys from a prefix, which suits a single Redis (or a cluster with the
//! prefix in a hash tag).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use madang_cache::LazyRedis;
use madang_domain::jobs::{Job, JobState, JobStats, Lease, NewJob, Outcome};
use madang_domain::ports::{JobQueue, Outbox};
use madang_domain::time::{Clock, Timestamp};
use madang_domain::{Error, Result};
use redis::aio::ConnectionManager;
use redis::streams::{StreamReadOptions, StreamReadReply};

const GROUP: &str = "workers";
const RELAY_BATCH: u32 = 200;

const RELAY: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'kind', ARGV[2], 'payload', ARGV[3], 'state', 'queued',
  'attempts', 0, 'max_attempts', ARGV[4], 'run_at', ARGV[5], 'created_at', ARGV[6], 'updated_at', ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
if tonumber(ARGV[5]) > tonumber(ARGV[7]) then
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
else
  redis.call('XADD', KEYS[4], '*', 'id', ARGV[1])
end
return 1
";

/// Moves due delayed jobs to the stream. KEYS: delayed, stream. ARGV: now, job key prefix.
const PROMOTE: &str = r"
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HSET', ARGV[2] .. id, 'state', 'queued')
  redis.call('XADD', KEYS[2], '*', 'id', id)
end
return #ids
";

/// Takes a delivered entry's job. KEYS: job, dead, live, leases. ARGV: token, entry, now, visible_until, id.
/// Answers 'ok', 'gone' (no such job any more) or 'dead' (its attempts were used up).
const CLAIM: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local st = redis.call('HGET', KEYS[1], 'state')
if st == 'done' or st == 'dead' then return 'gone' end
local a = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if a > tonumber(redis.call('HGET', KEYS[1], 'max_attempts')) then
  redis.call('HINCRBY', KEYS[1], 'attempts', -1)
  redis.call('HSET', KEYS[1], 'state', 'dead', 'updated_at', ARGV[3],
    'last_error', 'the worker was lost during the last allowed attempt')
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
  redis.call('ZREM', KEYS[3], ARGV[5])
  return 'dead'
end
redis.call('HSET', KEYS[1], 'state', 'running', 'lease', ARGV[1], 'entry', ARGV[2],
  'updated_at', ARGV[3], 'run_at', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
return 'ok'
";

/// Hands the job of one expired lease to `consumer`. KEYS: leases, stream.
/// ARGV: now, group, consumer, job key prefix. Answers {id, entry} or nil.
const EXPIRED: &str = r"
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #ids == 0 then return false end
local id = ids[1]
redis.call('ZREM', KEYS[1], id)
local entry = redis.call('HGET', ARGV[4] .. id, 'entry')
if not entry then return false end
redis.call('XCLAIM', KEYS[2], ARGV[2], ARGV[3], 0, entry, 'JUSTID')
return {id, entry}
";

/// KEYS: job, leases. ARGV: token, visible_until, id.
const EXTEND: &str = r"
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'run_at', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
";

/// Ends a delivery. KEYS: job, stream, live, done, delayed, dead, leases.
/// ARGV: group, entry, now, id, outcome ('done' | 'retry' | 'dead'), retry_at, error.
const SETTLE: &str = r"
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[7], ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'lease', 'entry')
if ARGV[5] == 'done' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'updated_at', ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
elseif ARGV[5] == 'retry' then
  redis.call('HSET', KEYS[1], 'state', 'queued', 'updated_at', ARGV[3], 'run_at', ARGV[6], 'last_error', ARGV[7])
  redis.call('ZADD', KEYS[5], ARGV[6], ARGV[4])
else
  redis.call('HSET', KEYS[1], 'state', 'dead', 'updated_at', ARGV[3], 'last_error', ARGV[7])
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[6], ARGV[3], ARGV[4])
end
return 1
";

/// Revives a dead job. KEYS: job, dead, live, stream. ARGV: now, id.
const RETRY: &str = r"
if redis.call('HGET', KEYS[1], 'state') ~= 'dead' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'attempts', 0, 'updated_at', ARGV[1], 'run_at', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
redis.call('XADD', KEYS[4], '*', 'id', ARGV[2])
return 1
";

struct Scripts {
    relay: redis::Script,
    promote: redis::Script,
    claim: redis::Script,
    expired: redis::Script,
    extend: redis::Script,
    settle: redis::Script,
    retry: redis::Script,
}

pub struct RedisQueue {
    redis: LazyRedis,
    prefix: String,
    outbox: Arc<dyn Outbox>,
    clock: Arc<dyn Clock>,
    scripts: Scripts,
    /// Whether the consumer group is known to exist; cleared when Redis says it does not
    /// (a restart without persistence), so it is made again.
    group_ready: AtomicBool,
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("the Redis job queue: {e}"))
}

impl RedisQueue {
    /// `prefix` starts every key (`{prefix}:jobs:…`), so deployments can share a Redis.
    pub fn new(
        url: &str,
        prefix: &str,
        timeout: Duration,
        outbox: Arc<dyn Outbox>,
        clock: Arc<dyn Clock>,
    ) -> std::result::Result<Self, String> {
        Ok(Self {
            redis: LazyRedis::new(url, timeout)?,
            prefix: format!("{prefix}:jobs:"),
            outbox,
            clock,
            scripts: Scripts {
                relay: redis::Script::new(RELAY),
                promote: redis::Script::new(PROMOTE),
                claim: redis::Script::new(CLAIM),
                expired: redis::Script::new(EXPIRED),
                extend: redis::Script::new(EXTEND),
                settle: redis::Script::new(SETTLE),
                retry: redis::Script::new(RETRY),
            },
            group_ready: AtomicBool::new(false),
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn job_key(&self, id: i64) -> String {
        format!("{}job:{id}", self.prefix)
    }

    async fn conn(&self) -> Result<ConnectionManager> {
        self.redis.get().await.map_err(unavailable)
    }

    /// Runs one Redis operation within the timeout.
    async fn run<T, F>(&self, f: impl FnOnce(ConnectionManager) -> F) -> Result<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.conn().await?;
        match tokio::time::timeout(self.redis.timeout(), f(conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                if e.code() == Some("NOGROUP") {
                    self.group_ready.store(false, Ordering::SeqCst);
                }
                Err(unavailable(e))
            }
            Err(_) => Err(unavailable("timed out")),
        }
    }

    /// Creates the consumer group (and the stream) once per process, and again after
    /// Redis lost it (a restart without persistence).
    async fn ensure_group(&self) -> Result<()> {
        if self.group_ready.load(Ordering::SeqCst) {
            return Ok(());
        }
        let stream = self.key("ready");
        let r: redis::RedisResult<()> = self
            .conn()
            .await?
            .xgroup_create_mkstream(&stream, GROUP, "0")
            .await;
        match r {
            Err(e) if e.code() != Some("BUSYGROUP") => Err(unavailable(e)),
            _ => {
                self.group_ready.store(true, Ordering::SeqCst);
                Ok(())
            }
        }
    }

    async fn settle(&self, lease: &Lease, outcome: &str, retry_at: i64, error: &str) -> Result<()> {
        let (_, entry) = split_token(&lease.token);
        let now = self.clock.now().millis();
        let mut inv = self.scripts.settle.prepare_invoke();
        inv.key(self.job_key(lease.job.id))
            .key(self.key("ready"))
            .key(self.key("live"))
            .key(self.key("done"))
            .key(self.key("delayed"))
            .key(self.key("dead"))
            .key(self.key("leases"))
            .arg(GROUP)
            .arg(entry)
            .arg(now)
            .arg(lease.job.id)
            .arg(outcome)
            .arg(retry_at)
            .arg(error);
        let _: i64 = self
            .run(|mut c| async move { inv.invoke_async(&mut c).await })
            .await?;
        Ok(())
    }

    /// Takes the job of a delivered stream entry, or clears an entry whose job is gone.
    async fn take(
        &self,
        worker: &str,
        entry: &str,
        id: i64,
        visibility: Duration,
    ) -> Result<Option<Lease>> {
        let now = self.clock.now().millis();
        // The token names the worker and the stream entry, which settling acknowledges.
        let token = format!("{worker}|{entry}");
        let mut inv = self.scripts.claim.prepare_invoke();
        inv.key(self.job_key(id))
            .key(self.key("dead"))
            .key(self.key("live"))
            .key(self.key("leases"))
            .arg(&token)
            .arg(entry)
            .arg(now)
            .arg(Timestamp(now).plus(visibility).millis())
            .arg(id);
        let r: String = self
            .run(|mut c| async move { inv.invoke_async(&mut c).await })
            .await?;
        if r != "ok" {
            let stream = self.key("ready");
            let entry = entry.to_owned();
            let _: () = self
                .run(|mut c| async move {
                    redis::pipe()
                        .xack(&stream, GROUP, &[&entry])
                        .ignore()
                        .xdel(&stream, &[&entry])
                        .ignore()
                        .query_async(&mut c)
                        .await
                })
                .await?;
            return Ok(None);
        }
        let job = self.job(id).await?.ok_or(Error::NotFound("job"))?;
        Ok(Some(Lease { job, token }))
    }

    async fn jobs_by_ids(&self, ids: &[i64]) -> Result<Vec<Job>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.hgetall(self.job_key(*id));
        }
        let maps: Vec<HashMap<String, String>> = self
            .run(|mut c| async move { pipe.query_async(&mut c).await })
            .await?;
        Ok(maps.iter().filter_map(job_from_hash).collect())
    }

    async fn newest(&self, set: &str, limit: isize) -> Result<Vec<i64>> {
        let key = self.key(set);
        // A negative limit reads the whole set.
        let stop = if limit < 0 { -1 } else { limit - 1 };
        self.run(|mut c| async move { c.zrevrange(&key, 0, stop).await })
            .await
    }
}

use redis::AsyncCommands;

fn split_token(token: &str) -> (&str, &str) {
    token.rsplit_once('|').unwrap_or((token, ""))
}

fn job_from_hash(h: &HashMap<String, String>) -> Option<Job> {
    let num = |k: &str| h.get(k).and_then(|v| v.parse::<i64>().ok());
    Some(Job {
        id: num("id")?,
        kind: h.get("kind")?.clone(),
        payload: h.get("payload")?.clone(),
        state: JobState::parse(h.get("state")?)?,
        attempts: u32::try_from(num("attempts")?).unwrap_or(0),
        max_attempts: u32::try_from(num("max_attempts")?).unwrap_or(0),
        run_at: Timestamp(num("run_at")?),
        last_error: h.get("last_error").cloned(),
        created_at: Timestamp(num("created_at")?),
        updated_at: Timestamp(num("updated_at")?),
    })
}

#[async_trait]
impl JobQueue for RedisQueue {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn enqueue(&self, job: &NewJob) -> Result<i64> {
        let id = self.outbox.add(job).await?;
        // Redis being down is not the caller's failure: the job waits in the outbox.
        if let Err(e) = self.relay().await {
            tracing::warn!(job = id, error = %e, "job kept in the outbox until Redis is back");
        }
        Ok(id)
    }

    async fn relay(&self) -> Result<usize> {
        let pending = self.outbox.pending(RELAY_BATCH).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        self.ensure_group().await?;
        let now = self.clock.now().millis();
        let mut relayed = Vec::with_capacity(pending.len());
        for (id, job, created) in &pending {
            let mut inv = self.scripts.relay.prepare_invoke();
            inv.key(self.job_key(*id))
                .key(self.key("live"))
                .key(self.key("delayed"))
                .key(self.key("ready"))
                .arg(*id)
                .arg(&job.kind)
                .arg(&job.payload)
                .arg(job.max_attempts)
                .arg(job.run_at.millis())
                .arg(created.millis())
                .arg(now);
            match self
                .run(|mut c| async move { inv.invoke_async::<i64>(&mut c).await })
                .await
            {
                Ok(_) => relayed.push(*id),
                Err(e) => {
                    // Whatever was published is removed from the outbox; the rest waits.
                    self.outbox.remove(&relayed).await?;
                    return Err(e);
                }
            }
        }
        self.outbox.remove(&relayed).await?;
        Ok(relayed.len())
    }

    async fn reserve(&self, worker: &str, visibility: Duration) -> Result<Option<Lease>> {
        self.ensure_group().await?;
        let now = self.clock.now().millis();
        let stream = self.key("ready");
        let mut promote = self.scripts.promote.prepare_invoke();
        promote
            .key(self.key("delayed"))
            .key(&stream)
            .arg(now)
            .arg(self.key("job:"));
        let _: i64 = self
            .run(|mut c| async move { promote.invoke_async(&mut c).await })
            .await?;
        // First, a job whose lease ran out: its worker died or stopped heartbeating.
        let mut expired = self.scripts.expired.prepare_invoke();
        expired
            .key(self.key("leases"))
            .key(&stream)
            .arg(now)
            .arg(GROUP)
            .arg(worker)
            .arg(self.key("job:"));
        let reclaimed: Option<(i64, String)> = self
            .run(|mut c| async move { expired.invoke_async(&mut c).await })
            .await?;
        if let Some((id, entry)) = reclaimed {
            return self.take(worker, &entry, id, visibility).await;
        }
        let (s, w) = (stream.clone(), worker.to_owned());
        let read: Option<StreamReadReply> = self
            .run(|mut c| async move {
                c.xread_options(
                    &[&s],
                    &[">"],
                    &StreamReadOptions::default().group(GROUP, &w).count(1),
                )
                .await
            })
            .await?;
        let entry = read
            .and_then(|r| r.keys.into_iter().next())
            .and_then(|k| k.ids.into_iter().next());
        let Some(entry) = entry else {
            return Ok(None);
        };
        let id = entry
            .map
            .get("id")
            .and_then(|v| redis::from_redis_value::<i64>(v.clone()).ok());
        match id {
            Some(id) => self.take(worker, &entry.id, id, visibility).await,
            None => Ok(None),
        }
    }

    async fn extend(&self, lease: &Lease, visibility: Duration) -> Result<bool> {
        let until = self.clock.now().plus(visibility).millis();
        let mut inv = self.scripts.extend.prepare_invoke();
        inv.key(self.job_key(lease.job.id))
            .key(self.key("leases"))
            .arg(&lease.token)
            .arg(until)
            .arg(lease.job.id);
        let n: i64 = self
            .run(|mut c| async move { inv.invoke_async(&mut c).await })
            .await?;
        Ok(n == 1)
    }

    async fn complete(&self, lease: &Lease) -> Result<()> {
        self.settle(lease, "done", 0, "").await
    }

    async fn fail(&self, lease: &Lease, error: &str, outcome: Outcome) -> Result<()> {
        match outcome {
            Outcome::RetryAt(t) => self.settle(lease, "retry", t.millis(), error).await,
            Outcome::Dead => self.settle(lease, "dead", 0, error).await,
        }
    }

    async fn job(&self, id: i64) -> Result<Option<Job>> {
        let key = self.job_key(id);
        let h: HashMap<String, String> = self
            .run(|mut c| async move { c.hgetall(&key).await })
            .await?;
        Ok(job_from_hash(&h))
    }

    async fn list(&self, state: Option<JobState>, limit: u32) -> Result<Vec<Job>> {
        let n = isize::try_from(limit).unwrap_or(isize::MAX);
        let mut jobs = match state {
            Some(JobState::Dead) => {
                let ids = self.newest("dead", n).await?;
                return self.jobs_by_ids(&ids).await;
            }
            Some(JobState::Done) => {
                let ids = self.newest("done", n).await?;
                return self.jobs_by_ids(&ids).await;
            }
            Some(_) => {
                // Queued and running jobs share the live index: read it all and filter.
                let ids = self.newest("live", -1).await?;
                self.jobs_by_ids(&ids).await?
            }
            None => {
                let mut ids = self.newest("live", n).await?;
                ids.extend(self.newest("dead", n).await?);
                ids.extend(self.newest("done", n).await?);
                self.jobs_by_ids(&ids).await?
            }
        };
        if let Some(st) = state {
            jobs.retain(|j| j.state == st);
        }
        jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
        jobs.truncate(limit as usize);
        Ok(jobs)
    }

    async fn retry(&self, id: i64) -> Result<bool> {
        self.ensure_group().await?;
        let mut inv = self.scripts.retry.prepare_invoke();
        inv.key(self.job_key(id))
            .key(self.key("dead"))
            .key(self.key("live"))
            .key(self.key("ready"))
            .arg(self.clock.now().millis())
            .arg(id);
        let n: i64 = self
            .run(|mut c| async move { inv.invoke_async(&mut c).await })
            .await?;
        Ok(n == 1)
    }

    async fn retry_all_dead(&self) -> Result<u64> {
        let ids = self.newest("dead", -1).await?;
        let mut n = 0;
        for id in ids {
            if self.retry(id).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    async fn stats(&self) -> Result<JobStats> {
        let (stream, delayed, dead, done) = (
            self.key("ready"),
            self.key("delayed"),
            self.key("dead"),
            self.key("done"),
        );
        let (len, delayed, dead, done): (u64, u64, u64, u64) = self
            .run(|mut c| async move {
                redis::pipe()
                    .xlen(&stream)
                    .zcard(&delayed)
                    .zcard(&dead)
                    .zcard(&done)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let stream = self.key("ready");
        let pending: redis::streams::StreamPendingReply = self
            .run(|mut c| async move { c.xpending(&stream, GROUP).await })
            .await
            .unwrap_or_default();
        let running = pending.count() as u64;
        Ok(JobStats {
            outbox: self.outbox.count().await?,
            queued: len.saturating_sub(running) + delayed,
            running,
            done,
            dead,
        })
    }

    async fn purge_done(&self, before: Timestamp) -> Result<u64> {
        let mut purged = 0;
        loop {
            let done = self.key("done");
            let ids: Vec<i64> = self
                .run(|mut c| async move {
                    c.zrangebyscore_limit(&done, "-inf", format!("({}", before.millis()), 0, 500)
                        .await
                })
                .await?;
            if ids.is_empty() {
                return Ok(purged);
            }
            let mut pipe = redis::pipe();
            for id in &ids {
                pipe.del(self.job_key(*id)).ignore();
            }
            pipe.zrem(self.key("done"), &ids).ignore();
            let _: () = self
                .run(|mut c| async move { pipe.query_async(&mut c).await })
                .await?;
            purged += ids.len() as u64;
        }
    }

    async fn ping(&self) -> Result<()> {
        self.run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .map(|_| ())
    }
}
