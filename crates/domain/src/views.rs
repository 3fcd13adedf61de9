//! View counts (조회수) without a write per read.
//!
//! A read of a post is *recorded* in a [`ViewBuffer`]: the buffer remembers who read
//! which post for [`VIEW_WINDOW`] (one view per viewer per post per window) and adds one
//! to the post's pending count when the read is the viewer's first. A flush, every few
//! seconds, *takes* the pending counts and adds them to the posts, one transaction per
//! batch. The post detail stays cached; the flush makes the posts it moved stale, so a
//! count lags the reads by one flush interval at most.
//!
//! What a lost node costs: the counts it had taken or buffered and not yet written, one
//! flush interval's worth. Nothing is counted twice: a take removes what it answers, a
//! batch that the store did not apply is given back, and a batch whose commit had an
//! unknown outcome is dropped rather than retried.

use std::fmt::Write as _;
use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::accounts::{Actor, ClientInfo};
use crate::cache::scope;
use crate::error::Result;
use crate::ports::Cache;
use crate::posts::PostDetail;
use crate::time::{Clock, Timestamp};

/// How long one viewer's read of a post counts once.
pub const VIEW_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
/// Posts written by one transaction of a flush.
pub const FLUSH_BATCH: usize = 500;

/// Who read a post, as the dedup key stores it: `m<id>` for a member, or `a` and a
/// keyed hash of the address and User-Agent for an anonymous reader (never the raw
/// address).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewerKey(String);

impl ViewerKey {
    pub fn member(id: i64) -> Self {
        Self(format!("m{id}"))
    }

    /// A reader without an account: SHA-256 over a server secret, the address and the
    /// User-Agent, cut to 128 bits. Without the secret the key cannot be tied back to
    /// an address by trying them all.
    pub fn anonymous(secret: &[u8], client: &ClientInfo) -> Self {
        let mut h = Sha256::new();
        h.update(secret);
        h.update([0]);
        h.update(client.ip.as_deref().unwrap_or("").as_bytes());
        h.update([0]);
        h.update(client.user_agent.as_deref().unwrap_or("").as_bytes());
        let digest = h.finalize();
        // On every read of a post: one allocation, not one per byte.
        let mut key = String::with_capacity(33);
        key.push('a');
        for b in &digest[..16] {
            let _ = write!(key, "{b:02x}");
        }
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where reads are deduplicated and their counts wait for a flush: in process for one
/// node, in Redis for several.
#[async_trait]
pub trait ViewBuffer: Send + Sync {
    /// For logs and metrics: `local`, `redis`.
    fn name(&self) -> &'static str;
    /// Records a read at `now`; answers whether it was taken to be counted (as far as
    /// this node can tell, the viewer's first read of the post in the window; a shared
    /// buffer may still find it counted by another node). Failures are the adapter's to
    /// report: a read the buffer cannot take answers `false` and goes uncounted.
    async fn record(&self, post_id: i64, viewer: &ViewerKey, now: Timestamp) -> bool;
    /// Removes and answers every pending count, as (post id, views).
    async fn take(&self) -> Result<Vec<(i64, i64)>>;
    /// Gives back counts a flush could not write.
    async fn restore(&self, counts: &[(i64, i64)]) -> Result<()>;
}

/// What became of a batch of view counts handed to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Applied,
    /// The store did not apply it (the statement failed before commit).
    NotApplied,
    /// The commit was sent but its answer lost: it may or may not have applied.
    Unknown,
}

/// Where the counts end up.
#[async_trait]
pub trait ViewStore: Send + Sync {
    /// Adds each post's views to its counter, in one transaction (the adapter chooses
    /// the statements: the SQL one writes one per number of views gained).
    async fn add_views(&self, counts: &[(i64, i64)]) -> Added;
}

/// What one flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub posts: usize,
    pub views: i64,
    pub batches: usize,
    /// Views given back to the buffer (their batch was not applied).
    pub restored: i64,
    /// Views dropped because their batch's outcome was unknown.
    pub dropped: i64,
}

pub struct Views {
    buffer: Arc<dyn ViewBuffer>,
    store: Arc<dyn ViewStore>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    secret: Vec<u8>,
    enabled: bool,
}

impl Views {
    pub fn new(
        buffer: Arc<dyn ViewBuffer>,
        store: Arc<dyn ViewStore>,
        cache: Arc<dyn Cache>,
        clock: Arc<dyn Clock>,
        secret: Vec<u8>,
        enabled: bool,
    ) -> Self {
        Self {
            buffer,
            store,
            cache,
            clock,
            secret,
            enabled,
        }
    }

    pub fn buffer_name(&self) -> &'static str {
        self.buffer.name()
    }

    /// Counts a read of `post` unless the reader is staff or its author; answers whether
    /// it counted. Never fails the read: a buffer that cannot be reached loses the view.
    #[tracing::instrument(name = "views.record", skip_all)]
    pub async fn record(
        &self,
        post: &PostDetail,
        viewer: Option<&Actor>,
        client: &ClientInfo,
    ) -> bool {
        if !self.enabled || post.deleted_at.is_some() {
            return false;
        }
        let key = match viewer {
            Some(a) if a.is_staff() => return false,
            Some(a) if post.author.as_ref().is_some_and(|au| au.id == a.id) => return false,
            Some(a) => ViewerKey::member(a.id),
            None => ViewerKey::anonymous(&self.secret, client),
        };
        self.buffer.record(post.id, &key, self.clock.now()).await
    }

    /// Writes every pending count, [`FLUSH_BATCH`] posts a statement, and makes the
    /// cached posts it moved stale.
    #[tracing::instrument(name = "views.flush", skip_all)]
    pub async fn flush(&self) -> Result<FlushReport> {
        let mut counts = self.buffer.take().await?;
        counts.sort_unstable();
        let mut report = FlushReport::default();
        for batch in counts.chunks(FLUSH_BATCH) {
            let views: i64 = batch.iter().map(|c| c.1).sum();
            match self.store.add_views(batch).await {
                Added::Applied => {
                    report.posts += batch.len();
                    report.views += views;
                    report.batches += 1;
                    let scopes: Vec<String> = batch.iter().map(|c| scope::post(c.0)).collect();
                    self.cache.invalidate(&scopes).await;
                }
                Added::NotApplied => {
                    self.buffer.restore(batch).await?;
                    report.restored += views;
                }
                Added::Unknown => report.dropped += views,
            }
        }
        Ok(report)
    }
}
