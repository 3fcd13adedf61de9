//! Reading the settings: the documented flat keys, with their defaults, from
//! `madang.toml` and the `MADANG_*` environment, then parsed into the sections.

use anyhow::Context as _;
use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
pub(super) struct Flat {
    profile: Profile,
    listen: String,
    database_url: String,
    database_max_connections: u32,
    database_acquire_timeout_ms: u64,
    database_replica_urls: String,
    replica_max_lag_ms: u64,
    replica_check_ms: u64,
    trusted_proxies: String,
    public_url: String,
    auto_migrate: bool,
    jwt_secret: String,
    access_token_ttl_secs: i64,
    refresh_token_ttl_secs: i64,
    refresh_reuse_grace_secs: i64,
    body_limit_bytes: usize,
    password_hash_memory_kib: u32,
    password_hash_iterations: u32,
    password_hash_concurrency: usize,
    log: String,
    log_format: String,
    shutdown_grace_secs: u64,
    cache: String,
    redis_url: String,
    redis_prefix: String,
    redis_timeout_ms: u64,
    cache_max_bytes: u64,
    request_timeout_secs: u64,
    max_concurrent_requests: usize,
    http_threads: usize,
    metrics_listen: String,
    header_timeout_secs: u64,
    body_timeout_secs: u64,
    body_min_bytes_per_sec: u64,
    max_connections_per_client: usize,
    classifier_model: String,
    classifier_url: String,
    classifier_timeout_ms: u64,
    workers: usize,
    job_queue: String,
    job_visibility_secs: u64,
    job_poll_ms: u64,
    job_backoff_base_ms: u64,
    job_backoff_max_ms: u64,
    job_retention_days: u32,
    cron: String,
    cron_timezone: String,
    cron_hot_refresh: String,
    cron_purge: String,
    cron_reconcile: String,
    cron_daily_stats: String,
    login_history_retention_days: u32,
    search_dir: String,
    search_poll_ms: u64,
    views: String,
    view_flush_ms: u64,
    view_dedup_cap: usize,
    best_comment_votes: i64,
    report_hide_threshold: u32,
    rate_limits: String,
    /// Quota overrides by name (`post = "10/10m"`, `MADANG_LIMITS__POST`).
    #[serde(default)]
    limits: std::collections::BTreeMap<String, String>,
}

impl Settings {
    /// Reads `madang.toml` (or the file named by `MADANG_CONFIG`) and the environment.
    pub fn load() -> anyhow::Result<Self> {
        let file = std::env::var("MADANG_CONFIG").unwrap_or_else(|_| "madang.toml".to_owned());
        let flat: Flat = config::Config::builder()
            .set_default("profile", "dev")?
            .set_default("listen", "127.0.0.1:8080")?
            .set_default("database_url", "sqlite://./data/madang.db")?
            .set_default("database_max_connections", 16)?
            .set_default("database_acquire_timeout_ms", 5000)?
            .set_default("database_replica_urls", "")?
            .set_default("replica_max_lag_ms", 5000)?
            .set_default("replica_check_ms", 1000)?
            .set_default("trusted_proxies", "")?
            .set_default("public_url", "")?
            .set_default("auto_migrate", true)?
            .set_default("jwt_secret", DEV_JWT_SECRET)?
            .set_default("access_token_ttl_secs", 900)?
            .set_default("refresh_token_ttl_secs", 14 * 24 * 3600)?
            .set_default("refresh_reuse_grace_secs", 20)?
            .set_default("body_limit_bytes", 1024 * 1024)?
            .set_default("password_hash_memory_kib", 19_456)?
            .set_default("password_hash_iterations", 2)?
            .set_default("password_hash_concurrency", 0)?
            .set_default("log", "info")?
            .set_default("log_format", "")?
            .set_default("shutdown_grace_secs", 20)?
            .set_default("cache", "on")?
            .set_default("redis_url", "")?
            .set_default("redis_prefix", "madang")?
            .set_default("redis_timeout_ms", 200)?
            .set_default("cache_max_bytes", 64 * 1024 * 1024)?
            .set_default("request_timeout_secs", 30)?
            .set_default("max_concurrent_requests", 1024)?
            .set_default("http_threads", 1)?
            .set_default("metrics_listen", "")?
            .set_default("header_timeout_secs", 10)?
            .set_default("body_timeout_secs", 10)?
            .set_default("body_min_bytes_per_sec", 16 * 1024)?
            .set_default("max_connections_per_client", 256)?
            .set_default("classifier_model", "")?
            .set_default("classifier_url", "")?
            .set_default("classifier_timeout_ms", 500)?
            .set_default("workers", 2)?
            .set_default("job_queue", "embedded")?
            .set_default("job_visibility_secs", 60)?
            .set_default("job_poll_ms", 500)?
            .set_default("job_backoff_base_ms", 2_000)?
            .set_default("job_backoff_max_ms", 600_000)?
            .set_default("job_retention_days", 7)?
            .set_default("cron", "on")?
            .set_default("cron_timezone", "Asia/Seoul")?
            .set_default("cron_hot_refresh", "*/10 * * * *")?
            .set_default("cron_purge", "30 4 * * *")?
            .set_default("cron_reconcile", "0 4 * * *")?
            .set_default("cron_daily_stats", "0 20 * * *")?
            .set_default("login_history_retention_days", 180)?
            .set_default("search_dir", "./data/search")?
            .set_default("search_poll_ms", 200)?
            .set_default("views", "on")?
            .set_default("view_flush_ms", 5000)?
            .set_default("view_dedup_cap", madang_cache::LOCAL_DEDUP_CAP as u64)?
            .set_default("best_comment_votes", 10)?
            .set_default(
                "report_hide_threshold",
                madang_domain::reports::DEFAULT_HIDE_THRESHOLD,
            )?
            .set_default("rate_limits", "on")?
            .add_source(config::File::new(&file, config::FileFormat::Toml).required(false))
            .add_source(
                config::Environment::with_prefix("MADANG")
                    .prefix_separator("_")
                    // `MADANG_LIMITS__POST` is `limits.post`; single `_` stay in names.
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()
            .with_context(|| format!("reading the settings ({file} and MADANG_*)"))?;
        let mut s = Settings::try_from(flat)?;
        if s.profile == Profile::Dev && s.auth.jwt_secret.expose() == DEV_JWT_SECRET {
            s.auth.jwt_secret = s.dev_secret()?;
        }
        s.check()?;
        Ok(s)
    }
}

fn switch(key: &str, value: &str) -> anyhow::Result<Switch> {
    match value {
        "on" => Ok(Switch::On),
        "off" => Ok(Switch::Off),
        other => anyhow::bail!("{key} must be on or off, not {other:?}"),
    }
}

impl TryFrom<Flat> for Settings {
    type Error = anyhow::Error;

    fn try_from(f: Flat) -> anyhow::Result<Self> {
        let queue = match f.job_queue.as_str() {
            "embedded" => JobQueueKind::Embedded,
            "redis" => JobQueueKind::Redis,
            other => anyhow::bail!("job_queue must be embedded or redis, not {other:?}"),
        };
        // As documented: `json`, `pretty`, or anything else (empty) for by profile.
        let format = match f.log_format.as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            _ => LogFormat::ByProfile,
        };
        Ok(Self {
            profile: f.profile,
            http: HttpSettings {
                listen: f.listen,
                trusted_proxies: f.trusted_proxies,
                public_url: f.public_url,
                body_limit_bytes: f.body_limit_bytes,
                shutdown_grace_secs: f.shutdown_grace_secs,
                request_timeout_secs: f.request_timeout_secs,
                max_concurrent_requests: f.max_concurrent_requests,
                http_threads: f.http_threads,
                metrics_listen: f.metrics_listen,
                header_timeout_secs: f.header_timeout_secs,
                body_timeout_secs: f.body_timeout_secs,
                body_min_bytes_per_sec: f.body_min_bytes_per_sec,
                max_connections_per_client: f.max_connections_per_client,
            },
            database: DatabaseSettings {
                url: ServiceUrl::new(f.database_url),
                max_connections: f.database_max_connections,
                acquire_timeout_ms: f.database_acquire_timeout_ms,
                replica_urls: f
                    .database_replica_urls
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(ServiceUrl::new)
                    .collect(),
                replica_max_lag_ms: f.replica_max_lag_ms,
                replica_check_ms: f.replica_check_ms,
                auto_migrate: f.auto_migrate,
            },
            auth: AuthSettings {
                jwt_secret: Secret::new(f.jwt_secret),
                access_token_ttl_secs: f.access_token_ttl_secs,
                refresh_token_ttl_secs: f.refresh_token_ttl_secs,
                refresh_reuse_grace_secs: f.refresh_reuse_grace_secs,
                password_hash_memory_kib: f.password_hash_memory_kib,
                password_hash_iterations: f.password_hash_iterations,
                password_hash_concurrency: f.password_hash_concurrency,
                login_history_retention_days: f.login_history_retention_days,
            },
            log: LogSettings {
                filter: f.log,
                format,
            },
            cache: CacheSettings {
                enabled: switch("cache", &f.cache)?,
                redis_url: ServiceUrl::new(f.redis_url),
                redis_prefix: f.redis_prefix,
                redis_timeout_ms: f.redis_timeout_ms,
                max_bytes: f.cache_max_bytes,
            },
            classifier: ClassifierSettings {
                model: f.classifier_model,
                url: ServiceUrl::new(f.classifier_url),
                timeout_ms: f.classifier_timeout_ms,
            },
            jobs: JobSettings {
                workers: f.workers,
                queue,
                visibility_secs: f.job_visibility_secs,
                poll_ms: f.job_poll_ms,
                backoff_base_ms: f.job_backoff_base_ms,
                backoff_max_ms: f.job_backoff_max_ms,
                retention_days: f.job_retention_days,
            },
            cron: CronSettings {
                enabled: switch("cron", &f.cron)?,
                timezone: f.cron_timezone,
                hot_refresh: f.cron_hot_refresh,
                purge: f.cron_purge,
                reconcile: f.cron_reconcile,
                daily_stats: f.cron_daily_stats,
            },
            search: SearchSettings {
                dir: f.search_dir,
                poll_ms: f.search_poll_ms,
            },
            board: BoardSettings {
                // Counting is on unless turned `off`, as it always was.
                views: if f.views == "off" {
                    Switch::Off
                } else {
                    Switch::On
                },
                view_flush_ms: f.view_flush_ms,
                view_dedup_cap: f.view_dedup_cap,
                best_comment_votes: f.best_comment_votes,
                report_hide_threshold: f.report_hide_threshold.max(1),
            },
            limits: LimitSettings {
                enabled: switch("rate_limits", &f.rate_limits)?,
                quotas: {
                    let mut q = madang_domain::limits::Quotas::default();
                    for (name, quota) in &f.limits {
                        q.set(name, quota)
                            .map_err(|e| anyhow::anyhow!("limits.{name}: {e}"))?;
                    }
                    q
                },
            },
        })
    }
}
