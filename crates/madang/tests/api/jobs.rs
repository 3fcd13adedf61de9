//! The job queue suite, run against every adapter on the engine under test: the
//! embedded queue in this database, and the Redis queue (with this database's outbox)
//! when `MADANG_TEST_REDIS_URL` is set. Plus cron tick claims, counter reconciliation
//! and the daily statistics endpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use madang::auth::SystemClock;
use madang_domain::jobs::{Job, JobState, NewJob, Tick, kinds};
use madang_domain::maintenance::Day;
use madang_domain::ports::{CronStore, JobQueue};
use madang_domain::time::{Clock, Timestamp};
use madang_jobs::cron::{Schedule, Scheduler, day_bounds, parse_zone};
use madang_jobs::{Handler, Handlers, JobError, Ran, RedisQueue, WorkerSettings, Workers};
use madang_store::{Db, DbConfig, EmbeddedQueue};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, fresh_database, spawn};

/// A database of its own for the test, migrated.
async fn database() -> (Db, Option<tempfile::TempDir>) {
    let (url, dir, _) = fresh_database().await;
    let db = Db::connect_lazy(&DbConfig::new(&url, 4, Duration::from_secs(10))).unwrap();
    db.migrate().await.unwrap();
    (db, dir)
}

fn redis_url() -> Option<String> {
    match std::env::var("MADANG_TEST_REDIS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("MADANG_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1") => {
            panic!("MADANG_TEST_REDIS_URL is required by MADANG_TEST_REQUIRE_SERVICES=1")
        }
        _ => None,
    }
}

/// Every adapter, each on a fresh database.
async fn adapters() -> Vec<(Arc<dyn JobQueue>, Db, Option<tempfile::TempDir>)> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (db, dir) = database().await;
    let mut out: Vec<(Arc<dyn JobQueue>, Db, Option<tempfile::TempDir>)> = vec![(
        Arc::new(EmbeddedQueue::new(db.clone(), clock.clone())),
        db,
        dir,
    )];
    if let Some(url) = redis_url() {
        let (db, dir) = database().await;
        let prefix = format!("madang-test-{}", ulid::Ulid::new());
        let q = RedisQueue::new(
            &url,
            &prefix,
            Duration::from_secs(2),
            Arc::new(db.clone()),
            clock,
        )
        .unwrap();
        out.push((Arc::new(q), db, dir));
    }
    out
}

fn job(kind: &str) -> NewJob {
    NewJob::new(kind, json!({"n": 1}), SystemClock.now())
}

#[tokio::test]
async fn a_job_whose_worker_vanished_is_delivered_again() {
    for (q, _db, _dir) in adapters().await {
        let id = q.enqueue(&job("test.job")).await.unwrap();
        let short = Duration::from_millis(300);
        let first = q.reserve("a", short).await.unwrap().expect("a job");
        assert_eq!((first.job.id, first.job.attempts), (id, 1), "{}", q.name());
        assert_eq!(first.job.state, JobState::Running);
        // Worker "a" dies here: no completion, no heartbeat.
        assert!(
            q.reserve("b", short).await.unwrap().is_none(),
            "{}: hidden while the lease runs",
            q.name()
        );
        tokio::time::sleep(Duration::from_millis(450)).await;
        let second = q
            .reserve("b", Duration::from_secs(30))
            .await
            .unwrap()
            .expect("delivered again");
        assert_eq!(
            (second.job.id, second.job.attempts),
            (id, 2),
            "{}",
            q.name()
        );
        q.complete(&second).await.unwrap();
        assert!(q.reserve("c", short).await.unwrap().is_none());
        let j = q.job(id).await.unwrap().unwrap();
        assert_eq!(j.state, JobState::Done, "{}", q.name());
        let s = q.stats().await.unwrap();
        assert_eq!(
            (s.queued, s.running, s.done, s.dead),
            (0, 0, 1, 0),
            "{}",
            q.name()
        );
    }
}

#[tokio::test]
async fn a_heartbeat_keeps_a_long_job_from_a_second_worker() {
    for (q, _db, _dir) in adapters().await {
        q.enqueue(&job("test.job")).await.unwrap();
        let vis = Duration::from_millis(400);
        let lease = q.reserve("a", vis).await.unwrap().unwrap();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(q.extend(&lease, vis).await.unwrap(), "{}", q.name());
            assert!(q.reserve("b", vis).await.unwrap().is_none(), "{}", q.name());
        }
        q.complete(&lease).await.unwrap();
    }
}

/// Fails until told to succeed, counting runs.
struct Flaky {
    succeed: AtomicBool,
    runs: AtomicI64,
}

#[async_trait]
impl Handler for Flaky {
    async fn run(&self, _: &Job) -> Result<(), JobError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if self.succeed.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(JobError::Retry("the downstream is down".into()))
        }
    }
}

#[tokio::test]
async fn failures_back_off_then_dead_letter_and_a_retry_revives_the_job() {
    for (q, _db, _dir) in adapters().await {
        let flaky = Arc::new(Flaky {
            succeed: AtomicBool::new(false),
            runs: AtomicI64::new(0),
        });
        let workers = Workers::new(
            q.clone(),
            Handlers::new().with("test.flaky", flaky.clone()),
            WorkerSettings {
                backoff_base: Duration::from_millis(200),
                backoff_cap: Duration::from_secs(5),
                ..WorkerSettings::default()
            },
            Arc::new(SystemClock),
            "t",
        );
        let mut new = job("test.flaky");
        new.max_attempts = 3;
        let id = q.enqueue(&new).await.unwrap();
        let mut delays = Vec::new();
        for attempt in 1..=3 {
            let ran = loop {
                match workers.run_one("w").await.unwrap() {
                    Ran::Idle => tokio::time::sleep(Duration::from_millis(20)).await,
                    other => break other,
                }
            };
            let j = q.job(id).await.unwrap().unwrap();
            assert_eq!(j.attempts, attempt, "{}", q.name());
            assert_eq!(j.last_error.as_deref(), Some("the downstream is down"));
            if attempt < 3 {
                assert_eq!(ran, Ran::Retrying(id), "{}", q.name());
                assert_eq!(j.state, JobState::Queued);
                delays.push(j.run_at.millis() - j.updated_at.millis());
            } else {
                assert_eq!(ran, Ran::DeadLettered(id), "{}", q.name());
                assert_eq!(j.state, JobState::Dead);
            }
        }
        // Equal jitter: attempt 1 waits 100–200 ms, attempt 2 200–400 ms.
        assert!((100..200).contains(&delays[0]), "{}: {delays:?}", q.name());
        assert!((200..400).contains(&delays[1]), "{}: {delays:?}", q.name());
        assert_eq!(
            workers.run_one("w").await.unwrap(),
            Ran::Idle,
            "dead jobs stay put"
        );
        let dead = q.list(Some(JobState::Dead), 10).await.unwrap();
        assert_eq!(dead.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
        assert_eq!(q.stats().await.unwrap().dead, 1);

        // `madang jobs retry ID`.
        assert!(q.retry(id).await.unwrap(), "{}", q.name());
        assert!(!q.retry(id).await.unwrap(), "only dead jobs are revived");
        flaky.succeed.store(true, Ordering::SeqCst);
        assert_eq!(workers.run_one("w").await.unwrap(), Ran::Completed(id));
        assert_eq!(flaky.runs.load(Ordering::SeqCst), 4);
        let s = q.stats().await.unwrap();
        assert_eq!((s.dead, s.done), (0, 1), "{}", q.name());
    }
}

#[tokio::test]
async fn unknown_kinds_are_dead_lettered_and_all_failed_can_be_retried() {
    for (q, _db, _dir) in adapters().await {
        let workers = Workers::new(
            q.clone(),
            Handlers::new(),
            WorkerSettings::default(),
            Arc::new(SystemClock),
            "t",
        );
        let a = q.enqueue(&job("test.nobody")).await.unwrap();
        let b = q.enqueue(&job("test.nobody")).await.unwrap();
        assert_eq!(workers.run_one("w").await.unwrap(), Ran::DeadLettered(a));
        assert_eq!(workers.run_one("w").await.unwrap(), Ran::DeadLettered(b));
        let j = q.job(a).await.unwrap().unwrap();
        assert!(j.last_error.unwrap().contains("no handler"), "{}", q.name());
        assert_eq!(q.retry_all_dead().await.unwrap(), 2, "{}", q.name());
        assert_eq!(q.stats().await.unwrap().queued, 2, "{}", q.name());
    }
}

#[tokio::test]
async fn outbox_entries_are_relayed_once() {
    use madang_domain::ports::Outbox;
    for (q, db, _dir) in adapters().await {
        // Committed by a write (the outbox port), not yet relayed.
        let id = Outbox::add(&db, &job("test.job")).await.unwrap();
        assert_eq!(q.stats().await.unwrap().outbox, 1, "{}", q.name());
        assert_eq!(q.relay().await.unwrap(), 1, "{}", q.name());
        assert_eq!(q.relay().await.unwrap(), 0, "{}", q.name());
        let s = q.stats().await.unwrap();
        assert_eq!((s.outbox, s.queued), (0, 1), "{}", q.name());
        let lease = q
            .reserve("w", Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lease.job.id, id);
        q.complete(&lease).await.unwrap();
        // Completed jobs are purged after their retention.
        let later = Timestamp(SystemClock.now().millis() + 1_000);
        assert_eq!(q.purge_done(later).await.unwrap(), 1, "{}", q.name());
        assert!(q.job(id).await.unwrap().is_none());
    }
}

/// A clock the test moves.
struct Manual(AtomicI64);

impl Clock for Manual {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[tokio::test]
async fn each_cron_tick_runs_once_across_nodes_and_a_missed_tick_runs_once() {
    let (db, _dir) = database().await;
    let tz = parse_zone("Asia/Seoul").unwrap();
    // 2026-11-22 00:05 in Seoul.
    let t0 = 1_795_273_500_000;
    let clock = Arc::new(Manual(AtomicI64::new(t0)));
    let node = || {
        Scheduler::new(
            vec![Schedule::parse(kinds::HOT_REFRESH, "0 * * * *").unwrap()],
            tz,
            Arc::new(db.clone()) as Arc<dyn CronStore>,
            clock.clone(),
        )
    };
    let (a, b) = (node(), node());
    let ticks = |v: Vec<(&str, Timestamp, Tick)>| v.into_iter().map(|t| t.2).collect::<Vec<_>>();
    // First sight: a baseline, nothing runs.
    assert_eq!(ticks(a.tick().await), [Tick::Baseline]);
    assert_eq!(ticks(b.tick().await), [Tick::Taken]);
    // The next hour: both nodes try, one wins.
    clock.0.store(t0 + 3_600_000, Ordering::SeqCst);
    let (ra, rb) = tokio::join!(a.tick(), b.tick());
    let mut both = ticks(ra);
    both.extend(ticks(rb));
    both.sort_by_key(|t| *t == Tick::Taken);
    assert_eq!(both, [Tick::Run, Tick::Taken]);
    // Every node was down for five hours: one run for the latest tick, not five.
    clock.0.store(t0 + 6 * 3_600_000 + 60_000, Ordering::SeqCst);
    assert_eq!(ticks(b.tick().await), [Tick::Run]);
    assert_eq!(ticks(a.tick().await), [Tick::Taken]);
    let n: i64 = madang_domain::ports::Outbox::count(&db).await.unwrap() as i64;
    assert_eq!(n, 2, "one job per tick that ran");
}

#[tokio::test]
async fn reconciliation_fixes_drifted_counters() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let id = app.new_post(&m, cat, "t", "c").await;
    app.new_comment(&m, id, "one").await;
    app.put(&format!("/api/v1/posts/{id}/vote"), Some(&m.token), None)
        .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE posts SET comment_count = 9, vote_count = 4 WHERE id = {id}"
    )))
    .execute(&app.db)
    .await
    .unwrap();
    let report = app.maintenance.reconcile().await.unwrap();
    let fixed: Vec<String> = report.fixes.iter().map(ToString::to_string).collect();
    assert_eq!(
        fixed,
        [
            format!("posts {id} comment_count: 9 -> 1"),
            format!("posts {id} vote_count: 4 -> 1")
        ]
    );
    let (_, p) = app.get(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(
        (p["comment_count"].as_i64(), p["vote_count"].as_i64()),
        (Some(1), Some(1))
    );
    assert!(
        app.maintenance.reconcile().await.unwrap().fixes.is_empty(),
        "nothing left to fix"
    );
}

#[tokio::test]
async fn daily_statistics_are_counted_per_day_and_served() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let id = app.new_post(&m, cat, "t", "c").await;
    app.new_comment(&m, id, "one").await;
    app.put(&format!("/api/v1/posts/{id}/vote"), Some(&m.token), None)
        .await;
    let tz = parse_zone("Asia/Seoul").unwrap();
    let now = SystemClock.now();
    let today = Day::containing(now, madang_jobs::cron::offset_ms(tz, now));
    let (from, to) = day_bounds(today, tz);
    let c = app.maintenance.daily_stats(today, from, to).await.unwrap();
    // The admin and the author signed up today.
    assert_eq!((c.new_users, c.posts, c.comments, c.votes), (2, 1, 1, 1));
    let yesterday = today.plus_days(-1);
    let (yf, yt) = day_bounds(yesterday, tz);
    app.maintenance
        .daily_stats(yesterday, yf, yt)
        .await
        .unwrap();
    // Running the job again changes nothing.
    app.maintenance.daily_stats(today, from, to).await.unwrap();

    let (s, b) = app
        .get(
            &format!("/api/v1/stats/daily?from={yesterday}&to={today}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"],
        json!([
            {"date": yesterday.to_string(), "new_users": 0, "posts": 0, "comments": 0, "votes": 0},
            {"date": today.to_string(), "new_users": 2, "posts": 1, "comments": 1, "votes": 1},
        ])
    );
    let (s, b) = app.get("/api/v1/stats/daily", None).await;
    assert_eq!(
        (s, b["data"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2))
    );
    for bad in [
        "from=2026-02-30",
        "from=yesterday",
        "from=2026-11-22&to=2026-11-01",
        "from=2024-01-01&to=2026-01-01",
    ] {
        let (s, b) = app.get(&format!("/api/v1/stats/daily?{bad}"), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        assert_error(&b, "validation_failed");
    }
}
