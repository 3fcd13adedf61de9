//! `--suite views`: what counting views (조회수) costs the post detail.
//!
//! The same two scenarios run against three servers on the bench database, one after
//! another: view counting off, on with the in-process buffer, and on with the Redis
//! buffer (`--redis-url`; left out when empty). `post_random` reads a random post each
//! request, so nearly every read is a new (post, viewer) pair: it is buffered, and the
//! flushes write thousands of posts each, while the 32 connections keep reading. That
//! is the upper bound of the cost. `post_hot` reads one post: after the first read
//! every one is a deduplication hit, the steady cost of a popular post.
//!
//! Each flush is measured by the server itself (`madang_view_flush_seconds`, read from
//! `/metrics` before and after each scenario), so its figures are the flushes that
//! ran under the load.

use std::path::Path;

use serde_json::{Value, json};

use crate::scenarios::Context;
use crate::setup::{serve, wait_ready};
use crate::{Args, Figures, Scenario, drive, print_row, reset_peak_rss};

/// The largest slowdown of counting on against counting off the issue allows.
const TARGET_RATIO: f64 = 0.10;

/// Environment variables of one server.
type Env = Vec<(&'static str, String)>;

/// One server's run: its mode, the mode it is compared with (counting off, the rest
/// alike), each scenario's figures and what its flushes did.
struct ModeRun {
    mode: &'static str,
    baseline: Option<&'static str>,
    rows: Vec<(Figures, Flushes)>,
}

/// The view flusher's work during one scenario, from the server's metrics.
#[derive(Default, Clone)]
struct Flushes {
    count: f64,
    seconds: f64,
    counted: f64,
    lost: f64,
    /// The flush-time histogram: (upper bound in seconds, flushes at or under it).
    buckets: Vec<(f64, f64)>,
}

impl Flushes {
    fn json(&self) -> Value {
        json!({
            "flushes": self.count,
            "views_written": self.counted,
            "views_lost": self.lost,
            "mean_flush_ms": self.mean_ms(),
            "every_flush_under_ms": self.max_bound().map(|b| b * 1000.0),
        })
    }

    /// The smallest histogram bound every flush stayed under.
    fn max_bound(&self) -> Option<f64> {
        self.buckets
            .iter()
            .find(|(_, n)| self.count > 0.0 && *n >= self.count)
            .map(|(le, _)| *le)
    }

    /// What ran between `before` and now.
    fn since(&self, before: &Self) -> Self {
        let prior = |le: f64| {
            before
                .buckets
                .iter()
                .find(|(b, _)| *b == le)
                .map_or(0.0, |(_, n)| *n)
        };
        Self {
            count: self.count - before.count,
            seconds: self.seconds - before.seconds,
            counted: self.counted - before.counted,
            lost: self.lost - before.lost,
            buckets: self
                .buckets
                .iter()
                .map(|(le, n)| (*le, n - prior(*le)))
                .collect(),
        }
    }

    fn mean_ms(&self) -> Option<f64> {
        (self.count > 0.0).then(|| self.seconds / self.count * 1000.0)
    }
}

pub async fn run(args: &Args, madang: &Path, url: &str, search_dir: &str) -> anyhow::Result<()> {
    let off = || ("MADANG_VIEWS", "off".to_owned());
    let on = || ("MADANG_VIEWS", "on".to_owned());
    let mut modes: Vec<(&'static str, Option<&'static str>, Env)> = vec![
        ("off", None, vec![off()]),
        ("local", Some("off"), vec![on()]),
    ];
    if !args.redis_url.is_empty() {
        // With Redis the cache is shared too, so the baseline is Redis with counting off.
        let redis = |views: (&'static str, String)| {
            vec![
                views,
                ("MADANG_REDIS_URL", args.redis_url.clone()),
                (
                    "MADANG_REDIS_PREFIX",
                    format!("madang-bench-views-{}", ulid_ish()),
                ),
            ]
        };
        modes.push(("redis-off", None, redis(off())));
        modes.push(("redis", Some("redis-off"), redis(on())));
    }
    let http = reqwest::Client::new();
    let c = args.connections();
    let mut runs = Vec::new();
    for (mode, baseline, env) in modes {
        let (mut server, base) = serve(madang, url, search_dir, &env)?;
        let result = async {
            wait_ready(&http, &base).await?;
            let ctx = Context::read(&http, &base, url).await?;
            let mut rows = Vec::new();
            for s in scenarios(&ctx, &base)
                .iter()
                .filter(|s| args.selected(s.name))
            {
                let before = flushes(&http, &base).await?;
                reset_peak_rss(server.id());
                let mut f = drive(s, &s.oha, c, args.duration, server.id())?;
                let after = flushes(&http, &base).await?;
                f.name = format!("{}/{mode}", s.name);
                print_row(&f);
                rows.push((f, after.since(&before)));
            }
            anyhow::Ok(rows)
        }
        .await;
        let _ = server.kill();
        let _ = server.wait();
        runs.push(ModeRun {
            mode,
            baseline,
            rows: result?,
        });
    }
    write(args, &runs, c)
}

fn scenarios(ctx: &Context, base: &str) -> Vec<Scenario> {
    let digits = ctx.max_post.to_string().len().saturating_sub(1).max(1);
    vec![
        Scenario {
            name: "post_random",
            what: "post detail, a random post each request (a new view nearly every read)".into(),
            url: format!("{base}/api/v1/posts/[1-9][0-9]{{0,{}}}", digits - 1),
            oha: vec!["--rand-regex-url".into()],
            writes: false,
        },
        Scenario {
            name: "post_hot",
            what: "post detail, one post (every read after the first a repeat view)".into(),
            url: format!("{base}/api/v1/posts/{}", ctx.hot_post),
            oha: vec![],
            writes: false,
        },
    ]
}

/// The flush metrics' totals now.
async fn flushes(http: &reqwest::Client, base: &str) -> anyhow::Result<Flushes> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let mut f = Flushes::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((key, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(v) = value.parse::<f64>() else {
            continue;
        };
        match key.split('{').next().unwrap_or(key) {
            "madang_view_flush_seconds_sum" => f.seconds += v,
            "madang_view_flush_seconds_count" => f.count += v,
            "madang_views_counted_total" => f.counted += v,
            "madang_views_lost_total" => f.lost += v,
            "madang_view_flush_seconds_bucket" => {
                let le = key
                    .split("le=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .and_then(|b| b.parse::<f64>().ok());
                if let Some(le) = le {
                    f.buckets.push((le, v));
                }
            }
            _ => {}
        }
    }
    f.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(f)
}

/// `<engine>-<scale>-views.json` and `.md`.
fn write(args: &Args, runs: &[ModeRun], c: u32) -> anyhow::Result<()> {
    let flush_ms = std::env::var("MADANG_VIEW_FLUSH_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(5000);
    let base_of = |mode: Option<&str>, name: &str| {
        let run = runs.iter().find(|r| Some(r.mode) == mode)?;
        run.rows
            .iter()
            .find(|(f, _)| f.name.split('/').next() == Some(name))
            .map(|(f, _)| f.clone())
    };
    let mut md = format!(
        "# View counting on {} at {} posts\n\n{c} connections, {} s per scenario, flush every {flush_ms} ms, \
         `cargo run -p madang-bench --release -- --suite views --engine {} --scale {}`.\n\n\
         | scenario / buffer | req/s | p50 ms | p99 ms | p99.9 ms | errors | req/s vs off | p99 vs off | within 10 % | flushes | views written | mean flush ms | every flush under |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n",
        args.engine, args.scale, args.duration, args.engine, args.scale
    );
    let mut rows = Vec::new();
    for run in runs {
        for (f, fl) in &run.rows {
            let scenario = f.name.split('/').next().unwrap_or("");
            let off = base_of(run.baseline, scenario);
            let rps_ratio = off.as_ref().map(|o| f.rps / o.rps);
            let p99_ratio = off.as_ref().map(|o| f.p99_ms / o.p99_ms);
            let on = run.baseline.is_some();
            let within = on
                && rps_ratio.is_some_and(|r| r >= 1.0 - TARGET_RATIO)
                && p99_ratio.is_some_and(|r| r <= 1.0 + TARGET_RATIO);
            let pct = |r: Option<f64>| {
                r.map_or("–".to_owned(), |r| format!("{:+.1} %", (r - 1.0) * 100.0))
            };
            md.push_str(&format!(
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                f.name,
                f.rps,
                f.p50_ms,
                f.p99_ms,
                f.p999_ms,
                f.errors,
                if on { pct(rps_ratio) } else { "–".into() },
                if on { pct(p99_ratio) } else { "–".into() },
                if !on {
                    "–"
                } else if within {
                    "✓"
                } else {
                    "✗"
                },
                if on {
                    format!("{:.0}", fl.count)
                } else {
                    "–".into()
                },
                if on {
                    format!("{:.0}", fl.counted)
                } else {
                    "–".into()
                },
                fl.mean_ms()
                    .filter(|_| on)
                    .map_or("–".into(), |m| format!("{m:.1}")),
                fl.max_bound()
                    .filter(|_| on)
                    .map_or("–".into(), |b| format!("{:.0} ms", b * 1000.0)),
            ));
            rows.push(json!({
                "scenario": f.name,
                "mode": run.mode,
                "compared_with": run.baseline,
                "figures": f,
                "throughput_vs_off": rps_ratio,
                "p99_vs_off": p99_ratio,
                "within_target": on.then_some(within),
                "flush": on.then(|| fl.json()),
            }));
        }
    }
    let report = json!({
        "engine": args.engine,
        "scale": args.scale,
        "concurrency": c,
        "duration_secs": args.duration,
        "flush_ms": flush_ms,
        "target": "throughput and p99 with counting on within 10 % of counting off",
        "machine": crate::machine(),
        "runs": rows,
    });
    std::fs::create_dir_all(&args.out)?;
    let stem = args
        .out
        .join(format!("{}-{}-views", args.engine, args.scale));
    crate::write_results(&stem, &report, md)?;
    println!("wrote {}.{{json,md}}", stem.display());
    Ok(())
}

/// A prefix no earlier run's Redis keys share.
fn ulid_ish() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
