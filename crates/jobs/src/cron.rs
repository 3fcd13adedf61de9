//! Cron schedules: standard cron syntax (five fields, or six with seconds) evaluated in
//! a time zone. Every node runs the scheduler; a tick is claimed in the database with its
//! job enqueued in the same transaction, so each tick runs once across all nodes, and a
//! tick missed while every node was down runs once when one comes back.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
pub use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use madang_domain::jobs::{NewJob, Tick, kinds};
use madang_domain::maintenance::Day;
use madang_domain::ports::CronStore;
use madang_domain::time::{Clock, Timestamp};
use tokio_util::sync::CancellationToken;

/// One schedule: a job kind and when to enqueue it.
#[derive(Clone)]
pub struct Schedule {
    pub kind: &'static str,
    pub expr: String,
    cron: Cron,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {:?}", self.kind, self.expr)
    }
}

impl Schedule {
    pub fn parse(kind: &'static str, expr: &str) -> Result<Self, String> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expr)
            .map_err(|e| format!("schedule {kind}: {expr:?} is not a cron expression: {e}"))?;
        Ok(Self {
            kind,
            expr: expr.to_owned(),
            cron,
        })
    }
}

pub fn parse_zone(name: &str) -> Result<Tz, String> {
    Tz::from_str(name).map_err(|_| format!("{name:?} is not an IANA time zone"))
}

/// `t` in `tz`, to the whole second: cron has no finer grain, and a tick found from
/// an instant with milliseconds keeps them — so two nodes (or two passes of one) would
/// see one tick as two different slots, and claim it twice.
fn to_zoned(t: Timestamp, tz: Tz) -> DateTime<Tz> {
    Utc.timestamp_opt(t.millis().div_euclid(1000), 0)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// The offset of `tz` from UTC at `t`, in milliseconds.
pub fn offset_ms(tz: Tz, t: Timestamp) -> i64 {
    use chrono::Offset;
    let local = to_zoned(t, tz);
    i64::from(local.offset().fix().local_minus_utc()) * 1000
}

/// The instants [start, end) of `day` in `tz`.
pub fn day_bounds(day: Day, tz: Tz) -> (Timestamp, Timestamp) {
    let start = |d: Day| {
        let naive = chrono::NaiveDate::from_ymd_opt(d.year, d.month, d.day)
            .and_then(|n| n.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        // Midnight may not exist (a DST jump): take the first instant of that day.
        let t = tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|| naive.and_utc().timestamp_millis());
        Timestamp(t)
    };
    (start(day), start(day.plus_days(1)))
}

pub struct Scheduler {
    schedules: Vec<Schedule>,
    tz: Tz,
    store: Arc<dyn CronStore>,
    clock: Arc<dyn Clock>,
}

impl Scheduler {
    pub fn new(
        schedules: Vec<Schedule>,
        tz: Tz,
        store: Arc<dyn CronStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            schedules,
            tz,
            store,
            clock,
        }
    }

    /// The latest tick of `s` at or before `now`.
    fn due(&self, s: &Schedule, now: Timestamp) -> Option<Timestamp> {
        s.cron
            .find_previous_occurrence(&to_zoned(now, self.tz), true)
            .ok()
            .map(|t| Timestamp(t.timestamp_millis()))
    }

    fn next(&self, s: &Schedule, now: Timestamp) -> Option<Timestamp> {
        s.cron
            .find_next_occurrence(&to_zoned(now, self.tz), false)
            .ok()
            .map(|t| Timestamp(t.timestamp_millis()))
    }

    /// The job a tick enqueues: the daily statistics name the tick's day in the zone.
    fn job_for(&self, s: &Schedule, slot: Timestamp, now: Timestamp) -> NewJob {
        let payload = if s.kind == kinds::DAILY_STATS {
            let day = Day::containing(slot, offset_ms(self.tz, slot));
            serde_json::json!({ "day": day.to_string(), "slot": slot.millis() })
        } else {
            serde_json::json!({ "slot": slot.millis() })
        };
        NewJob::new(s.kind, payload, now)
    }

    /// Claims every schedule's latest due tick. Answers what happened to each.
    pub async fn tick(&self) -> Vec<(&'static str, Timestamp, Tick)> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for s in &self.schedules {
            let Some(slot) = self.due(s, now) else {
                continue;
            };
            match self
                .store
                .claim_tick(s.kind, slot, &self.job_for(s, slot, now))
                .await
            {
                Ok(t) => {
                    if t == Tick::Run {
                        metrics::counter!("madang_cron_ticks_total", "schedule" => s.kind)
                            .increment(1);
                        tracing::info!(
                            schedule = s.kind,
                            slot = slot.millis(),
                            "cron tick enqueued"
                        );
                    }
                    out.push((s.kind, slot, t));
                }
                Err(e) => {
                    tracing::warn!(schedule = s.kind, error = %e, "claiming a cron tick failed")
                }
            }
        }
        out
    }

    /// Claims ticks as they come until `shutdown`. The first pass runs at once, which is
    /// what runs a tick missed during downtime.
    pub async fn run(self, shutdown: CancellationToken) {
        if self.schedules.is_empty() {
            return;
        }
        tracing::info!(schedules = ?self.schedules, zone = %self.tz, "cron scheduler started");
        loop {
            self.tick().await;
            let now = self.clock.now();
            let next = self
                .schedules
                .iter()
                .filter_map(|s| self.next(s, now))
                .min()
                .map(|t| t.millis() - now.millis())
                .unwrap_or(60_000);
            // Wake a little after the tick, and at least once a minute so a clock jump or
            // a failed claim is retried.
            let wait =
                Duration::from_millis(u64::try_from(next.clamp(0, 60_000)).unwrap_or(0) + 20);
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_and_seconds_syntax_parse() {
        assert!(Schedule::parse(kinds::DAILY_STATS, "0 20 * * *").is_ok());
        assert!(Schedule::parse(kinds::HOT_REFRESH, "*/10 * * * *").is_ok());
        assert!(Schedule::parse(kinds::HOT_REFRESH, "*/2 * * * * *").is_ok());
        assert!(Schedule::parse(kinds::HOT_REFRESH, "every ten minutes").is_err());
        assert!(parse_zone("Asia/Seoul").is_ok());
        assert!(parse_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn ticks_fall_in_the_zone() {
        struct At(Timestamp);
        impl Clock for At {
            fn now(&self) -> Timestamp {
                self.0
            }
        }
        struct NoStore;
        #[async_trait::async_trait]
        impl CronStore for NoStore {
            async fn claim_tick(
                &self,
                _: &str,
                _: Timestamp,
                _: &NewJob,
            ) -> madang_domain::Result<Tick> {
                Ok(Tick::Taken)
            }
        }
        let tz = parse_zone("Asia/Seoul").expect("zone");
        let s = Schedule::parse(kinds::DAILY_STATS, "0 20 * * *").expect("schedule");
        // 2026-11-22 12:00 UTC = 21:00 in Seoul: today's 20:00 Seoul tick (11:00 UTC) is due.
        let now = Timestamp(1_795_348_800_000);
        let sched = Scheduler::new(vec![s.clone()], tz, Arc::new(NoStore), Arc::new(At(now)));
        let due = sched.due(&s, now).expect("a due tick");
        assert_eq!(due, Timestamp(1_795_345_200_000));
        // The same tick whatever the milliseconds of the moment it is looked for.
        for ms in [1, 521, 999] {
            let later = Timestamp(now.millis() + ms);
            assert_eq!(sched.due(&s, later), Some(due), "+{ms} ms");
            assert_eq!(
                sched.next(&s, later),
                Some(Timestamp(1_795_345_200_000 + 86_400_000))
            );
        }
        let job = sched.job_for(&s, due, now);
        assert!(
            job.payload.contains("\"day\":\"2026-11-22\""),
            "{}",
            job.payload
        );
        assert_eq!(
            sched.next(&s, now),
            Some(Timestamp(1_795_345_200_000 + 86_400_000))
        );
        let (start, end) = day_bounds(Day::parse("d", "2026-11-22").expect("day"), tz);
        assert_eq!(end.millis() - start.millis(), 86_400_000);
        // Seoul midnight is 15:00 UTC the day before.
        assert_eq!(start, Timestamp(1_795_273_200_000));
    }
}
