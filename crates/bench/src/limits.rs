//! `--suite limits`: what one rate-limit check costs, in process and in Redis.
//!
//! The domain's `Limits::check` (a member's allowance, then their client's: two takes)
//! is called by 32 tasks at once, over 10,000 members and addresses, through each
//! adapter. Every call is timed on its own; the figures are the distribution of those
//! times. No database and no HTTP: the cost of the limit and nothing else.

use std::sync::Arc;
use std::time::{Duration, Instant};

use madang_domain::accounts::{Actor, ClientInfo};
use madang_domain::limits::{Action, Limits, Quotas, RateLimiter};
use madang_domain::users::{Role, UserState};
use serde_json::{Value, json};

use crate::Args;

/// Checks per adapter, and the tasks making them.
const CHECKS: usize = 200_000;
const TASKS: usize = 32;
const SUBJECTS: usize = 10_000;

/// The targets for one check's p99.
const TARGET_LOCAL_MS: f64 = 0.2;
const TARGET_REDIS_MS: f64 = 1.0;

async fn measure(limiter: Arc<dyn RateLimiter>, checks: usize) -> Vec<Duration> {
    let limits = Arc::new(Limits::new(limiter, true));
    let per_task = checks / TASKS;
    let tasks = (0..TASKS).map(|t| {
        let limits = limits.clone();
        tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_task);
            for i in 0..per_task {
                let n = (t * per_task + i) % SUBJECTS;
                let actor = Actor {
                    id: n as i64,
                    role: Role::User,
                    state: UserState::Active,
                    session_id: 0,
                };
                let client = ClientInfo {
                    ip: Some(format!("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256)),
                    user_agent: None,
                };
                let started = Instant::now();
                let _ = limits.check(Action::Vote, Some(&actor), &client).await;
                times.push(started.elapsed());
            }
            times
        })
    });
    let mut all = Vec::with_capacity(checks);
    for t in tasks {
        if let Ok(times) = t.await {
            all.extend(times);
        }
    }
    all.sort();
    all
}

fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn row(adapter: &str, times: &[Duration], target_ms: f64, wall: Duration) -> Value {
    let p99 = quantile_ms(times, 0.99);
    json!({
        "adapter": adapter,
        "checks": times.len(),
        "checks_per_sec": (times.len() as f64 / wall.as_secs_f64()).round() as u64,
        "p50_ms": quantile_ms(times, 0.50),
        "p99_ms": p99,
        "p999_ms": quantile_ms(times, 0.999),
        "max_ms": quantile_ms(times, 1.0),
        "target_p99_ms": target_ms,
        "met": p99 <= target_ms,
    })
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let quotas = Quotas::default();
    let mut rows = Vec::new();

    let started = Instant::now();
    let local = measure(Arc::new(madang_limits::LocalLimiter::new(&quotas)), CHECKS).await;
    rows.push(row(
        "in process",
        &local,
        TARGET_LOCAL_MS,
        started.elapsed(),
    ));

    if !args.redis_url.is_empty() {
        let prefix = format!("madang-bench-limits-{}", std::process::id());
        let redis = madang_limits::RedisLimiter::new(
            &args.redis_url,
            Duration::from_millis(200),
            &prefix,
            &quotas,
        )
        .map_err(anyhow::Error::msg)?;
        // One warm-up check makes the connection.
        let _ = measure(redis.clone(), TASKS).await;
        let started = Instant::now();
        let shared = measure(redis, CHECKS / 4).await;
        rows.push(row("Redis", &shared, TARGET_REDIS_MS, started.elapsed()));
    }

    let mut md = String::from(
        "# One rate-limit check (member + client allowance), 32 tasks at once\n\n\
         | adapter | checks | checks/s | p50 ms | p99 ms | p99.9 ms | max ms | target p99 | met |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.3} | ≤ {} ms | {} |\n",
            r["adapter"].as_str().unwrap_or_default(),
            r["checks"],
            r["checks_per_sec"],
            r["p50_ms"].as_f64().unwrap_or(f64::NAN),
            r["p99_ms"].as_f64().unwrap_or(f64::NAN),
            r["p999_ms"].as_f64().unwrap_or(f64::NAN),
            r["max_ms"].as_f64().unwrap_or(f64::NAN),
            r["target_p99_ms"],
            if r["met"] == true {
                "yes"
            } else {
                "**missed**"
            },
        ));
    }
    print!("{md}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("limits.md"), &md)?;
    std::fs::write(
        args.out.join("limits.json"),
        serde_json::to_string_pretty(&json!({ "suite": "limits", "rows": rows }))?,
    )?;
    Ok(())
}
