//! Instants as milliseconds since the Unix epoch (UTC).
//!
//! Every engine stores them as a BIGINT: one representation that SQLite, MariaDB and
//! PostgreSQL order, index and compare the same way. Formatting to RFC 3339 is the
//! HTTP layer's job.

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant `d` later (saturating).
    pub fn plus(self, d: std::time::Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(ms))
    }

    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1000)))
    }
}

/// Where "now" comes from, so use cases can be tested at a fixed time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}
