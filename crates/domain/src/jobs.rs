//! Background jobs: what a job is, its life cycle, and the retry rule.
//!
//! A job is enqueued by writing it to the outbox in the same transaction as the write
//! that wants it (so a rolled-back write never gets its job and a committed one always
//! does), relayed from there into the configured queue, reserved by one worker at a time
//! for a visibility window, and completed, retried with backoff, or dead-lettered.
//! Delivery is at least once: every handler must be safe to run twice.

use std::time::Duration;

use crate::time::Timestamp;

/// The kinds of jobs Madang runs. A job of an unknown kind is dead-lettered at once.
pub mod kinds {
    /// Label the latest version of a post: payload `{"id": post_id}`.
    pub const LABEL_POST: &str = "sentiment.label_post";
    /// Label the latest version of a comment: payload `{"id": comment_id}`.
    pub const LABEL_COMMENT: &str = "sentiment.label_comment";
    /// Recompute stored hot ranks of recent posts, in batches.
    pub const HOT_REFRESH: &str = "posts.hot_refresh";
    /// Delete login history older than the retention, and finished jobs.
    pub const PURGE: &str = "maintenance.purge";
    /// Recompute post and comment counters and fix drift.
    pub const RECONCILE: &str = "maintenance.reconcile";
    /// Count the day's new users, posts, comments and votes: payload `{"day": "YYYY-MM-DD"}`.
    pub const DAILY_STATS: &str = "stats.daily";
    /// Tell the members a post mentions: payload `{"id": post_id}`.
    pub const NOTIFY_POST: &str = "notify.post";
    /// Tell the members a new comment concerns: payload `{"id": comment_id}`.
    pub const NOTIFY_COMMENT: &str = "notify.comment";
    /// Tell the members a staff decision concerns: payload `{"id": audit_entry_id}`.
    pub const NOTIFY_MODERATION: &str = "notify.moderation";
}

/// The jobs each kind of write enqueues in its own transaction, each about the row
/// written (payload `{"id": id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUps {
    pub post_written: Vec<&'static str>,
    pub comment_written: Vec<&'static str>,
    /// Also, when a post's text mentions someone.
    pub post_mentioning: Vec<&'static str>,
}

impl FollowUps {
    /// Sentiment labelling of every created or edited post and comment, and their
    /// notifications. An edit runs the notification job again: each notification is
    /// written once per event, so only a member the edit newly mentions is told.
    pub fn madang() -> Self {
        Self {
            post_written: vec![kinds::LABEL_POST],
            comment_written: vec![kinds::LABEL_COMMENT, kinds::NOTIFY_COMMENT],
            post_mentioning: vec![kinds::NOTIFY_POST],
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting to be reserved, possibly not before its `run_at`.
    Queued,
    /// Reserved by a worker whose lease has not expired.
    Running,
    /// Completed.
    Done,
    /// Failed `max_attempts` times (or could never succeed); kept with its last error.
    Dead,
}

impl JobState {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Running, Self::Done, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    /// A JSON document the handler of `kind` understands.
    pub payload: String,
    pub max_attempts: u32,
    /// Not before this instant.
    pub run_at: Timestamp,
}

pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

impl NewJob {
    pub fn new(kind: &str, payload: serde_json::Value, now: Timestamp) -> Self {
        Self {
            kind: kind.to_owned(),
            payload: payload.to_string(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: now,
        }
    }

    /// A job about one row: payload `{"id": id}`.
    pub fn about(kind: &str, id: i64, now: Timestamp) -> Self {
        Self::new(kind, serde_json::json!({ "id": id }), now)
    }
}

/// A job as a queue reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    /// Deliveries so far (a delivery whose worker died counts).
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A reserved job: the worker that holds it must complete, fail or extend it before
/// the lease runs out, or the job is delivered again.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub job: Job,
    /// Identifies this delivery; a stale lease cannot settle a redelivered job.
    pub token: String,
}

/// How a failed delivery ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Try again, not before this instant.
    RetryAt(Timestamp),
    /// Give up: the job is dead-lettered with its error.
    Dead,
}

/// The result of claiming a cron tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// This node won the tick; its job was enqueued with the claim.
    Run,
    /// The schedule was new: the tick was recorded as a starting point and nothing ran.
    Baseline,
    /// Another node (or an earlier pass) claimed this or a later tick.
    Taken,
}

/// Jobs per state, as `madang jobs stats` and the metrics show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStats {
    /// Committed by a write but not yet relayed into the queue.
    pub outbox: u64,
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub dead: u64,
}

/// The retry rule: exponential backoff (`base`·2^(attempt−1), at most `cap`) with
/// "equal jitter" — half the delay fixed, half drawn at random — so that jobs that failed
/// together do not come back together. `unit` is a random number in [0, 1).
pub fn retry_delay(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let full = base.saturating_mul(1u32 << exp).min(cap);
    let half = full / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

/// What happens after delivery `attempts` of a job allowed `max_attempts` failed.
pub fn after_failure(attempts: u32, max_attempts: u32, now: Timestamp, delay: Duration) -> Outcome {
    if attempts >= max_attempts {
        Outcome::Dead
    } else {
        Outcome::RetryAt(now.plus(delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        // With no randomness the delay is half the exponential step.
        assert_eq!(retry_delay(1, base, cap, 0.0), Duration::from_millis(500));
        assert_eq!(retry_delay(2, base, cap, 0.0), Duration::from_secs(1));
        assert_eq!(retry_delay(3, base, cap, 0.0), Duration::from_secs(2));
        assert!(retry_delay(3, base, cap, 0.999_999) < Duration::from_secs(4));
        assert_eq!(retry_delay(20, base, cap, 0.0), Duration::from_secs(30));
        assert_eq!(retry_delay(u32::MAX, base, cap, 1.0), cap);
    }

    #[test]
    fn jitter_stays_within_the_step() {
        let base = Duration::from_millis(200);
        let cap = Duration::from_secs(10);
        for i in 0..100 {
            let d = retry_delay(4, base, cap, f64::from(i) / 100.0);
            assert!(d >= Duration::from_millis(800) && d < Duration::from_millis(1600));
        }
    }

    #[test]
    fn the_last_attempt_dead_letters() {
        let now = Timestamp(1_000);
        let d = Duration::from_secs(2);
        assert_eq!(
            after_failure(1, 3, now, d),
            Outcome::RetryAt(Timestamp(3_000))
        );
        assert_eq!(after_failure(3, 3, now, d), Outcome::Dead);
        assert_eq!(after_failure(7, 3, now, d), Outcome::Dead);
    }

    #[test]
    fn states_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("sleeping"), None);
    }
}
