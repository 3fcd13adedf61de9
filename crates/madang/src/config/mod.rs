//! Configuration: defaults < `madang.toml` < `MADANG_*` environment, in one typed struct.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Dev,
    Test,
    Prod,
}

/// The secret used when none is configured. `prod` refuses to start with it.
pub const DEV_JWT_SECRET: &str = "madang-development-secret-change-me-in-production";
const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub profile: Profile,
    /// Address the API listens on.
    pub listen: String,
    /// `sqlite://PATH`, `mysql://…` or `postgres://…`.
    pub database_url: String,
    pub database_max_connections: u32,
    pub database_acquire_timeout_ms: u64,
    /// Read replicas of `database_url`, comma-separated; empty: none.
    pub database_replica_urls: String,
    /// A replica further behind than this leaves the rotation.
    pub replica_max_lag_ms: u64,
    /// How often replicas' health and lag are checked.
    pub replica_check_ms: u64,
    /// Peers (addresses or networks, comma-separated) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: String,
    /// The board's public address (`https://board.example`), for canonical links,
    /// feeds and the sitemap; empty uses the request's `Host`.
    pub public_url: String,
    /// Apply pending migrations when `serve` starts.
    pub auto_migrate: bool,
    /// HMAC key for access tokens.
    pub jwt_secret: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// Argon2id memory cost in KiB (19456 is OWASP's recommendation).
    pub password_hash_memory_kib: u32,
    pub password_hash_iterations: u32,
    /// Hashes computed at once; more wait (0 = number of cores).
    pub password_hash_concurrency: usize,
    /// Log filter, e.g. `info,madang_store=debug`.
    pub log: String,
    /// `json` or `pretty`; empty picks by profile (json in prod).
    pub log_format: String,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace_secs: u64,
    /// `on` (default) or `off`.
    pub cache: String,
    /// Redis for a cache shared by several nodes; empty keeps the cache in process.
    pub redis_url: String,
    /// Prefix of Madang's Redis keys.
    pub redis_prefix: String,
    /// Longest wait for one Redis operation, in milliseconds.
    pub redis_timeout_ms: u64,
    /// Bound of the in-process cache, in bytes.
    pub cache_max_bytes: u64,
    /// Longest a request may take before it is answered 503.
    pub request_timeout_secs: u64,
    /// API requests served at once; past it, 503 with `Retry-After` at once.
    pub max_concurrent_requests: usize,
    /// Threads that hold the HTTP connections (accept, parse, shed, write), apart
    /// from the runtime that serves the admitted requests; 0: one runtime does both.
    pub http_threads: usize,
    /// A separate address for `/metrics` (then not served on `listen`); empty: none.
    pub metrics_listen: String,
    /// A sentiment model file; empty: the model built into the binary.
    pub classifier_model: String,
    /// An external model server (`{"text"}` in, `{"sentiment"}` out); empty: none.
    pub classifier_url: String,
    pub classifier_timeout_ms: u64,
    /// Job worker loops in `serve` (0: an API-only node); `madang worker` runs at least one.
    pub workers: usize,
    /// `embedded` (in the database) or `redis` (at `redis_url`, shared by several nodes).
    pub job_queue: String,
    /// How long a reserved job stays hidden from other workers without a heartbeat.
    pub job_visibility_secs: u64,
    /// How long an idle worker waits before looking for work again.
    pub job_poll_ms: u64,
    /// First retry delay; each further retry doubles it, up to `job_backoff_max_ms`.
    pub job_backoff_base_ms: u64,
    pub job_backoff_max_ms: u64,
    /// Completed jobs are forgotten after this many days.
    pub job_retention_days: u32,
    /// `on` (default) or `off`: run the cron schedules on this node.
    pub cron: String,
    /// The zone cron schedules and daily statistics are read in.
    pub cron_timezone: String,
    /// Cron expressions (5 fields, or 6 with seconds), or `off`.
    pub cron_hot_refresh: String,
    pub cron_purge: String,
    pub cron_reconcile: String,
    pub cron_daily_stats: String,
    /// Login history older than this is purged.
    pub login_history_retention_days: u32,
    /// Where this node keeps its search index (each node its own).
    pub search_dir: String,
    /// How often the search index reads the database's change log.
    pub search_poll_ms: u64,
    /// `on` (default) or `off`: count post views (조회수).
    pub views: String,
    /// How often buffered views are written to the posts, in milliseconds.
    pub view_flush_ms: u64,
    /// Most (post, viewer) pairs one node remembers for deduplication without Redis.
    pub view_dedup_cap: usize,
    /// Votes a comment needs to be one of a post's best comments.
    pub best_comment_votes: i64,
}

/// A search directory of its own for each test app (several run in one process).
fn test_search_dir() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir()
        .join(format!(
            "madang-test-search-{}-{nanos}-{n}",
            std::process::id()
        ))
        .display()
        .to_string()
}

impl Settings {
    /// Reads `madang.toml` (or the file named by `MADANG_CONFIG`) and the environment.
    pub fn load() -> anyhow::Result<Self> {
        let file = std::env::var("MADANG_CONFIG").unwrap_or_else(|_| "madang.toml".to_owned());
        let s: Settings = config::Config::builder()
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
            .add_source(config::File::new(&file, config::FileFormat::Toml).required(false))
            .add_source(
                config::Environment::with_prefix("MADANG")
                    .prefix_separator("_")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        s.check()?;
        Ok(s)
    }

    /// Settings for tests: the `test` profile with a cheap password hash.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            profile: Profile::Test,
            listen: "127.0.0.1:0".to_owned(),
            database_url: database_url.to_owned(),
            database_max_connections: 8,
            database_acquire_timeout_ms: 10_000,
            database_replica_urls: String::new(),
            replica_max_lag_ms: 5000,
            replica_check_ms: 1000,
            trusted_proxies: String::new(),
            public_url: String::new(),
            auto_migrate: true,
            jwt_secret: "test-secret-test-secret-test-secret-0123".to_owned(),
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 3600,
            body_limit_bytes: 1024 * 1024,
            password_hash_memory_kib: 1024,
            password_hash_iterations: 1,
            password_hash_concurrency: 0,
            log: "warn".to_owned(),
            log_format: "pretty".to_owned(),
            shutdown_grace_secs: 5,
            cache: "on".to_owned(),
            redis_url: String::new(),
            redis_prefix: "madang".to_owned(),
            redis_timeout_ms: 200,
            cache_max_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            max_concurrent_requests: 1024,
            http_threads: 1,
            metrics_listen: String::new(),
            classifier_model: String::new(),
            classifier_url: String::new(),
            classifier_timeout_ms: 500,
            workers: 2,
            job_queue: "embedded".to_owned(),
            job_visibility_secs: 60,
            job_poll_ms: 50,
            job_backoff_base_ms: 2_000,
            job_backoff_max_ms: 600_000,
            job_retention_days: 7,
            cron: "on".to_owned(),
            cron_timezone: "Asia/Seoul".to_owned(),
            cron_hot_refresh: "*/10 * * * *".to_owned(),
            cron_purge: "30 4 * * *".to_owned(),
            cron_reconcile: "0 4 * * *".to_owned(),
            cron_daily_stats: "0 20 * * *".to_owned(),
            login_history_retention_days: 180,
            search_dir: test_search_dir(),
            search_poll_ms: 100,
            views: "on".to_owned(),
            view_flush_ms: 200,
            view_dedup_cap: 10_000,
            best_comment_votes: 10,
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.profile == Profile::Prod
            && (self.jwt_secret == DEV_JWT_SECRET || self.jwt_secret.len() < MIN_SECRET_BYTES)
        {
            anyhow::bail!(
                "the prod profile needs MADANG_JWT_SECRET set to a secret of at least {MIN_SECRET_BYTES} bytes"
            );
        }
        if self.access_token_ttl_secs <= 0 || self.refresh_token_ttl_secs <= 0 {
            anyhow::bail!("token lifetimes must be positive");
        }
        if !matches!(self.cache.as_str(), "on" | "off") {
            anyhow::bail!("cache must be on or off");
        }
        if self.body_limit_bytes < 1024 {
            anyhow::bail!("body_limit_bytes must be at least 1024");
        }
        match self.job_queue.as_str() {
            "embedded" => {}
            "redis" if !self.redis_url.is_empty() => {}
            "redis" => anyhow::bail!("job_queue = redis needs redis_url"),
            other => anyhow::bail!("job_queue must be embedded or redis, not {other:?}"),
        }
        if !matches!(self.cron.as_str(), "on" | "off") {
            anyhow::bail!("cron must be on or off");
        }
        if self.job_visibility_secs == 0 {
            anyhow::bail!("job_visibility_secs must be positive");
        }
        if self.replica_check_ms == 0 {
            anyhow::bail!("replica_check_ms must be positive");
        }
        madang_http::middleware::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        madang_jobs::cron::parse_zone(&self.cron_timezone).map_err(anyhow::Error::msg)?;
        self.schedules().map_err(anyhow::Error::msg)?;
        Ok(())
    }

    /// The replicas' settings, from `database_replica_urls` and the `replica_*` keys.
    pub fn replicas(&self) -> madang_store::ReplicaSettings {
        let check = Duration::from_millis(self.replica_check_ms);
        madang_store::ReplicaSettings {
            urls: self
                .database_replica_urls
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            max_lag: Duration::from_millis(self.replica_max_lag_ms),
            // A health check may take as long as the interval between checks.
            timeout: check.clamp(Duration::from_millis(100), Duration::from_secs(2)),
        }
    }

    /// How long after a member's write their reads stay on the primary: past it, any
    /// replica in rotation has the write (see `replicas` in this crate).
    pub fn read_your_writes_window(&self) -> Duration {
        let r = self.replicas();
        r.max_lag + Duration::from_millis(self.replica_check_ms) + r.timeout
    }

    /// The configured cron schedules, without those set to `off`.
    pub fn schedules(&self) -> Result<Vec<madang_jobs::Schedule>, String> {
        use madang_domain::jobs::kinds;
        [
            (kinds::HOT_REFRESH, &self.cron_hot_refresh),
            (kinds::PURGE, &self.cron_purge),
            (kinds::RECONCILE, &self.cron_reconcile),
            (kinds::DAILY_STATS, &self.cron_daily_stats),
        ]
        .into_iter()
        .filter(|(_, expr)| expr.as_str() != "off")
        .map(|(kind, expr)| madang_jobs::Schedule::parse(kind, expr))
        .collect()
    }

    pub fn json_logs(&self) -> bool {
        match self.log_format.as_str() {
            "json" => true,
            "pretty" => false,
            _ => self.profile == Profile::Prod,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prod_refuses_a_default_or_short_secret() {
        let mut s = Settings::for_tests("sqlite://x.db");
        s.profile = Profile::Prod;
        s.jwt_secret = DEV_JWT_SECRET.to_owned();
        assert!(s.check().is_err());
        s.jwt_secret = "short".to_owned();
        assert!(s.check().is_err());
        s.jwt_secret = "x".repeat(32);
        assert!(s.check().is_ok());
        assert!(s.json_logs() || s.log_format == "pretty");
    }

    #[test]
    fn schedules_and_queue_are_checked() {
        let mut s = Settings::for_tests("sqlite://x.db");
        assert_eq!(s.schedules().map(|v| v.len()), Ok(4));
        s.cron_purge = "off".to_owned();
        assert_eq!(s.schedules().map(|v| v.len()), Ok(3));
        s.cron_reconcile = "at four".to_owned();
        assert!(s.check().is_err());
        s.cron_reconcile = "0 4 * * *".to_owned();
        s.cron_timezone = "Seoul".to_owned();
        assert!(s.check().is_err());
        s.cron_timezone = "Asia/Seoul".to_owned();
        s.job_queue = "redis".to_owned();
        assert!(s.check().is_err(), "redis without a URL");
        s.redis_url = "redis://127.0.0.1:6379".to_owned();
        assert!(s.check().is_ok());
    }

    #[test]
    fn dev_accepts_the_default_secret() {
        let mut s = Settings::for_tests("sqlite://x.db");
        s.profile = Profile::Dev;
        s.jwt_secret = DEV_JWT_SECRET.to_owned();
        assert!(s.check().is_ok());
    }
}
