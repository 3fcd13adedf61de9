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
                    format!("madang-bench-views-{}", unique_suffix()),
                ),
            ]
        };
        modes.push(("redis-off", None, redis(off())));
        modes.push(("redis", Some("redis-off"), redis(on())));
    }
    if args.selected("record_cost") && !args.only.is_empty() {
        // `--only record_cost`: the in-process cost alone, no server.
        let record = crate::record_cost::measure().await;
        std::fs::create_dir_all(&args.out)?;
        let stem = args.out.join("views-record-cost");
        let md = format!(
            "# Recording a read{}",
            crate::record_cost::markdown(&record)
        );
        crate::write_results(
            &stem,
            &json!({"machine": crate::machine(), "figures": record}),
            md,
        )?;
        println!("wrote {}.{{json,md}}", stem.display());
        return Ok(());
    }
    let http = reqwest::Client::new();
    let c = args.connections();
    // The VM's speed drifts by tens of percent from minute to minute, so the modes run
    // in turn, round after round, and each round's counting-on figure is set against
    // the counting-off one of the same round.
    let mut rounds = Vec::new();
    for round in 1..=args.rounds.max(1) {
        println!("round {round} of {}", args.rounds.max(1));
        let mut runs = Vec::new();
        for (mode, baseline, env) in &modes {
            let rows = one_server(args, madang, url, search_dir, &http, mode, env).await?;
            runs.push(ModeRun {
                mode,
                baseline: *baseline,
                rows,
            });
        }
        rounds.push(runs);
    }
    write(args, &rounds, c)
}

/// One server in `mode`: every scenario's figures and flushes.
async fn one_server(
    args: &Args,
    madang: &Path,
    url: &str,
    search_dir: &str,
    http: &reqwest::Client,
    mode: &str,
    env: &Env,
) -> anyhow::Result<Vec<(Figures, Flushes)>> {
    let c = args.connections();
    let (mut server, base) = serve(madang, url, search_dir, env)?;
    let result = async {
        wait_ready(http, &base).await?;
        let ctx = Context::read(http, &base, url).await?;
        let mut rows = Vec::new();
        for s in scenarios(&ctx, &base)
            .iter()
            .filter(|s| args.selected(s.name))
        {
            let before = flushes(http, &base).await?;
            reset_peak_rss(server.id());
            let mut f = drive(s, &s.oha, c, args.duration, server.id())?;
            let after = flushes(http, &base).await?;
            f.name = format!("{}/{mode}", s.name);
            print_row(&f);
            rows.push((f, after.since(&before)));
        }
        anyhow::Ok(rows)
    }
    .await;
    let _ = server.kill();
    let _ = server.wait();
    result
}

/// The hot post first: the random one leaves tens of thousands of views for the next
/// flushes, which would land in whatever ran after it on the same server.
fn scenarios(ctx: &Context, base: &str) -> Vec<Scenario> {
    let digits = ctx.max_post.to_string().len().saturating_sub(1).max(1);
    vec![
        Scenario {
            name: "post_hot",
            what: "post detail, one post (every read after the first a repeat view)".into(),
            url: format!("{base}/api/v1/posts/{}", ctx.hot_post),
            oha: vec![],
            writes: false,
        },
        Scenario {
            name: "post_random",
            what: "post detail, a random post each request (a new view nearly every read)".into(),
            url: format!("{base}/api/v1/posts/[1-9][0-9]{{0,{}}}", digits - 1),
            oha: vec!["--rand-regex-url".into()],
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

/// The median of `v` (the mean of the middle two for an even count).
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// One (mode, scenario) over every round.
struct Summary<'a> {
    mode: &'a ModeRun,
    name: String,
    figures: Vec<Figures>,
    flushes: Vec<Flushes>,
    /// Per round: (req/s on ÷ off, p99 on ÷ off), against the same round's baseline.
    ratios: Vec<(f64, f64)>,
}

fn summaries(rounds: &[Vec<ModeRun>]) -> Vec<Summary<'_>> {
    let Some(first) = rounds.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (mi, mode) in first.iter().enumerate() {
        for (si, (f0, _)) in mode.rows.iter().enumerate() {
            let scenario = f0.name.split('/').next().unwrap_or("");
            let mut sum = Summary {
                mode,
                name: f0.name.clone(),
                figures: Vec::new(),
                flushes: Vec::new(),
                ratios: Vec::new(),
            };
            for round in rounds {
                let Some((f, fl)) = round.get(mi).and_then(|m| m.rows.get(si)) else {
                    continue;
                };
                sum.figures.push(f.clone());
                sum.flushes.push(fl.clone());
                let base = round
                    .iter()
                    .find(|r| Some(r.mode) == mode.baseline)
                    .and_then(|r| {
                        r.rows
                            .iter()
                            .find(|(b, _)| b.name.split('/').next() == Some(scenario))
                    });
                if let Some((b, _)) = base {
                    sum.ratios.push((f.rps / b.rps, f.p99_ms / b.p99_ms));
                }
            }
            out.push(sum);
        }
    }
    out
}

/// `<engine>-<scale>-views.json` and `.md`.
fn write(args: &Args, rounds: &[Vec<ModeRun>], c: u32) -> anyhow::Result<()> {
    let flush_ms = std::env::var("MADANG_VIEW_FLUSH_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(5000);
    let mut md = format!(
        "# View counting on {} at {} posts\n\n{c} connections, {} s per scenario, flush every {flush_ms} ms, \
         {} rounds (the modes in turn each round; medians; each ratio against counting off in the same round), \
         `cargo run -p madang-bench --release -- --suite views --engine {} --scale {} --rounds {}`.\n\n\
         | scenario / buffer | req/s | p99 ms | p99.9 ms | errors | req/s vs off | p99 vs off | within 10 % | flushes | views written | mean flush ms | every flush under |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n",
        args.engine,
        args.scale,
        args.duration,
        rounds.len(),
        args.engine,
        args.scale,
        rounds.len()
    );
    let mut rows = Vec::new();
    for sum in summaries(rounds) {
        let on = sum.mode.baseline.is_some();
        let med = |g: fn(&Figures) -> f64| median(sum.figures.iter().map(g).collect());
        let rps_ratio = median(sum.ratios.iter().map(|r| r.0).collect());
        let p99_ratio = median(sum.ratios.iter().map(|r| r.1).collect());
        let within = on
            && rps_ratio.is_some_and(|r| r >= 1.0 - TARGET_RATIO)
            && p99_ratio.is_some_and(|r| r <= 1.0 + TARGET_RATIO);
        let all = Flushes {
            count: sum.flushes.iter().map(|f| f.count).sum(),
            seconds: sum.flushes.iter().map(|f| f.seconds).sum(),
            counted: sum.flushes.iter().map(|f| f.counted).sum(),
            lost: sum.flushes.iter().map(|f| f.lost).sum(),
            buckets: Vec::new(),
        };
        let bound = sum
            .flushes
            .iter()
            .filter_map(Flushes::max_bound)
            .fold(None, |m: Option<f64>, b| Some(m.map_or(b, |m| m.max(b))));
        let pct = |r: Option<f64>| {
            r.filter(|_| on)
                .map_or("–".to_owned(), |r| format!("{:+.1} %", (r - 1.0) * 100.0))
        };
        let num = |v: Option<f64>, d: usize| v.map_or("–".to_owned(), |v| format!("{v:.d$}"));
        let errors: u64 = sum.figures.iter().map(|f| f.errors).sum();
        md.push_str(&format!(
            "| {} | {} | {} | {} | {errors} | {} | {} | {} | {} | {} | {} | {} |\n",
            sum.name,
            num(med(|f| f.rps), 0),
            num(med(|f| f.p99_ms), 2),
            num(med(|f| f.p999_ms), 2),
            pct(rps_ratio),
            pct(p99_ratio),
            if !on {
                "–"
            } else if within {
                "✓"
            } else {
                "✗"
            },
            if on {
                format!("{:.0}", all.count)
            } else {
                "–".into()
            },
            if on {
                format!("{:.0}", all.counted)
            } else {
                "–".into()
            },
            num(all.mean_ms().filter(|_| on), 1),
            bound
                .filter(|_| on)
                .map_or("–".into(), |b| format!("{:.0} ms", b * 1000.0)),
        ));
        rows.push(json!({
            "scenario": sum.name,
            "mode": sum.mode.mode,
            "compared_with": sum.mode.baseline,
            "rounds": sum.figures,
            "throughput_vs_off": {"median": rps_ratio, "per_round": sum.ratios.iter().map(|r| r.0).collect::<Vec<_>>()},
            "p99_vs_off": {"median": p99_ratio, "per_round": sum.ratios.iter().map(|r| r.1).collect::<Vec<_>>()},
            "within_target": on.then_some(within),
            "flush": on.then(|| sum.flushes.iter().map(Flushes::json).collect::<Vec<_>>()),
        }));
    }
    let report = json!({
        "engine": args.engine,
        "scale": args.scale,
        "concurrency": c,
        "duration_secs": args.duration,
        "rounds": rounds.len(),
        "flush_ms": flush_ms,
        "target": "throughput and p99 with counting on within 10 % of counting off (medians of per-round ratios)",
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
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
