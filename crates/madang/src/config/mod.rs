//! Configuration: defaults < `madang.toml` < `MADANG_*` environment, read once into
//! typed sections. The keys stay flat (`database_url`, `MADANG_DATABASE_URL`) as they
//! are documented; `load` reads them and parses every switch and secret once.

mod load;
mod secret;

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

pub use secret::{Secret, ServiceUrl};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Dev,
    Test,
    Prod,
}

/// A feature turned `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    pub fn is_on(self) -> bool {
        self == Self::On
    }
}

/// Where jobs wait for a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobQueueKind {
    /// In the database, beside the writes that enqueue them.
    Embedded,
    /// In Redis at `redis_url`, shared by several nodes.
    Redis,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
    /// JSON in `prod`, human-readable otherwise.
    ByProfile,
}

/// The secret used when none is configured. `prod` refuses to start with it.
pub const DEV_JWT_SECRET: &str = "madang-development-secret-change-me-in-production";
const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    pub profile: Profile,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub cache: CacheSettings,
    pub classifier: ClassifierSettings,
    pub jobs: JobSettings,
    pub cron: CronSettings,
    pub search: SearchSettings,
    pub board: BoardSettings,
    pub limits: LimitSettings,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Address the API listens on (`listen`).
    pub listen: String,
    /// Peers (addresses or networks, comma-separated) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: String,
    /// The board's public address (`https://board.example`), for canonical links,
    /// feeds and the sitemap; empty uses the request's `Host`.
    pub public_url: String,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace_secs: u64,
    /// Longest a request may take before it is answered 503.
    pub request_timeout_secs: u64,
    /// API requests served at once; past it, 503 with `Retry-After` at once.
    pub max_concurrent_requests: usize,
    /// Threads that hold the HTTP connections (accept, parse, shed, write), apart
    /// from the runtime that serves the admitted requests; 0: one runtime does both.
    pub http_threads: usize,
    /// A separate address for `/metrics` (then not served on `listen`); empty: none.
    pub metrics_listen: String,
    /// Longest wait for a request's headers, and for the next request on an idle
    /// kept-alive connection.
    pub header_timeout_secs: u64,
    /// A request body may take this long, plus a second per `body_min_bytes_per_sec`
    /// received, before it is answered 408.
    pub body_timeout_secs: u64,
    pub body_min_bytes_per_sec: u64,
    /// Connections one client address may hold at once (not counting trusted
    /// proxies); 0: no cap.
    pub max_connections_per_client: usize,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, `mysql://…` or `postgres://…` (`database_url`).
    pub url: ServiceUrl,
    pub max_connections: u32,
    pub acquire_timeout_ms: u64,
    /// Read replicas of `url` (`database_replica_urls`, comma-separated).
    pub replica_urls: Vec<ServiceUrl>,
    /// A replica further behind than this leaves the rotation.
    pub replica_max_lag_ms: u64,
    /// How often replicas' health and lag are checked.
    pub replica_check_ms: u64,
    /// Apply pending migrations when `serve` starts.
    pub auto_migrate: bool,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// HMAC key for access tokens (`jwt_secret`).
    pub jwt_secret: Secret,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// A refresh token spent this recently may be spent again (two tabs at once).
    pub refresh_reuse_grace_secs: i64,
    /// Argon2id memory cost in KiB (19456 is OWASP's recommendation).
    pub password_hash_memory_kib: u32,
    pub password_hash_iterations: u32,
    /// Hashes computed at once; more wait (0 = number of cores).
    pub password_hash_concurrency: usize,
    /// Login history older than this is purged.
    pub login_history_retention_days: u32,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    /// The filter (`log`), e.g. `info,madang_store=debug`.
    pub filter: String,
    /// `log_format`: `json`, `pretty`, or empty for by profile.
    pub format: LogFormat,
}

#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// `cache`.
    pub enabled: Switch,
    /// Redis for a cache (and view counts, and optionally jobs) shared by several
    /// nodes; empty keeps them in process.
    pub redis_url: ServiceUrl,
    /// Prefix of Madang's Redis keys.
    pub redis_prefix: String,
    /// Longest wait for one Redis operation, in milliseconds.
    pub redis_timeout_ms: u64,
    /// Bound of the in-process cache, in bytes (`cache_max_bytes`).
    pub max_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct ClassifierSettings {
    /// A sentiment model file; empty: the model built into the binary.
    pub model: String,
    /// An external model server (`{"text"}` in, `{"sentiment"}` out); empty: none.
    pub url: ServiceUrl,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Job worker loops in `serve` (0: an API-only node); `madang worker` runs at least one.
    pub workers: usize,
    /// `job_queue`.
    pub queue: JobQueueKind,
    /// How long a reserved job stays hidden from other workers without a heartbeat.
    pub visibility_secs: u64,
    /// How long an idle worker waits before looking for work again.
    pub poll_ms: u64,
    /// First retry delay; each further retry doubles it, up to `backoff_max_ms`.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// Completed jobs are forgotten after this many days.
    pub retention_days: u32,
}

#[derive(Debug, Clone)]
pub struct CronSettings {
    /// `cron`: run the schedules on this node.
    pub enabled: Switch,
    /// The zone schedules and daily statistics are read in.
    pub timezone: String,
    /// Cron expressions (5 fields, or 6 with seconds), or `off`.
    pub hot_refresh: String,
    pub purge: String,
    pub reconcile: String,
    pub daily_stats: String,
}

#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// Where this node keeps its search index (each node its own; `search_dir`).
    pub dir: String,
    /// How often the index reads the database's change log.
    pub poll_ms: u64,
}

#[derive(Debug, Clone)]
pub struct BoardSettings {
    /// `views`: count post views (조회수).
    pub views: Switch,
    /// How often buffered views are written to the posts, in milliseconds.
    pub view_flush_ms: u64,
    /// Most (post, viewer) pairs one node remembers for deduplication without Redis.
    pub view_dedup_cap: usize,
    /// Votes a comment needs to be one of a post's best comments.
    pub best_comment_votes: i64,
    /// `report_hide_threshold`: distinct members whose open reports hold content
    /// (블라인드) until a moderator decides.
    pub report_hide_threshold: u32,
}

#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// `rate_limits`: `off` lifts every rate limit and log-in throttle (for
    /// benchmarks and load tests).
    pub enabled: Switch,
    /// The defaults, with `[limits]` / `MADANG_LIMITS__*` overrides applied.
    pub quotas: madang_domain::limits::Quotas,
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
    /// Settings for tests: the `test` profile with a cheap password hash.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            profile: Profile::Test,
            http: HttpSettings {
                listen: "127.0.0.1:0".to_owned(),
                trusted_proxies: String::new(),
                public_url: String::new(),
                body_limit_bytes: 1024 * 1024,
                shutdown_grace_secs: 5,
                request_timeout_secs: 30,
                max_concurrent_requests: 1024,
                http_threads: 1,
                metrics_listen: String::new(),
                header_timeout_secs: 10,
                body_timeout_secs: 10,
                body_min_bytes_per_sec: 16 * 1024,
                max_connections_per_client: 256,
            },
            database: DatabaseSettings {
                url: ServiceUrl::new(database_url),
                max_connections: 8,
                acquire_timeout_ms: 10_000,
                replica_urls: Vec::new(),
                replica_max_lag_ms: 5000,
                replica_check_ms: 1000,
                auto_migrate: true,
            },
            auth: AuthSettings {
                jwt_secret: Secret::new("test-secret-test-secret-test-secret-0123"),
                access_token_ttl_secs: 900,
                refresh_token_ttl_secs: 3600,
                refresh_reuse_grace_secs: 20,
                password_hash_memory_kib: 1024,
                password_hash_iterations: 1,
                password_hash_concurrency: 0,
                login_history_retention_days: 180,
            },
            log: LogSettings {
                filter: "warn".to_owned(),
                format: LogFormat::Pretty,
            },
            cache: CacheSettings {
                enabled: Switch::On,
                redis_url: ServiceUrl::default(),
                redis_prefix: "madang".to_owned(),
                redis_timeout_ms: 200,
                max_bytes: 16 * 1024 * 1024,
            },
            classifier: ClassifierSettings {
                model: String::new(),
                url: ServiceUrl::default(),
                timeout_ms: 500,
            },
            jobs: JobSettings {
                workers: 2,
                queue: JobQueueKind::Embedded,
                visibility_secs: 60,
                poll_ms: 50,
                backoff_base_ms: 2_000,
                backoff_max_ms: 600_000,
                retention_days: 7,
            },
            cron: CronSettings {
                enabled: Switch::On,
                timezone: "Asia/Seoul".to_owned(),
                hot_refresh: "*/10 * * * *".to_owned(),
                purge: "30 4 * * *".to_owned(),
                reconcile: "0 4 * * *".to_owned(),
                daily_stats: "0 20 * * *".to_owned(),
            },
            search: SearchSettings {
                dir: test_search_dir(),
                poll_ms: 100,
            },
            board: BoardSettings {
                views: Switch::On,
                view_flush_ms: 200,
                view_dedup_cap: 10_000,
                best_comment_votes: 10,
                report_hide_threshold: madang_domain::reports::DEFAULT_HIDE_THRESHOLD,
            },
            // Off, as a test's many requests all come from one address; the tests of
            // the limits turn them on.
            limits: LimitSettings {
                enabled: Switch::Off,
                quotas: madang_domain::limits::Quotas::default(),
            },
        }
    }

    /// The rules no single value shows: checked once when the settings are read.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        let secret = self.auth.jwt_secret.expose();
        if self.profile == Profile::Prod
            && (secret == DEV_JWT_SECRET || secret.len() < MIN_SECRET_BYTES)
        {
            anyhow::bail!(
                "the prod profile needs MADANG_JWT_SECRET set to a secret of at least {MIN_SECRET_BYTES} bytes"
            );
        }
        if self.auth.access_token_ttl_secs <= 0 || self.auth.refresh_token_ttl_secs <= 0 {
            anyhow::bail!("token lifetimes must be positive");
        }
        if self.http.body_limit_bytes < 1024 {
            anyhow::bail!("body_limit_bytes must be at least 1024");
        }
        if self.http.header_timeout_secs == 0 || self.http.body_timeout_secs == 0 {
            anyhow::bail!("header_timeout_secs and body_timeout_secs must be positive");
        }
        if self.jobs.queue == JobQueueKind::Redis && self.cache.redis_url.is_empty() {
            anyhow::bail!("job_queue = redis needs redis_url");
        }
        if self.jobs.visibility_secs == 0 {
            anyhow::bail!("job_visibility_secs must be positive");
        }
        if self.database.replica_check_ms == 0 {
            anyhow::bail!("replica_check_ms must be positive");
        }
        madang_http::middleware::TrustedProxies::parse(&self.http.trusted_proxies)
            .map_err(anyhow::Error::msg)
            .context("trusted_proxies")?;
        madang_jobs::cron::parse_zone(&self.cron.timezone)
            .map_err(anyhow::Error::msg)
            .context("cron_timezone")?;
        self.schedules().map_err(anyhow::Error::msg)?;
        Ok(())
    }

    /// The data directory: where the search index lives (`./data` by default).
    pub fn data_dir(&self) -> std::path::PathBuf {
        match std::path::Path::new(&self.search.dir).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => std::path::PathBuf::from("."),
        }
    }

    /// `dev` without a configured secret: the data directory's own random one, made on
    /// first use, so that no token can be forged with the public development secret.
    fn dev_secret(&self) -> anyhow::Result<Secret> {
        let dir = self.data_dir();
        let (secret, made) = secret::data_dir_secret(&dir)
            .with_context(|| format!("the token secret in {}", dir.display()))?;
        if made {
            eprintln!(
                "madang: no MADANG_JWT_SECRET is set; generated a random one in {} \
                 (set MADANG_JWT_SECRET to choose your own)",
                dir.join(secret::SECRET_FILE).display()
            );
        }
        Ok(secret)
    }

    /// The replicas' settings, from `database_replica_urls` and the `replica_*` keys.
    pub fn replicas(&self) -> madang_store::ReplicaSettings {
        let check = Duration::from_millis(self.database.replica_check_ms);
        madang_store::ReplicaSettings {
            urls: self
                .database
                .replica_urls
                .iter()
                .map(|u| u.expose().to_owned())
                .collect(),
            max_lag: Duration::from_millis(self.database.replica_max_lag_ms),
            // A health check may take as long as the interval between checks.
            timeout: check.clamp(Duration::from_millis(100), Duration::from_secs(2)),
        }
    }

    /// How long after a member's write their reads stay on the primary: past it, any
    /// replica in rotation has the write (see `replicas` in this crate).
    pub fn read_your_writes_window(&self) -> Duration {
        let r = self.replicas();
        r.max_lag + Duration::from_millis(self.database.replica_check_ms) + r.timeout
    }

    /// The configured cron schedules, without those set to `off`.
    pub fn schedules(&self) -> Result<Vec<madang_jobs::Schedule>, String> {
        use madang_domain::jobs::kinds;
        [
            (kinds::HOT_REFRESH, &self.cron.hot_refresh),
            (kinds::PURGE, &self.cron.purge),
            (kinds::RECONCILE, &self.cron.reconcile),
            (kinds::DAILY_STATS, &self.cron.daily_stats),
        ]
        .into_iter()
        .filter(|(_, expr)| expr.as_str() != "off")
        .map(|(kind, expr)| madang_jobs::Schedule::parse(kind, expr))
        .collect()
    }

    pub fn json_logs(&self) -> bool {
        match self.log.format {
            LogFormat::Json => true,
            LogFormat::Pretty => false,
            LogFormat::ByProfile => self.profile == Profile::Prod,
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
        s.auth.jwt_secret = Secret::new(DEV_JWT_SECRET);
        assert!(s.check().is_err());
        s.auth.jwt_secret = Secret::new("short");
        assert!(s.check().is_err());
        s.auth.jwt_secret = Secret::new("x".repeat(32));
        assert!(s.check().is_ok());
        s.log.format = LogFormat::ByProfile;
        assert!(s.json_logs(), "prod logs JSON unless told otherwise");
    }

    #[test]
    fn schedules_and_queue_are_checked() {
        let mut s = Settings::for_tests("sqlite://x.db");
        assert_eq!(s.schedules().map(|v| v.len()), Ok(4));
        s.cron.purge = "off".to_owned();
        assert_eq!(s.schedules().map(|v| v.len()), Ok(3));
        s.cron.reconcile = "at four".to_owned();
        assert!(s.check().is_err());
        s.cron.reconcile = "0 4 * * *".to_owned();
        s.cron.timezone = "Seoul".to_owned();
        assert!(s.check().is_err());
        s.cron.timezone = "Asia/Seoul".to_owned();
        s.jobs.queue = JobQueueKind::Redis;
        assert!(s.check().is_err(), "redis without a URL");
        s.cache.redis_url = ServiceUrl::new("redis://127.0.0.1:6379");
        assert!(s.check().is_ok());
    }

    #[test]
    fn dev_accepts_the_default_secret() {
        let mut s = Settings::for_tests("sqlite://x.db");
        s.profile = Profile::Dev;
        s.auth.jwt_secret = Secret::new(DEV_JWT_SECRET);
        assert!(s.check().is_ok());
    }

    #[test]
    fn the_settings_debug_output_shows_no_secret() {
        let mut s = Settings::for_tests("postgres://madang:db-pass-9f2c@db:5432/madang");
        s.auth.jwt_secret = Secret::new("jwt-key-that-must-stay-hidden-0123456789");
        s.cache.redis_url = ServiceUrl::new("redis://:redis-pass-77aa@cache:6379");
        s.database.replica_urls = vec![ServiceUrl::new("postgres://ro:replica-pass-1b@r1/madang")];
        s.classifier.url = ServiceUrl::new("http://user:model-pass-3c@classifier:9000/");
        let shown = format!("{s:?} {s:#?}");
        for secret in [
            "db-pass-9f2c",
            "jwt-key-that-must-stay-hidden",
            "redis-pass-77aa",
            "replica-pass-1b",
            "model-pass-3c",
        ] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        assert!(
            shown.contains("postgres://madang:***@db:5432/madang"),
            "{shown}"
        );
    }
}
