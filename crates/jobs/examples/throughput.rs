//! Jobs per second through each queue adapter, and what enqueueing adds to the write
//! that does it. Writes `bench/results/jobs.json`.
//!
//! ```sh
//! cargo run --release -p madang-jobs --example throughput -- \
//!     [--mysql mysql://root@127.0.0.1:3306] [--postgres postgres://postgres@127.0.0.1:5432] \
//!     [--redis redis://127.0.0.1:6379] [--jobs 5000] [--workers 4]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use madang_domain::jobs::{Job, NewJob, kinds};
use madang_domain::ports::{JobQueue, Outbox, PostStore};
use madang_domain::posts::{Body, NewPost, Title};
use madang_domain::time::{Clock, Timestamp};
use madang_jobs::{Handler, Handlers, JobError, RedisQueue, WorkerSettings, Workers};
use madang_store::{Db, DbConfig, EmbeddedQueue};
use sqlx::Executor;

struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or_default(),
        )
    }
}

struct Noop;
#[async_trait]
impl Handler for Noop {
    async fn run(&self, _: &Job) -> Result<(), JobError> {
        Ok(())
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A fresh database on `server` (or a SQLite file) with Madang's schema.
async fn database(server: Option<&str>, dir: &std::path::Path) -> (Db, String) {
    sqlx::any::install_default_drivers();
    let name = format!("madang_bench_{}", ulid());
    let url = match server {
        None => format!("sqlite://{}/bench-{}.db", dir.display(), ulid()),
        Some(s) => {
            let s = s.trim_end_matches('/');
            let admin = if s.starts_with("mysql") {
                format!("{s}/mysql")
            } else {
                format!("{s}/postgres")
            };
            let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
            let _ = pool
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name}"
                )))
                .await;
            pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            format!("{s}/{name}")
        }
    };
    let db = Db::connect_lazy(&DbConfig::new(&url, 8, Duration::from_secs(30))).unwrap();
    db.migrate().await.unwrap();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    raw.execute("INSERT INTO users (name, name_key, email, email_key, password_hash, created_at, updated_at) VALUES ('b', 'b', 'b@x', 'b@x', 'x', 0, 0)").await.unwrap();
    raw.execute(
        "INSERT INTO categories (name, name_key, parent_key, created_at) VALUES ('c', 'c', 0, 0)",
    )
    .await
    .unwrap();
    (db, url)
}

fn ulid() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Median and p99 of creating a post (one transaction) with and without its job.
async fn write_cost(db: &Db) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (label, follow_up) in [
        ("without_job", vec![]),
        ("with_job", vec![kinds::LABEL_POST]),
    ] {
        let mut ms = Vec::new();
        for i in 0..500 {
            let post = NewPost {
                category_id: 1,
                author_id: 1,
                prefix_id: None,
                title: Title::parse(&format!("t{i}")).unwrap(),
                content: Body::parse("content", "본문입니다", 1000).unwrap(),
                search_text: "t".into(),
                hot_rank: 0.0,
                now: SystemClock.now(),
                follow_up: follow_up.clone(),
                mentions: Vec::new(),
            };
            let t = Instant::now();
            db.insert_post(&post).await.unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        out.insert(
            label.into(),
            serde_json::json!({"p50_ms": pct(&mut ms, 0.5), "p99_ms": pct(&mut ms, 0.99)}),
        );
    }
    serde_json::Value::Object(out)
}

/// Enqueues `n` jobs, then runs `workers` no-op workers until all are done.
async fn throughput(q: Arc<dyn JobQueue>, db: &Db, n: usize, workers: usize) -> f64 {
    for _ in 0..n {
        Outbox::add(
            db,
            &NewJob::new("bench.noop", serde_json::json!({}), SystemClock.now()),
        )
        .await
        .unwrap();
    }
    let w = Arc::new(Workers::new(
        q.clone(),
        Handlers::new().with("bench.noop", Arc::new(Noop)),
        WorkerSettings {
            poll: Duration::from_millis(5),
            ..WorkerSettings::default()
        },
        Arc::new(SystemClock),
        "bench",
    ));
    let tracker = tokio_util::task::TaskTracker::new();
    let stop = tokio_util::sync::CancellationToken::new();
    let started = Instant::now();
    w.spawn(&tracker, stop.clone(), db.outbox_signal(), workers);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if q.stats().await.unwrap().done as usize >= n {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    stop.cancel();
    tracker.close();
    tracker.wait().await;
    n as f64 / secs
}

#[tokio::main]
async fn main() {
    let n: usize = arg("--jobs").map(|s| s.parse().unwrap()).unwrap_or(5000);
    let workers: usize = arg("--workers").map(|s| s.parse().unwrap()).unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    let mut engines = vec![("sqlite", None)];
    if let Some(u) = arg("--mysql") {
        engines.push(("mariadb", Some(u)));
    }
    if let Some(u) = arg("--postgres") {
        engines.push(("postgres", Some(u)));
    }
    let redis = arg("--redis");
    let mut results = Vec::new();
    println!(
        "| queue | database | jobs/s ({workers} workers, {n} jobs) | post insert p50 / p99 without job | with job |"
    );
    println!("|---|---|---|---|---|");
    for (engine, server) in &engines {
        let mut queues: Vec<(&str, Db)> =
            vec![("embedded", database(server.as_deref(), dir.path()).await.0)];
        if redis.is_some() {
            queues.push(("redis", database(server.as_deref(), dir.path()).await.0));
        }
        for (name, db) in queues {
            let q: Arc<dyn JobQueue> = match name {
                "redis" => Arc::new(
                    RedisQueue::new(
                        redis.as_deref().unwrap(),
                        &format!("madang-bench-{}", ulid()),
                        Duration::from_secs(2),
                        Arc::new(db.clone()),
                        Arc::new(SystemClock),
                    )
                    .unwrap(),
                ),
                _ => Arc::new(EmbeddedQueue::new(db.clone(), Arc::new(SystemClock))),
            };
            let cost = write_cost(&db).await;
            let rate = throughput(q, &db, n, workers).await;
            println!(
                "| {name} | {engine} | {rate:.0} | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
                cost["without_job"]["p50_ms"].as_f64().unwrap(),
                cost["without_job"]["p99_ms"].as_f64().unwrap(),
                cost["with_job"]["p50_ms"].as_f64().unwrap(),
                cost["with_job"]["p99_ms"].as_f64().unwrap(),
            );
            results.push(serde_json::json!({
                "queue": name, "database": engine, "jobs": n, "workers": workers,
                "jobs_per_second": rate, "post_insert_ms": cost,
            }));
        }
    }
    std::fs::create_dir_all("bench/results").unwrap();
    std::fs::write(
        "bench/results/jobs.json",
        serde_json::to_string_pretty(&results).unwrap(),
    )
    .unwrap();
}
