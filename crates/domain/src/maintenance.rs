//! Scheduled upkeep: hot rank refresh, purges, counter reconciliation and the daily
//! statistics, plus reading those statistics back.
//!
//! Every pass walks its table in batches by primary key, so no pass holds a lock on more
//! than one batch (or one row) at a time, and each is idempotent: running it twice, or
//! running it again after a worker died half-way, changes nothing more.

use std::fmt;
use std::sync::Arc;

use crate::cache::scope;
use crate::error::{Result, Violation};
use crate::ports::{Cache, JobQueue, MaintenanceStore};
use crate::search::hot_rank;
use crate::time::{Clock, Timestamp};
use crate::validate::Violations;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// A calendar day (proleptic Gregorian), `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Day {
    pub fn parse(field: &str, s: &str) -> std::result::Result<Self, Violation> {
        let bad = || Violation::new(field, "date", format!("{field} must be a date YYYY-MM-DD"));
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
            return Err(bad());
        };
        let year = i32::try_from(year).map_err(|_| bad())?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(bad());
        }
        Ok(Self { year, month, day })
    }

    /// Days since 1970-01-01 (negative before), after Howard Hinnant's `days_from_civil`.
    pub fn to_epoch_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Day::to_epoch_days`] (`civil_from_days`).
    pub fn from_epoch_days(z: i64) -> Self {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }

    pub fn plus_days(self, n: i64) -> Self {
        Self::from_epoch_days(self.to_epoch_days() + n)
    }

    /// The day that contains `t` in a zone `offset_ms` ahead of UTC.
    pub fn containing(t: Timestamp, offset_ms: i64) -> Self {
        Self::from_epoch_days((t.millis() + offset_ms).div_euclid(DAY_MS))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DailyCounts {
    pub new_users: i64,
    pub posts: i64,
    pub comments: i64,
    /// Votes on posts and on comments.
    pub votes: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyStats {
    pub day: Day,
    pub counts: DailyCounts,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HotRow {
    pub id: i64,
    pub vote_count: i64,
    pub created_at: Timestamp,
    pub hot_rank: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostCounters {
    pub id: i64,
    pub comment_count: i64,
    pub actual_comments: i64,
    pub vote_count: i64,
    pub actual_votes: i64,
    /// Listed threads: live top-level comments, and deleted ones with a live reply.
    pub thread_count: i64,
    pub actual_threads: i64,
}

/// A post's counters as a recount stored them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostCounts {
    pub comments: i64,
    pub votes: i64,
    pub threads: i64,
}

/// A category's stored count of active posts beside the actual one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryCounter {
    pub id: i64,
    pub post_count: i64,
    pub actual: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentCounters {
    pub id: i64,
    pub vote_count: i64,
    pub actual_votes: i64,
    pub reply_count: i64,
    pub actual_replies: i64,
}

/// One counter put right by reconciliation, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterFix {
    pub table: &'static str,
    pub id: i64,
    pub field: &'static str,
    pub was: i64,
    pub now: i64,
}

impl fmt::Display for CounterFix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {} -> {}",
            self.table, self.id, self.field, self.was, self.now
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub categories_checked: u64,
    pub posts_checked: u64,
    pub comments_checked: u64,
    pub fixes: Vec<CounterFix>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub login_history: u64,
    pub jobs: u64,
    pub search_changes: u64,
    /// Ended web-app and console sessions.
    pub sessions: u64,
}

#[derive(Debug, Clone)]
pub struct MaintenanceSettings {
    /// How far back the hot refresh looks.
    pub hot_window_ms: i64,
    pub login_retention_ms: i64,
    pub job_retention_ms: i64,
    /// Rows per batch.
    pub batch: u32,
}

impl Default for MaintenanceSettings {
    fn default() -> Self {
        Self {
            hot_window_ms: 7 * DAY_MS,
            login_retention_ms: 180 * DAY_MS,
            job_retention_ms: 7 * DAY_MS,
            batch: 500,
        }
    }
}

/// The most days one statistics request may span.
pub const STATS_MAX_DAYS: u32 = 366;
/// Days answered when no range is given.
pub const STATS_DEFAULT_DAYS: u32 = 30;

pub struct Maintenance {
    store: Arc<dyn MaintenanceStore>,
    jobs: Arc<dyn JobQueue>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    settings: MaintenanceSettings,
}

impl Maintenance {
    pub fn new(
        store: Arc<dyn MaintenanceStore>,
        jobs: Arc<dyn JobQueue>,
        cache: Arc<dyn Cache>,
        clock: Arc<dyn Clock>,
        settings: MaintenanceSettings,
    ) -> Self {
        Self {
            store,
            jobs,
            cache,
            clock,
            settings,
        }
    }

    /// Recomputes the stored hot rank of recent posts and fixes any that differ (after a
    /// change of formula, a bulk import or a counter fix). Answers how many it changed.
    #[tracing::instrument(name = "maintenance.refresh_hot", skip_all)]
    pub async fn refresh_hot(&self) -> Result<u64> {
        let since = Timestamp(self.clock.now().millis() - self.settings.hot_window_ms);
        let mut after = (since, 0);
        let mut changed = 0;
        loop {
            let rows = self.store.hot_batch(after, self.settings.batch).await?;
            let Some(last) = rows.last() else { break };
            after = (last.created_at, last.id);
            for r in &rows {
                let rank = hot_rank(r.vote_count, r.created_at);
                if (rank - r.hot_rank).abs() > 1e-9
                    && self.store.set_hot_rank(r.id, r.vote_count, rank).await?
                {
                    self.cache.invalidate(&scope::post_changed(r.id)).await;
                    changed += 1;
                }
            }
            if rows.len() < self.settings.batch as usize {
                break;
            }
        }
        Ok(changed)
    }

    /// How long the search change log is kept.
    pub const SEARCH_LOG_RETENTION_MS: i64 = 24 * 3600 * 1000;

    /// Deletes login history past its retention, completed jobs past theirs, a day's
    /// search change log and the cookie sessions that ended a day ago.
    #[tracing::instrument(name = "maintenance.purge", skip_all)]
    pub async fn purge(&self) -> Result<PurgeReport> {
        let now = self.clock.now().millis();
        let before = Timestamp(now - self.settings.login_retention_ms);
        let mut report = PurgeReport::default();
        loop {
            let n = self
                .store
                .purge_login_history(before, self.settings.batch)
                .await?;
            report.login_history += n;
            if n < u64::from(self.settings.batch) {
                break;
            }
        }
        report.jobs = self
            .jobs
            .purge_done(Timestamp(now - self.settings.job_retention_ms))
            .await?;
        // A day of the search change log: a node down for longer rebuilds its index.
        report.search_changes = self
            .store
            .purge_search_changes(Timestamp(now - Self::SEARCH_LOG_RETENTION_MS))
            .await?;
        // A day after a cookie session ended, nothing reads its row again.
        report.sessions = self
            .store
            .purge_ended_sessions(Timestamp(now - Self::SEARCH_LOG_RETENTION_MS))
            .await?;
        Ok(report)
    }

    /// Recounts every post's comments and votes and every comment's votes, fixing drift.
    #[tracing::instrument(name = "maintenance.reconcile", skip_all)]
    pub async fn reconcile(&self) -> Result<ReconcileReport> {
        let mut report = ReconcileReport::default();
        let categories = self.store.category_counters().await?;
        report.categories_checked = categories.len() as u64;
        for c in categories.iter().filter(|c| c.post_count != c.actual) {
            let now = self.store.fix_category_count(c.id).await?;
            // The lists' totals come from these counters.
            self.cache.invalidate(&[scope::POST_LISTS.to_owned()]).await;
            if now != c.post_count {
                report.fixes.push(CounterFix {
                    table: "categories",
                    id: c.id,
                    field: "post_count",
                    was: c.post_count,
                    now,
                });
            }
        }
        let mut after = 0;
        loop {
            let rows = self.store.post_counters(after, self.settings.batch).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            report.posts_checked += rows.len() as u64;
            for r in rows.iter().filter(|r| {
                r.comment_count != r.actual_comments
                    || r.vote_count != r.actual_votes
                    || r.thread_count != r.actual_threads
            }) {
                let now = self.store.fix_post_counters(r.id, &hot_rank).await?;
                for (field, was, now) in [
                    ("comment_count", r.comment_count, now.comments),
                    ("vote_count", r.vote_count, now.votes),
                    ("thread_count", r.thread_count, now.threads),
                ] {
                    if was != now {
                        report.fixes.push(CounterFix {
                            table: "posts",
                            id: r.id,
                            field,
                            was,
                            now,
                        });
                    }
                }
                self.cache.invalidate(&scope::post_changed(r.id)).await;
            }
            if rows.len() < self.settings.batch as usize {
                break;
            }
        }
        after = 0;
        loop {
            let rows = self
                .store
                .comment_counters(after, self.settings.batch)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            report.comments_checked += rows.len() as u64;
            for r in rows.iter().filter(|r| r.vote_count != r.actual_votes) {
                let votes = self.store.fix_comment_votes(r.id).await?;
                if votes != r.vote_count {
                    report.fixes.push(CounterFix {
                        table: "comments",
                        id: r.id,
                        field: "vote_count",
                        was: r.vote_count,
                        now: votes,
                    });
                }
            }
            for r in rows.iter().filter(|r| r.reply_count != r.actual_replies) {
                let replies = self.store.fix_comment_replies(r.id).await?;
                if replies != r.reply_count {
                    report.fixes.push(CounterFix {
                        table: "comments",
                        id: r.id,
                        field: "reply_count",
                        was: r.reply_count,
                        now: replies,
                    });
                }
            }
            if rows.len() < self.settings.batch as usize {
                break;
            }
        }
        self.store.refresh_statistics().await?;
        Ok(report)
    }

    /// Counts `day` (the instants [from, to) in the schedule's time zone) and stores it.
    #[tracing::instrument(name = "maintenance.daily_stats", skip_all)]
    pub async fn daily_stats(
        &self,
        day: Day,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<DailyCounts> {
        let counts = self
            .store
            .count_created(&[from, to])
            .await?
            .pop()
            .unwrap_or_default();
        self.store
            .save_daily(day, &counts, self.clock.now())
            .await?;
        Ok(counts)
    }

    /// `GET /stats/daily`: days in [from, to], at most [`STATS_MAX_DAYS`]; the latest
    /// [`STATS_DEFAULT_DAYS`] stored days when neither bound is given.
    #[tracing::instrument(name = "maintenance.daily", skip_all)]
    pub async fn daily(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<DailyStats>> {
        let mut v = Violations::new();
        let from = from.and_then(|s| v.check(Day::parse("from", s)));
        let to = to.and_then(|s| v.check(Day::parse("to", s)));
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                v.add("to", "range", "to must not be before from");
            } else if t.to_epoch_days() - f.to_epoch_days() >= i64::from(STATS_MAX_DAYS) {
                v.add(
                    "to",
                    "range",
                    format!("a range spans at most {STATS_MAX_DAYS} days"),
                );
            }
        }
        v.into_result()?;
        let limit = if from.is_none() && to.is_none() {
            STATS_DEFAULT_DAYS
        } else {
            STATS_MAX_DAYS
        };
        self.store.daily(from, to, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_and_print() {
        let d = Day::parse("from", "2024-02-29").expect("a leap day");
        assert_eq!(d.to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "20240101",
            "2024-01-32",
            "+024-01-01",
            "２０２４-01-01",
        ] {
            assert!(Day::parse("from", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(Day::parse("d", "1970-01-01").map(Day::to_epoch_days), Ok(0));
        assert_eq!(
            Day::parse("d", "2026-11-22").map(Day::to_epoch_days),
            Ok(20_779)
        );
        for n in (-800_000..800_000).step_by(997) {
            assert_eq!(Day::from_epoch_days(n).to_epoch_days(), n);
        }
        assert_eq!(
            Day::parse("d", "2024-12-31").map(|d| d.plus_days(1).to_string()),
            Ok("2025-01-01".to_owned())
        );
    }

    #[test]
    fn the_day_depends_on_the_zone() {
        // 2026-11-22 16:00 UTC is already the 23rd in Seoul (UTC+9).
        let t = Timestamp(20_779 * DAY_MS + 16 * 3_600_000);
        assert_eq!(Day::containing(t, 0).to_string(), "2026-11-22");
        assert_eq!(Day::containing(t, 9 * 3_600_000).to_string(), "2026-11-23");
    }
}
