//! The adapter behind each port, chosen from the settings: the cache, read routing,
//! the classifier, the job queue, the view buffer and the metrics page.

use super::*;
use madang_jobs::cron::Tz;

/// No cache, the in-process one, or Redis (whose probe joins `probes`).
pub(super) fn cache(
    settings: &Settings,
    probes: &mut Vec<Arc<dyn Probe>>,
) -> anyhow::Result<Arc<dyn Cache>> {
    let c = &settings.cache;
    if !c.enabled.is_on() {
        return Ok(Arc::new(Passthrough));
    }
    if c.redis_url.is_empty() {
        return Ok(Arc::new(CacheService::local(LocalStore::new(c.max_bytes))));
    }
    let redis = RedisStore::new(RedisSettings {
        url: c.redis_url.expose().to_owned(),
        op_timeout: Duration::from_millis(c.redis_timeout_ms),
        prefix: c.redis_prefix.clone(),
    })
    .map_err(anyhow::Error::msg)?;
    probes.push(Arc::new(RedisProbe(redis.clone())));
    Ok(Arc::new(CacheService::redis(redis)))
}

/// The rate limits: kept in Redis when there is one (shared by every node, falling
/// back to this node's own when Redis fails), else in process.
pub(super) fn limits(settings: &Settings) -> anyhow::Result<Arc<Limits>> {
    let l = &settings.limits;
    let c = &settings.cache;
    let limiter: Arc<dyn madang_domain::limits::RateLimiter> = if c.redis_url.is_empty() {
        Arc::new(madang_limits::LocalLimiter::new(&l.quotas))
    } else {
        madang_limits::RedisLimiter::new(
            c.redis_url.expose(),
            Duration::from_millis(c.redis_timeout_ms),
            &c.redis_prefix,
            &l.quotas,
        )
        .map_err(anyhow::Error::msg)?
    };
    Ok(Arc::new(Limits::new(limiter, l.enabled.is_on())))
}

/// The cache requests read through, and the routing of their reads, if any.
type Routed = (Arc<dyn Cache>, Option<Arc<dyn Around>>);

/// With replicas: the cache that repeats a member's own writes from the primary, and
/// the routing of each request's reads. Without: the cache as it was, and no routing.
pub(super) fn read_routing(
    settings: &Settings,
    db: &Db,
    cache: Arc<dyn Cache>,
    tokens: &Arc<dyn madang_domain::ports::TokenCodec>,
    clock: &Arc<dyn Clock>,
    window: Duration,
) -> anyhow::Result<Routed> {
    if !db.has_replicas() {
        return Ok((cache, None));
    }
    let cache: Arc<dyn Cache> = Arc::new(ReplicaAwareCache {
        inner: cache,
        repeat_after: window,
    });
    let c = &settings.cache;
    let writers = if c.redis_url.is_empty() {
        RecentWriters::local(window)
    } else {
        RecentWriters::redis(
            c.redis_url.expose(),
            &c.redis_prefix,
            Duration::from_millis(c.redis_timeout_ms),
            window,
        )
        .with_context(|| format!("the Redis at {}", c.redis_url))?
    };
    let routing: Arc<dyn Around> = Arc::new(ReadRouting {
        tokens: tokens.clone(),
        clock: clock.clone(),
        writers,
    });
    Ok((cache, Some(routing)))
}

/// The built-in model, or a model server that falls back to it.
pub(super) fn classifier(settings: &Settings) -> anyhow::Result<Arc<dyn Classifier>> {
    let c = &settings.classifier;
    let builtin: Arc<dyn Classifier> = Arc::new(BuiltIn::new(load_model(&c.model)?));
    if c.url.is_empty() {
        return Ok(builtin);
    }
    let http = ClassifierHttp {
        url: c.url.expose().to_owned(),
        timeout: Duration::from_millis(c.timeout_ms),
        retries: 2,
        failure_threshold: 5,
        open_for: Duration::from_secs(30),
    };
    Ok(Arc::new(
        HttpClassifier::new(http, builtin).map_err(anyhow::Error::msg)?,
    ))
}

/// The embedded queue, or Redis (whose probe joins `probes`).
pub(super) fn job_queue(
    settings: &Settings,
    db: &Db,
    store: &Arc<Db>,
    clock: &Arc<dyn Clock>,
    probes: &mut Vec<Arc<dyn Probe>>,
) -> anyhow::Result<Arc<dyn JobQueue>> {
    if settings.jobs.queue != JobQueueKind::Redis {
        return Ok(Arc::new(EmbeddedQueue::new(db.clone(), clock.clone())));
    }
    let c = &settings.cache;
    let q: Arc<dyn JobQueue> = Arc::new(
        RedisQueue::new(
            c.redis_url.expose(),
            &c.redis_prefix,
            // Job operations are not on a request's path: give them longer than
            // cache lookups.
            Duration::from_millis(c.redis_timeout_ms.max(2_000)),
            store.clone(),
            clock.clone(),
        )
        .map_err(anyhow::Error::msg)?,
    );
    probes.push(Arc::new(QueueProbe(q.clone())));
    Ok(q)
}

/// Views counted in process, or in Redis so that several nodes count each reader once.
pub(super) fn view_buffer(settings: &Settings) -> anyhow::Result<Arc<dyn ViewBuffer>> {
    let c = &settings.cache;
    let cap = settings.board.view_dedup_cap;
    if c.redis_url.is_empty() {
        return Ok(Arc::new(LocalViews::new(cap)));
    }
    Ok(Arc::new(
        RedisViews::new(
            c.redis_url.expose(),
            Duration::from_millis(c.redis_timeout_ms),
            &c.redis_prefix,
            cap,
        )
        .map_err(anyhow::Error::msg)?,
    ))
}

/// The metrics page: the recorder's text, with the gauges that are read rather than
/// counted (the process, the pools) refreshed when it is scraped.
pub(super) fn metrics(pools: Db) -> impl Fn() -> String + Send + Sync + 'static {
    let prometheus = crate::telemetry::metrics();
    let process = metrics_process::Collector::default();
    process.describe();
    move || {
        process.collect();
        pools.record_pool_metrics();
        prometheus.render()
    }
}

/// The job workers of this node, with Madang's handlers.
pub(super) fn workers(
    settings: &Settings,
    jobs: &Arc<dyn JobQueue>,
    sentiments: &Arc<Sentiments>,
    (maintenance, notifications): (&Arc<Maintenance>, &Arc<Notifications>),
    tz: Tz,
    clock: &Arc<dyn Clock>,
) -> Arc<Workers> {
    let j = &settings.jobs;
    Arc::new(Workers::new(
        jobs.clone(),
        madang_handlers(
            Some(sentiments.clone()),
            maintenance.clone(),
            notifications.clone(),
            tz,
        ),
        WorkerSettings {
            visibility: Duration::from_secs(j.visibility_secs),
            poll: Duration::from_millis(j.poll_ms.max(1)),
            backoff_base: Duration::from_millis(j.backoff_base_ms),
            backoff_cap: Duration::from_millis(j.backoff_max_ms),
            ..WorkerSettings::default()
        },
        clock.clone(),
        format!("{}-{:04x}", std::process::id(), rand::random::<u16>()),
    ))
}

/// The cron scheduler, unless cron is off on this node.
pub(super) fn scheduler(
    settings: &Settings,
    tz: Tz,
    store: &Arc<Db>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<Option<Scheduler>> {
    if !settings.cron.enabled.is_on() {
        return Ok(None);
    }
    let schedules = settings.schedules().map_err(anyhow::Error::msg)?;
    Ok(Some(Scheduler::new(
        schedules,
        tz,
        store.clone(),
        clock.clone(),
    )))
}

/// The staff console's use cases, on the same store and services as the API.
pub(super) fn console(
    store: &Arc<Db>,
    accounts: &Arc<Accounts>,
    jobs: &Arc<dyn JobQueue>,
    tokens: Arc<dyn madang_domain::ports::TokenCodec>,
    cache: &Arc<dyn Cache>,
    clock: &Arc<dyn Clock>,
) -> Arc<Console> {
    Arc::new(Console::new(
        ConsolePorts {
            store: store.clone(),
            accounts: accounts.clone(),
            users: store.clone(),
            posts: store.clone(),
            comments: store.clone(),
            categories: store.clone(),
            seminars: store.clone(),
            reports: store.clone(),
            jobs: jobs.clone(),
            stats: store.clone(),
            tokens,
            cache: cache.clone(),
            clock: clock.clone(),
        },
        ConsoleSettings::default(),
    ))
}
