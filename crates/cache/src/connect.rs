//! A Redis connection made on first use: Madang starts while Redis is down, and every
//! Redis user (the cache, the job queue) reconnects the same way.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How often a connection is attempted while Redis is unreachable.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

pub struct LazyRedis {
    client: redis::Client,
    timeout: Duration,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
}

impl LazyRedis {
    /// `timeout` bounds connecting and every response on the connection.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid Redis URL: {e}"))?;
        Ok(Self {
            client,
            timeout,
            conn: tokio::sync::Mutex::new(None),
            last_attempt: Mutex::new(None),
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The shared multiplexed connection (a `ConnectionManager`, which reconnects by
    /// itself once made), establishing it if there is none — at most once a second, so
    /// a Redis that is down costs callers a fast error rather than a connect each.
    pub async fn get(&self) -> Result<ConnectionManager, String> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
                return Err("not connected".into());
            }
            *last = Some(Instant::now());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let c = tokio::time::timeout(
            self.timeout * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| e.to_string())?;
        *slot = Some(c.clone());
        Ok(c)
    }
}
