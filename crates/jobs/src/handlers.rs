//! Madang's job handlers: each turns a job's payload into a call of a domain use case.
//! Every one is idempotent (labels are set for a version, counts are recomputed, rows
//! are upserted), as at-least-once delivery requires.

use std::sync::Arc;

use async_trait::async_trait;
use chrono_tz::Tz;
use madang_domain::jobs::{Job, kinds};
use madang_domain::maintenance::{Day, Maintenance};
use madang_domain::notifications::Notifications;
use madang_domain::sentiment::Sentiments;

use crate::cron::day_bounds;
use crate::worker::{Handler, Handlers, JobError};

fn payload(job: &Job) -> Result<serde_json::Value, JobError> {
    serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Permanent(format!("the payload is not JSON: {e}")))
}

fn id_of(job: &Job) -> Result<i64, JobError> {
    payload(job)?
        .get("id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| JobError::Permanent("the payload has no integer id".into()))
}

struct LabelPost(Arc<Sentiments>);

#[async_trait]
impl Handler for LabelPost {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        Ok(self.0.label_post(id_of(job)?).await?)
    }
}

struct LabelComment(Arc<Sentiments>);

#[async_trait]
impl Handler for LabelComment {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        Ok(self.0.label_comment(id_of(job)?).await?)
    }
}

struct HotRefresh(Arc<Maintenance>);

#[async_trait]
impl Handler for HotRefresh {
    async fn run(&self, _: &Job) -> Result<(), JobError> {
        let changed = self.0.refresh_hot().await?;
        tracing::info!(changed, "hot ranks refreshed");
        Ok(())
    }
}

struct Purge(Arc<Maintenance>);

#[async_trait]
impl Handler for Purge {
    async fn run(&self, _: &Job) -> Result<(), JobError> {
        let r = self.0.purge().await?;
        tracing::info!(
            login_history = r.login_history,
            jobs = r.jobs,
            search_changes = r.search_changes,
            sessions = r.sessions,
            "old login history, finished jobs, search changes and ended sessions purged"
        );
        Ok(())
    }
}

struct Reconcile(Arc<Maintenance>);

#[async_trait]
impl Handler for Reconcile {
    async fn run(&self, _: &Job) -> Result<(), JobError> {
        let r = self.0.reconcile().await?;
        for fix in &r.fixes {
            tracing::warn!(fix = %fix, "counter drift fixed");
        }
        tracing::info!(
            categories = r.categories_checked,
            posts = r.posts_checked,
            comments = r.comments_checked,
            fixed = r.fixes.len(),
            "counters reconciled"
        );
        Ok(())
    }
}

/// Counts the payload's day and the day before it (which the previous run saw only
/// up to its tick), in the schedule's time zone.
struct DailyStats {
    maintenance: Arc<Maintenance>,
    tz: Tz,
}

#[async_trait]
impl Handler for DailyStats {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let p = payload(job)?;
        let day = p
            .get("day")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| JobError::Permanent("the payload has no day".into()))
            .and_then(|s| Day::parse("day", s).map_err(|v| JobError::Permanent(v.message)))?;
        for d in [day.plus_days(-1), day] {
            let (from, to) = day_bounds(d, self.tz);
            let c = self.maintenance.daily_stats(d, from, to).await?;
            tracing::info!(day = %d, new_users = c.new_users, posts = c.posts, comments = c.comments, votes = c.votes, "daily statistics stored");
        }
        Ok(())
    }
}

struct NotifyComment(Arc<Notifications>);

#[async_trait]
impl Handler for NotifyComment {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let n = self.0.on_comment(id_of(job)?).await?;
        tracing::debug!(delivered = n, "comment notifications");
        Ok(())
    }
}

struct NotifyPost(Arc<Notifications>);

#[async_trait]
impl Handler for NotifyPost {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let n = self.0.on_post(id_of(job)?).await?;
        tracing::debug!(delivered = n, "post notifications");
        Ok(())
    }
}

struct NotifyModeration(Arc<Notifications>);

#[async_trait]
impl Handler for NotifyModeration {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let n = self.0.on_moderation(id_of(job)?).await?;
        tracing::debug!(delivered = n, "moderation notifications");
        Ok(())
    }
}

/// Every handler Madang has. Labelling is left out when no classifier is configured.
pub fn madang_handlers(
    sentiments: Option<Arc<Sentiments>>,
    maintenance: Arc<Maintenance>,
    notifications: Arc<Notifications>,
    tz: Tz,
) -> Handlers {
    let mut h = Handlers::new()
        .with(
            kinds::HOT_REFRESH,
            Arc::new(HotRefresh(maintenance.clone())),
        )
        .with(kinds::PURGE, Arc::new(Purge(maintenance.clone())))
        .with(kinds::RECONCILE, Arc::new(Reconcile(maintenance.clone())))
        .with(kinds::DAILY_STATS, Arc::new(DailyStats { maintenance, tz }))
        .with(
            kinds::NOTIFY_COMMENT,
            Arc::new(NotifyComment(notifications.clone())),
        )
        .with(
            kinds::NOTIFY_POST,
            Arc::new(NotifyPost(notifications.clone())),
        )
        .with(
            kinds::NOTIFY_MODERATION,
            Arc::new(NotifyModeration(notifications)),
        );
    if let Some(s) = sentiments {
        h = h
            .with(kinds::LABEL_POST, Arc::new(LabelPost(s.clone())))
            .with(kinds::LABEL_COMMENT, Arc::new(LabelComment(s)));
    }
    h
}
