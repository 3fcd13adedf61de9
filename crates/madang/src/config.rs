//! Configuration: defaults < `madang.toml` < `MADANG_*` environment, in one typed struct.

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
    /// A separate address for `/metrics` (then not served on `listen`); empty: none.
    pub metrics_listen: String,
    /// A sentiment model file; empty: the model built into the binary.
    pub classifier_model: String,
    /// An external model server (`{"text"}` in, `{"sentiment"}` out); empty: none.
    pub classifier_url: String,
    pub classifier_timeout_ms: u64,
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
            .set_default("metrics_listen", "")?
            .set_default("classifier_model", "")?
            .set_default("classifier_url", "")?
            .set_default("classifier_timeout_ms", 500)?
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
            metrics_listen: String::new(),
            classifier_model: String::new(),
            classifier_url: String::new(),
            classifier_timeout_ms: 500,
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
        Ok(())
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
    fn dev_accepts_the_default_secret() {
        let mut s = Settings::for_tests("sqlite://x.db");
        s.profile = Profile::Dev;
        s.jwt_secret = DEV_JWT_SECRET.to_owned();
        assert!(s.check().is_ok());
    }
}
