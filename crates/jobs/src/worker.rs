//! The worker loop: reserve a job, run its handler while keeping the lease alive, then
//! complete it, retry it later with backoff, or dead-letter it. Plus the relay that moves
//! committed outbox entries into the queue.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::FutureExt;
use madang_domain::jobs::{Job, JobStats, Lease, Outcome, after_failure, retry_delay};
use madang_domain::ports::JobQueue;
use madang_domain::time::Clock;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why a handler did not finish its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Worth another attempt later (a dependency was down, a timeout).
    Retry(String),
    /// Will never succeed (a malformed payload): dead-letter at once.
    Permanent(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Retry(m) | Self::Permanent(m) => f.write_str(m),
        }
    }
}

impl From<madang_domain::Error> for JobError {
    fn from(e: madang_domain::Error) -> Self {
        use madang_domain::Error as E;
        match e {
            E::Unavailable(_) | E::Internal(_) => Self::Retry(error_chain(&e)),
            other => Self::Permanent(error_chain(&other)),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Runs jobs of one kind. Delivery is at least once, so running a job twice must have
/// the effect of running it once.
#[async_trait]
pub trait Handler: Send + Sync {
    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

/// The handlers by job kind.
#[derive(Default, Clone)]
pub struct Handlers(HashMap<&'static str, Arc<dyn Handler>>);

impl Handlers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, kind: &'static str, h: Arc<dyn Handler>) -> Self {
        self.0.insert(kind, h);
        self
    }

    /// The kind as a metric label: only kinds Madang knows, so labels stay bounded.
    fn label(&self, kind: &str) -> &'static str {
        self.0
            .get_key_value(kind)
            .map(|(k, _)| *k)
            .unwrap_or("unknown")
    }
}

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// How long a reserved job stays hidden from other workers without a heartbeat.
    pub visibility: Duration,
    /// How long an idle worker waits before looking again.
    pub poll: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How often the relay looks at the outbox when nothing signalled it.
    pub relay_interval: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            visibility: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(600),
            relay_interval: Duration::from_secs(1),
        }
    }
}

/// What one pass of [`Workers::run_one`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Idle,
    Completed(i64),
    Retrying(i64),
    DeadLettered(i64),
}

/// The workers of one node.
pub struct Workers {
    queue: Arc<dyn JobQueue>,
    handlers: Handlers,
    settings: WorkerSettings,
    clock: Arc<dyn Clock>,
    node: String,
}

impl Workers {
    pub fn new(
        queue: Arc<dyn JobQueue>,
        handlers: Handlers,
        settings: WorkerSettings,
        clock: Arc<dyn Clock>,
        node: impl Into<String>,
    ) -> Self {
        Self {
            queue,
            handlers,
            settings,
            clock,
            node: node.into(),
        }
    }

    pub fn queue(&self) -> &Arc<dyn JobQueue> {
        &self.queue
    }

    /// Starts the outbox relay and `workers` worker loops on `tracker`. They stop
    /// taking work when `shutdown` fires; a job already running is finished first.
    pub fn spawn(
        self: &Arc<Self>,
        tracker: &TaskTracker,
        shutdown: CancellationToken,
        outbox_signal: Arc<Notify>,
        workers: usize,
    ) {
        let me = self.clone();
        let stop = shutdown.clone();
        tracker.spawn(async move { me.relay_loop(stop, outbox_signal).await });
        for i in 0..workers {
            let me = self.clone();
            let stop = shutdown.clone();
            let id = format!("{}-{i}", self.node);
            tracker.spawn(async move { me.worker_loop(id, stop).await });
        }
    }

    async fn relay_loop(&self, shutdown: CancellationToken, signal: Arc<Notify>) {
        let mut last_stats = Instant::now() - Duration::from_secs(3600);
        let mut failing = Failing::new("relaying the job outbox", self.queue.name());
        loop {
            match self.queue.relay().await {
                Ok(n) if n > 0 => {
                    failing.ok();
                    metrics::counter!("madang_jobs_relayed_total").increment(n as u64);
                    continue;
                }
                Ok(_) => failing.ok(),
                Err(e) => {
                    failing.failed(&e);
                }
            }
            if last_stats.elapsed() >= Duration::from_secs(10) {
                last_stats = Instant::now();
                if let Ok(s) = self.queue.stats().await {
                    record_depth(&s);
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = signal.notified() => {}
                _ = tokio::time::sleep(self.settings.relay_interval) => {}
            }
        }
    }

    async fn worker_loop(&self, id: String, shutdown: CancellationToken) {
        tracing::debug!(worker = %id, "worker started");
        let mut failing = Failing::new("reserving a job", self.queue.name());
        while !shutdown.is_cancelled() {
            let wait = match self.run_one(&id).await {
                Ok(Ran::Idle) => {
                    failing.ok();
                    self.settings.poll
                }
                Ok(_) => {
                    failing.ok();
                    continue;
                }
                // The queue (or the database behind it) is down: back off, up to 5 s.
                Err(e) => failing.failed(&e).max(self.settings.poll),
            };
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::debug!(worker = %id, "worker stopped");
    }

    /// Reserves one job and runs it to its end.
    pub async fn run_one(&self, worker: &str) -> madang_domain::Result<Ran> {
        let Some(lease) = self.queue.reserve(worker, self.settings.visibility).await? else {
            return Ok(Ran::Idle);
        };
        Ok(self.execute(worker, lease).await)
    }

    async fn execute(&self, worker: &str, lease: Lease) -> Ran {
        let job = &lease.job;
        let kind = self.handlers.label(&job.kind);
        let started = Instant::now();
        let result = match self.handlers.0.get(job.kind.as_str()) {
            None => Err(JobError::Permanent(format!(
                "no handler for job kind {:?}",
                job.kind
            ))),
            Some(h) => self.run_with_heartbeat(h.as_ref(), &lease).await,
        };
        metrics::histogram!("madang_job_duration_seconds", "kind" => kind)
            .record(started.elapsed().as_secs_f64());
        let (ran, outcome) = match result {
            Ok(()) => {
                if let Err(e) = self.queue.complete(&lease).await {
                    // The lease runs out and the job runs again: at least once.
                    tracing::warn!(job = job.id, error = %e, "could not mark a finished job done");
                }
                tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, worker, "job done");
                (Ran::Completed(job.id), "done")
            }
            Err(err) => {
                metrics::counter!("madang_jobs_failures_total", "kind" => kind).increment(1);
                let outcome = match &err {
                    JobError::Permanent(_) => Outcome::Dead,
                    JobError::Retry(_) => {
                        let delay = retry_delay(
                            job.attempts,
                            self.settings.backoff_base,
                            self.settings.backoff_cap,
                            rand::random::<f64>(),
                        );
                        after_failure(job.attempts, job.max_attempts, self.clock.now(), delay)
                    }
                };
                if let Err(e) = self.queue.fail(&lease, &err.to_string(), outcome).await {
                    tracing::warn!(job = job.id, error = %e, "could not record a job failure");
                }
                match outcome {
                    Outcome::RetryAt(at) => {
                        metrics::counter!("madang_jobs_retries_total", "kind" => kind).increment(1);
                        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, retry_at = at.millis(), error = %err, "job failed, will retry");
                        (Ran::Retrying(job.id), "retry")
                    }
                    Outcome::Dead => {
                        tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %err, "job failed for good: dead-lettered");
                        (Ran::DeadLettered(job.id), "dead")
                    }
                }
            }
        };
        metrics::counter!("madang_jobs_runs_total", "kind" => kind, "outcome" => outcome)
            .increment(1);
        ran
    }

    /// Runs the handler, extending the lease every third of the visibility window so a
    /// long job is not handed to another worker while this one is alive. A panicking
    /// handler is a failure to retry, not a dead worker.
    async fn run_with_heartbeat(&self, h: &dyn Handler, lease: &Lease) -> Result<(), JobError> {
        let run = AssertUnwindSafe(h.run(&lease.job)).catch_unwind();
        tokio::pin!(run);
        let period = (self.settings.visibility / 3).max(Duration::from_millis(100));
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                r = &mut run => {
                    return r.unwrap_or_else(|_| Err(JobError::Retry("the handler panicked".into())));
                }
                _ = beat.tick() => {
                    match self.queue.extend(lease, self.settings.visibility).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job = lease.job.id, "lost the lease of a running job; it may run twice"),
                        Err(e) => tracing::warn!(job = lease.job.id, error = %e, "could not extend a job's lease"),
                    }
                }
            }
        }
    }
}

/// A loop's run of failures: logged when it starts and when it ends, not at every try,
/// with a growing pause between tries.
struct Failing {
    what: &'static str,
    queue: &'static str,
    count: u32,
}

impl Failing {
    fn new(what: &'static str, queue: &'static str) -> Self {
        Self {
            what,
            queue,
            count: 0,
        }
    }

    fn failed(&mut self, e: &madang_domain::Error) -> Duration {
        if self.count == 0 {
            tracing::warn!(queue = self.queue, error = %e, "{} failed; retrying until it works", self.what);
        }
        self.count = self.count.saturating_add(1);
        Duration::from_millis(100u64 << self.count.min(6)).min(Duration::from_secs(5))
    }

    fn ok(&mut self) {
        if self.count > 0 {
            tracing::info!(
                queue = self.queue,
                failures = self.count,
                "{} works again",
                self.what
            );
            self.count = 0;
        }
    }
}

/// Publishes queue depth by state.
pub fn record_depth(s: &JobStats) {
    for (state, n) in [
        ("outbox", s.outbox),
        ("queued", s.queued),
        ("running", s.running),
        ("done", s.done),
        ("dead", s.dead),
    ] {
        metrics::gauge!("madang_jobs_depth", "state" => state).set(n as f64);
    }
}
