//! `madang-bench`: Madang under load at a given scale, on a given engine.
//!
//! `cargo run -p madang-bench --release -- --engine mariadb --scale 1m`
//!
//! 1. Seeds the engine's bench database with `madang seed` unless it holds the scale
//!    already (`--fresh` starts over).
//! 2. Starts `madang serve` on it (cron off, job workers on) and drives every scenario with oha, a separate process
//!    on loopback, at fixed concurrency for a fixed time; madang's peak RSS is read per
//!    scenario from /proc (VmHWM, reset before each).
//! 3. Measures two ceilings in the same run: `/health/live` (the HTTP stack) and the
//!    first list page's SQL run through sqlx straight from this process.
//! 4. Writes `bench/results/<engine>-<scale>.json`, `.md` (the table) and
//!    `-explain.txt` (each list and search query's plan on this engine).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use madang_domain::listing::{Cursor, PageRequest};
use madang_domain::posts::{PostFilter, PostSort};
use madang_store::{Db, DbConfig};
use serde::Serialize;
use serde_json::{Value, json};

mod console;
mod limits;
mod record_cost;
mod scenarios;
mod setup;
mod views;
mod web;

use scenarios::{Context, scenarios};
use setup::{
    database_url, madang_binary, post_count, search_index, seed, serve, wait_ready, which,
};

/// Every seeded user's password (see `madang seed`).
const SEED_PASSWORD: &str = "madang-seed-password";

#[derive(Parser)]
#[command(about = "Seed, serve and load Madang at a scale; write the figures")]
struct Args {
    /// sqlite, mariadb or postgres.
    #[arg(long)]
    engine: String,
    /// 10k, 100k or 1m posts (with 5 comments and 5 votes per post on average).
    #[arg(long, default_value = "1m")]
    scale: String,
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Connections per scenario: 32 for the API, 4 for the console (a few staff).
    #[arg(long)]
    concurrency: Option<u32>,
    /// `api` (the public API's scenarios), `console` (the staff console's pages),
    /// `web` (the member web app's pages) or `views` (post detail with view counting
    /// off, on in process, and on in Redis).
    #[arg(long, value_enum, default_value_t = Suite::Api)]
    suite: Suite,
    /// The database; by default a file under target/bench-data (SQLite) or the
    /// database madang_bench_<scale> on the local server.
    #[arg(long)]
    database_url: Option<String>,
    /// The server for MariaDB / PostgreSQL.
    #[arg(long, default_value = "")]
    server_url: String,
    /// Drop the bench database and seed it again.
    #[arg(long)]
    fresh: bool,
    /// Only these scenarios (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The madang binary; by default target/release/madang, built if missing.
    #[arg(long)]
    madang: Option<PathBuf>,
    /// Korean sentences for the seed.
    #[arg(long, default_value = "../shared/data/sentiment/train.tsv")]
    corpus: PathBuf,
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Rounds of the `views` suite: every mode once a round, in turn.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// The Redis the `views` suite's shared-buffer run uses; empty: that run is left out.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
}

/// Which pages a run drives; checked when the arguments are read, before any seeding.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Suite {
    Api,
    Console,
    Web,
    Views,
    /// One rate-limit check's cost, in process and in Redis (`--redis-url`); no
    /// database, no server.
    Limits,
}

impl Args {
    /// Whether `--only` leaves this scenario in.
    fn selected(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    fn console(&self) -> bool {
        self.suite == Suite::Console
    }

    fn connections(&self) -> u32 {
        self.concurrency
            .unwrap_or(if self.console() { 4 } else { 32 })
    }
}

struct Scale {
    users: u64,
    posts: u64,
    comments: u64,
    votes: u64,
}

fn scale(name: &str) -> anyhow::Result<Scale> {
    Ok(match name {
        "10k" => Scale {
            users: 1_000,
            posts: 10_000,
            comments: 50_000,
            votes: 50_000,
        },
        "100k" => Scale {
            users: 5_000,
            posts: 100_000,
            comments: 500_000,
            votes: 500_000,
        },
        "1m" => Scale {
            users: 10_000,
            posts: 1_000_000,
            comments: 5_000_000,
            votes: 5_000_000,
        },
        other => bail!("unknown scale {other}: 10k, 100k or 1m"),
    })
}

#[derive(Debug, Clone, Serialize)]
struct Figures {
    name: String,
    what: String,
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    errors: u64,
    statuses: Value,
    peak_rss_mb: Option<f64>,
}

impl Figures {
    fn rss(&self, unit: &str) -> String {
        self.peak_rss_mb
            .map(|m| format!("{m:.0}{unit}"))
            .unwrap_or_else(|| "–".into())
    }
}

/// One HTTP scenario for oha.
struct Scenario {
    name: &'static str,
    what: String,
    url: String,
    /// Extra oha arguments: method, body, headers, `--rand-regex-url`.
    oha: Vec<String>,
    writes: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.suite == Suite::Limits {
        return limits::run(&args).await;
    }
    sqlx::any::install_default_drivers();
    let sc = scale(&args.scale)?;
    which("oha").context("oha is needed to drive the load: cargo install oha --locked")?;
    let madang = madang_binary(args.madang.clone())?;
    let url = database_url(&args).await?;
    println!("engine {} at scale {}: {url}", args.engine, args.scale);

    let present = post_count(&url).await;
    let mut seed_report = Value::Null;
    if present < sc.posts as i64 {
        anyhow::ensure!(
            present == 0,
            "the bench database holds {present} posts, fewer than the scale; run again with --fresh"
        );
        seed_report = seed(&madang, &url, &sc, &args.corpus)?;
    } else {
        println!("already seeded: {present} posts");
    }

    if args.console() {
        console::ensure_admin(&madang, &url)?;
    }
    // One index per bench database, kept between runs like the database.
    let search_dir = format!("target/bench-data/search-{}-{}", args.engine, args.scale);
    let search = if args.console() {
        Value::Null
    } else {
        search_index(&madang, &url, &search_dir).await?
    };
    if args.suite == Suite::Views {
        return views::run(&args, &madang, &url, &search_dir).await;
    }
    let (mut server, base) = serve(&madang, &url, &search_dir, &[])?;
    let result = match args.suite {
        Suite::Console => run_console(&args, &url, &base, server.id()).await,
        Suite::Web => web::run(&args, &url, &base, server.id()).await,
        Suite::Api | Suite::Views | Suite::Limits => {
            run(&args, &url, &base, server.id(), seed_report, search).await
        }
    };
    let _ = server.kill();
    let _ = server.wait();
    result
}

async fn run(
    args: &Args,
    url: &str,
    base: &str,
    pid: u32,
    seed_report: Value,
    search: Value,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    wait_ready(&http, base).await?;
    let ctx = Context::read(&http, base, url).await?;
    let scenarios = scenarios(&ctx, base, args.connections())?;

    let mut figures = Vec::new();
    // The ceiling of the HTTP stack and of the database, then reads, then writes.
    if args.selected("raw_sql_list") {
        let f =
            raw_sql_ceiling(url, args.connections(), Duration::from_secs(args.duration)).await?;
        print_row(&f);
        figures.push(f);
    }
    for s in scenarios.iter().filter(|s| args.selected(s.name)) {
        let mut s_args = s.oha.clone();
        if s.writes {
            // A fresh token for each write scenario: a long run outlives one.
            let token = ctx.token(&http, base).await?;
            s_args.extend(["-H".into(), format!("Authorization: Bearer {token}")]);
        }
        reset_peak_rss(pid);
        let f = drive(s, &s_args, args.connections(), args.duration, pid)?;
        print_row(&f);
        figures.push(f);
    }

    let explain = explain(url, &ctx).await?;
    std::fs::create_dir_all(&args.out)?;
    let stem = args.out.join(format!("{}-{}", args.engine, args.scale));
    let ratio = ratio(&figures, "list_first", "raw_sql_list");
    let report = json!({
        "engine": args.engine,
        "scale": args.scale,
        "concurrency": args.connections(),
        "duration_secs": args.duration,
        "machine": machine(),
        "seed": seed_report,
        "search_index": search,
        "data": ctx.data,
        "list_first_vs_raw_sql": ratio,
        "scenarios": figures,
    });
    let mut md = markdown(args, &figures, ratio, &ctx);
    if let Some(b) = search["bytes"].as_f64() {
        md.push_str(&format!(
            "\nSearch index: {} documents, {:.1} MiB, {:.2}× the {:.1} MiB of indexed text; built in {}.\n",
            search["documents"],
            b / 1_048_576.0,
            search["size_vs_text"].as_f64().unwrap_or(0.0),
            search["text_bytes"].as_f64().unwrap_or(0.0) / 1_048_576.0,
            search["build_secs"]
                .as_f64()
                .map_or("an earlier run".to_owned(), |s| format!("{s:.0} s"))
        ));
    }
    write_results(&stem, &report, md)?;
    std::fs::write(
        PathBuf::from(format!("{}-explain.txt", stem.display())),
        explain,
    )?;
    println!("wrote {}.{{json,md}} and -explain.txt", stem.display());
    Ok(())
}

/// `<stem>.json` (every figure) and `<stem>.md` (the table).
fn write_results(stem: &Path, report: &Value, md: String) -> anyhow::Result<()> {
    std::fs::write(
        stem.with_extension("json"),
        serde_json::to_string_pretty(report)? + "\n",
    )?;
    std::fs::write(stem.with_extension("md"), md)?;
    Ok(())
}

/// The staff console's pages (`--suite console`).
async fn run_console(args: &Args, url: &str, base: &str, pid: u32) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    wait_ready(&http, base).await?;
    let cookie = console::log_in(base).await?;
    let board = console::Board::read(url).await?;
    let c = args.connections();
    let mut figures = Vec::new();
    for s in console::scenarios(&board, base, &cookie)
        .iter()
        .filter(|s| args.selected(s.name))
    {
        reset_peak_rss(pid);
        let f = drive(s, &s.oha, c, args.duration, pid)?;
        print_row(&f);
        figures.push(f);
    }
    std::fs::create_dir_all(&args.out)?;
    let stem = args
        .out
        .join(format!("{}-{}-console", args.engine, args.scale));
    let board = board.describe();
    let over: Vec<&str> = figures
        .iter()
        .filter(|f| f.p99_ms > console::TARGET_P99_MS || f.errors > 0)
        .map(|f| f.name.as_str())
        .collect();
    let report = json!({
        "engine": args.engine,
        "scale": args.scale,
        "concurrency": c,
        "duration_secs": args.duration,
        "target_p99_ms": console::TARGET_P99_MS,
        "machine": machine(),
        "board": board,
        "pages_over_target": over,
        "scenarios": figures,
    });
    let md = console::markdown(
        &args.engine,
        &args.scale,
        c,
        args.duration,
        &board,
        &figures,
    );
    write_results(&stem, &report, md)?;
    println!("wrote {}.{{json,md}}", stem.display());
    Ok(())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn drive(s: &Scenario, extra: &[String], c: u32, secs: u64, pid: u32) -> anyhow::Result<Figures> {
    let out = std::process::Command::new("oha")
        .args([
            "--no-tui",
            "--wait-ongoing-requests-after-deadline",
            "--output-format",
            "json",
            "-c",
        ])
        .arg(c.to_string())
        .arg("-z")
        .arg(format!("{secs}s"))
        .args(extra)
        .arg(&s.url)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run oha")?;
    anyhow::ensure!(out.status.success(), "oha failed on {}", s.name);
    let r: Value = serde_json::from_slice(&out.stdout).context("oha's JSON")?;
    let ms = |k: &str| r["latencyPercentiles"][k].as_f64().unwrap_or(f64::NAN) * 1000.0;
    let statuses = r["statusCodeDistribution"].clone();
    let ok: u64 = statuses
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with('2'))
        .map(|(_, v)| v.as_u64().unwrap_or(0))
        .sum();
    let all: u64 = statuses
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, v)| v.as_u64().unwrap_or(0))
        .sum();
    let transport: u64 = r["errorDistribution"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, v)| v.as_u64().unwrap_or(0))
        .sum();
    Ok(Figures {
        name: s.name.into(),
        what: s.what.clone(),
        requests: all,
        rps: all as f64 / secs as f64,
        p50_ms: ms("p50"),
        p99_ms: ms("p99"),
        p999_ms: ms("p99.9"),
        errors: all - ok + transport,
        statuses,
        peak_rss_mb: peak_rss_mb(pid),
    })
}

/// The first list page's SQL (built by the store exactly as the API builds it) run by
/// `concurrency` tasks over as many connections, from this process.
async fn raw_sql_ceiling(url: &str, concurrency: u32, d: Duration) -> anyhow::Result<Figures> {
    let db = Db::connect_lazy(&DbConfig::new(url, concurrency, Duration::from_secs(10)))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    db.migrate().await?;
    let db = Arc::new(db);
    let filter = PostFilter::default();
    let page = PageRequest::first(20);
    // Warm the pool and the caches first, like oha's first requests do for the server.
    db.post_page_rows(&filter, &page)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let until = Instant::now() + d;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (db, filter, page) = (db.clone(), filter.clone(), page);
        tasks.spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0_u64;
            while Instant::now() < until {
                let t = Instant::now();
                match db.post_page_rows(&filter, &page).await {
                    Ok(_) => lat.push(t.elapsed().as_secs_f64() * 1000.0),
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        });
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        let (l, e) = r?;
        lat.extend(l);
        errors += e;
    }
    db.close().await;
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Figures {
        name: "raw_sql_list".into(),
        what: "the first list page's SQL through sqlx, no HTTP (database ceiling)".into(),
        requests: lat.len() as u64 + errors,
        rps: lat.len() as f64 / d.as_secs_f64(),
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        errors,
        statuses: Value::Null,
        peak_rss_mb: None,
    })
}

/// The plan of each list and search query the scenarios run, as this engine gives it.
async fn explain(url: &str, ctx: &Context) -> anyhow::Result<String> {
    let db = Db::connect_lazy(&DbConfig::new(url, 2, Duration::from_secs(10)))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    db.migrate().await?;
    let first = PageRequest::first(20);
    let page500 = PageRequest {
        page: u32::try_from(ctx.deep_page)?,
        size: 20,
        after: None,
    };
    let cursor = PageRequest {
        page: 1,
        size: 20,
        after: Some(
            Cursor::decode(&ctx.deep_cursor, PostSort::New.order())
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
    };
    let all = PostFilter::default();
    let board = PostFilter {
        category_ids: Some(ctx.board_ids.clone()),
        ..PostFilter::default()
    };
    let views = |f: &PostFilter| PostFilter {
        sort: PostSort::Views,
        ..f.clone()
    };
    let cases: Vec<(String, PostFilter, PageRequest)> = vec![
        ("list_first".into(), all.clone(), first),
        ("list_offset_500".into(), all.clone(), page500),
        ("list_views".into(), views(&all), first),
        ("list_cursor_deep".into(), all, cursor),
        ("list_category_views".into(), views(&board), first),
        ("list_category".into(), board, first),
    ];
    // Keyword searches are the search index's, not SQL: nothing to explain.
    let mut out = String::new();
    for (name, f, p) in cases {
        let (page, count) = db
            .explain_post_list(&f, &p)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push_str(&format!(
            "== {name}: page\n{page}\n\n== {name}: total\n{count}\n\n"
        ));
    }
    db.close().await;
    Ok(out)
}

fn ratio(figures: &[Figures], a: &str, b: &str) -> Option<f64> {
    let get = |n: &str| figures.iter().find(|f| f.name == n).map(|f| f.rps);
    Some(get(a)? / get(b)?)
}

fn markdown(args: &Args, figures: &[Figures], ratio: Option<f64>, ctx: &Context) -> String {
    let mut s = format!(
        "# {} at {} posts\n\n{} connections, {} s per scenario, `cargo run -p madang-bench --release -- --engine {} --scale {}`. \
         Data: {}.\n\n| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors | madang peak RSS MB |\n|---|---:|---:|---:|---:|---:|---:|\n",
        args.engine,
        args.scale,
        args.connections(),
        args.duration,
        args.engine,
        args.scale,
        ctx.data
    );
    for f in figures {
        s.push_str(&format!(
            "| {} — {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} |\n",
            f.name,
            f.what,
            f.rps,
            f.p50_ms,
            f.p99_ms,
            f.p999_ms,
            f.errors,
            f.rss("")
        ));
    }
    if let Some(r) = ratio {
        s.push_str(&format!(
            "\nList first page throughput is {:.0} % of the raw-SQL ceiling.\n",
            r * 100.0
        ));
    }
    s
}

fn print_row(f: &Figures) {
    println!(
        "{:<18} {:>8.0} req/s  p50 {:>7.2}  p99 {:>7.2}  p99.9 {:>7.2} ms  errors {:>5}  rss {}",
        f.name,
        f.rps,
        f.p50_ms,
        f.p99_ms,
        f.p999_ms,
        f.errors,
        f.rss(" MB")
    );
}

/// Linux resets a process's peak RSS (VmHWM) when 5 is written to its clear_refs.
fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn machine() -> Value {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_default();
    json!({"cpus": cpus, "cpu": model})
}
