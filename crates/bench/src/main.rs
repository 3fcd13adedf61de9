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
    /// `api` (the public API's scenarios) or `console` (the staff console's pages).
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
}

/// Which pages a run drives; checked when the arguments are read, before any seeding.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Suite {
    Api,
    Console,
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
    let port = free_port()?;
    let mut server = std::process::Command::new(&madang)
        .arg("serve")
        .env("MADANG_DATABASE_URL", &url)
        .env("MADANG_LISTEN", format!("127.0.0.1:{port}"))
        .env("MADANG_LOG", "warn")
        // Scheduled jobs off: a refresh walking a million posts would land in one
        // scenario and not another. Job workers stay on (labelling new posts).
        .env("MADANG_CRON", "off")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start madang serve")?;
    let base = format!("http://127.0.0.1:{port}");
    let result = if args.console() {
        run_console(&args, &url, &base, server.id()).await
    } else {
        run(&args, &url, &base, server.id(), seed_report).await
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
        "data": ctx.data,
        "list_first_vs_raw_sql": ratio,
        "scenarios": figures,
    });
    write_results(&stem, &report, markdown(args, &figures, ratio, &ctx))?;
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

/// What the scenarios need to know of the seeded board.
struct Context {
    user_name: String,
    /// The busiest tier-1 category and its subtree.
    board: i64,
    board_ids: Vec<i64>,
    leaf: i64,
    hot_post: i64,
    max_post: i64,
    deep_cursor: String,
    /// Page 500, or half the board's pages when it has fewer than 1,000.
    deep_page: i64,
    keywords: [(&'static str, &'static str); 4],
    /// A keyword with at least one and fewer than 50 matches, when the data has one.
    rare: Option<&'static str>,
    data: Value,
}

/// Two-syllable words that a board of film reviews holds rarely.
const RARE_CANDIDATES: &[&str] = &[
    "꽃게",
    "낙지",
    "잠수함",
    "해적선",
    "우주선",
    "팝콘",
    "좀비",
    "마녀",
];

impl Context {
    async fn read(http: &reqwest::Client, base: &str, url: &str) -> anyhow::Result<Self> {
        let get = |path: String| {
            let http = http.clone();
            async move {
                let r = http.get(path).send().await?;
                anyhow::ensure!(
                    r.status().is_success(),
                    "{} answered {}",
                    r.url(),
                    r.status()
                );
                Ok::<Value, anyhow::Error>(r.json::<Value>().await?)
            }
        };
        let tree = get(format!("{base}/api/v1/categories")).await?;
        let roots = tree
            .as_array()
            .filter(|a| !a.is_empty())
            .context("no categories")?;
        let mut best = (0, -1_i64, Vec::new(), 0);
        for r in roots {
            let id = r["id"].as_i64().context("category id")?;
            let total = get(format!("{base}/api/v1/posts?category_id={id}&size=1")).await?
                ["page_info"]["total_items"]
                .as_i64()
                .unwrap_or(0);
            if total > best.1 {
                let mut ids = Vec::new();
                let mut leaf = id;
                collect(r, &mut ids, &mut leaf);
                best = (id, total, ids, leaf);
            }
        }
        let top = get(format!("{base}/api/v1/posts?sort=top&size=1")).await?;
        let hot_post = top["data"][0]["id"].as_i64().context("no posts")?;
        let newest = get(format!("{base}/api/v1/posts?size=1")).await?;
        let max_post = newest["data"][0]["id"].as_i64().context("no posts")?;
        let total = newest["page_info"]["total_items"].clone();
        // Page 500 of 20 posts, or halfway down a smaller board.
        let deep_page = (total.as_i64().unwrap_or(0) / 40).clamp(1, 500);
        let deep = get(format!("{base}/api/v1/posts?page={deep_page}&size=20")).await?;
        let deep_cursor = deep["next_cursor"]
            .as_str()
            .context("the deep page has no next cursor: too few posts")?
            .to_owned();
        let user_name = {
            let db = sqlx::AnyPool::connect(url).await?;
            let row = sqlx::query(
                "SELECT name FROM users WHERE email LIKE '%@seed.madang.test' ORDER BY id LIMIT 1",
            )
            .fetch_one(&db)
            .await
            .context("no seeded user")?;
            db.close().await;
            sqlx::Row::try_get::<String, _>(&row, 0)?
        };
        // Korean keywords of 1, 2 and 4 characters and an English word, with how many
        // posts each matches (capped as the API caps it).
        let keywords = [
            ("search_ko_1", "꿀"),
            ("search_ko_2", "배우"),
            ("search_ko_4", "시간낭비"),
            ("search_en", "rust"),
        ];
        let mut matches = serde_json::Map::new();
        for (name, k) in keywords {
            let r = get(format!("{base}/api/v1/posts?size=1&keyword={}", encode(k))).await?;
            matches.insert(
                name.to_owned(),
                json!({"keyword": k, "total_items": r["page_info"]["total_items"], "total_capped": r["page_info"]["total_capped"]}),
            );
        }
        // A rare two-syllable keyword: the first of these with 1..50 matches.
        let mut rare = None;
        for k in RARE_CANDIDATES {
            let r = get(format!("{base}/api/v1/posts?size=1&keyword={}", encode(k))).await?;
            let n = r["page_info"]["total_items"].as_i64().unwrap_or(0);
            if (1..50).contains(&n) {
                matches.insert(
                    "search_rare".to_owned(),
                    json!({"keyword": k, "total_items": n, "total_capped": false}),
                );
                rare = Some(*k);
                break;
            }
        }
        Ok(Self {
            rare,
            user_name,
            board: best.0,
            board_ids: best.2,
            leaf: best.3,
            hot_post,
            max_post,
            deep_cursor,
            deep_page,
            keywords,
            data: json!({
                "posts": total,
                "deep_page": deep_page,
                "board": {"id": best.0, "posts": best.1},
                "hot_post": hot_post,
                "keywords": matches,
            }),
        })
    }

    async fn token(&self, http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
        let r: Value = http
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({"username": self.user_name, "password": SEED_PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(r["access_token"].as_str().context("no token")?.to_owned())
    }
}

fn collect(node: &Value, ids: &mut Vec<i64>, leaf: &mut i64) {
    if let Some(id) = node["id"].as_i64() {
        ids.push(id);
        *leaf = id;
    }
    for c in node["children"].as_array().into_iter().flatten() {
        collect(c, ids, leaf);
    }
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

/// Post ids from 1 to the largest number of one digit fewer than the newest id: every
/// one of them a seeded, live post.
fn random_post_path(max_post: i64, tail: &str) -> String {
    let digits = max_post.to_string().len().saturating_sub(1).max(1);
    format!("/api/v1/posts/[1-9][0-9]{{0,{}}}{tail}", digits - 1)
}

fn scenarios(ctx: &Context, base: &str, concurrency: u32) -> anyhow::Result<Vec<Scenario>> {
    let get = |name, what: String, path: String| Scenario {
        name,
        what,
        url: format!("{base}{path}"),
        oha: vec![],
        writes: false,
    };
    let json_body = |method: &str, body: Value| {
        vec![
            "-m".into(),
            method.into(),
            "-T".into(),
            "application/json".into(),
            "-d".into(),
            body.to_string(),
        ]
    };
    let mut v = vec![
        get(
            "health_live",
            "GET /health/live (HTTP stack ceiling)".into(),
            "/health/live".into(),
        ),
        get(
            "list_first",
            "list, first page (20, newest)".into(),
            "/api/v1/posts".into(),
        ),
        get(
            "list_offset_500",
            format!("list, page {} by offset", ctx.deep_page),
            format!("/api/v1/posts?page={}", ctx.deep_page),
        ),
        get(
            "list_cursor_deep",
            format!("list, the page after page {} by cursor", ctx.deep_page),
            format!("/api/v1/posts?cursor={}", ctx.deep_cursor),
        ),
        get(
            "list_category",
            format!(
                "list filtered by the busiest tier-1 category ({} categories below)",
                ctx.board_ids.len() - 1
            ),
            format!("/api/v1/posts?category_id={}", ctx.board),
        ),
    ];
    for (name, k) in ctx.keywords {
        v.push(get(
            name,
            format!("keyword search \"{k}\""),
            format!("/api/v1/posts?keyword={}", encode(k)),
        ));
    }
    if let Some(k) = ctx.rare {
        v.push(get(
            "search_rare",
            format!("keyword search, rare (\"{k}\", fewer than 50 matches)"),
            format!("/api/v1/posts?keyword={}", encode(k)),
        ));
    }
    v.push(get(
        "search_none",
        "keyword search with no match (\"뷁햏\")".into(),
        format!("/api/v1/posts?keyword={}", encode("뷁햏")),
    ));
    v.push(get(
        "search_two_words",
        "keyword search, two words (\"배우 연기\")".into(),
        format!("/api/v1/posts?keyword={}", encode("배우 연기")),
    ));
    v.push(get(
        "search_category",
        "keyword search \"배우\" in the busiest tier-1 category".into(),
        format!(
            "/api/v1/posts?keyword={}&category_id={}",
            encode("배우"),
            ctx.board
        ),
    ));
    v.push(get(
        "search_relevance",
        "keyword search \"배우\", sort=relevance".into(),
        format!("/api/v1/posts?keyword={}&sort=relevance", encode("배우")),
    ));
    let mut detail = get(
        "post_detail",
        "post detail, a random post each request".into(),
        random_post_path(ctx.max_post, ""),
    );
    detail.oha.push("--rand-regex-url".into());
    v.push(detail);
    v.push(get(
        "comments_hot",
        format!("comment page of the most voted post ({})", ctx.hot_post),
        format!("/api/v1/posts/{}/comments", ctx.hot_post),
    ));
    // Sign-up bodies, one per line, each a new user: more lines than the run can use.
    let bodies =
        std::env::temp_dir().join(format!("madang-bench-signup-{}.jsonl", std::process::id()));
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut lines = String::new();
    for i in 0..(20_000 * u64::from(concurrency.max(1))) {
        let name = format!("b{run:x}{i}");
        lines.push_str(
            &json!({"name": name, "email": format!("{name}@bench.madang.test"), "password1": SEED_PASSWORD, "password2": SEED_PASSWORD})
                .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&bodies, lines)?;
    v.push(Scenario {
        name: "sign_up",
        what: "sign-up (a new user each request; Argon2id hash)".into(),
        url: format!("{base}/api/v1/users"),
        oha: vec![
            "-m".into(),
            "POST".into(),
            "-T".into(),
            "application/json".into(),
            "-Z".into(),
            bodies.display().to_string(),
        ],
        writes: false,
    });
    v.push(Scenario {
        name: "log_in",
        what: "log-in (Argon2id verify, login history row, tokens)".into(),
        url: format!("{base}/api/v1/auth/token"),
        oha: json_body(
            "POST",
            json!({"username": ctx.user_name, "password": SEED_PASSWORD}),
        ),
        writes: false,
    });
    v.push(Scenario {
        name: "create_post",
        what: "create post (with its version and labelling job)".into(),
        url: format!("{base}/api/v1/posts"),
        oha: json_body(
            "POST",
            json!({"category_id": ctx.leaf, "title": "부하 측정 글", "content": "마당의 부하 측정용 본문입니다. 영화 이야기는 다음에 계속합니다."}),
        ),
        writes: true,
    });
    let mut comment = json_body(
        "POST",
        json!({"content": "좋은 글 감사합니다. 저도 같은 생각이에요."}),
    );
    comment.push("--rand-regex-url".into());
    v.push(Scenario {
        name: "create_comment",
        what: "create comment on a random post".into(),
        url: format!("{base}{}", random_post_path(ctx.max_post, "/comments")),
        oha: comment,
        writes: true,
    });
    v.push(Scenario {
        name: "vote",
        what: "vote on a random post".into(),
        url: format!("{base}{}", random_post_path(ctx.max_post, "/vote")),
        oha: vec!["-m".into(), "PUT".into(), "--rand-regex-url".into()],
        writes: true,
    });
    Ok(v)
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
    let cases: Vec<(String, PostFilter, PageRequest)> = vec![
        ("list_first".into(), all.clone(), first),
        ("list_offset_500".into(), all.clone(), page500),
        ("list_cursor_deep".into(), all, cursor),
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

fn which(cmd: &str) -> anyhow::Result<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(cmd))
        .find(|p| p.is_file())
        .with_context(|| format!("{cmd} not found on PATH"))
}

/// target/release/madang beside this binary, built when missing.
fn madang_binary(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let dir = std::env::current_exe()?
        .parent()
        .context("no directory")?
        .to_owned();
    let bin = dir.join("madang");
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "madang"])
            .status()
            .context("cannot run cargo build")?;
    anyhow::ensure!(status.success(), "cargo build --release -p madang failed");
    anyhow::ensure!(
        bin.is_file(),
        "{} is missing after the build",
        bin.display()
    );
    Ok(bin)
}

async fn database_url(args: &Args) -> anyhow::Result<String> {
    if let Some(u) = &args.database_url {
        return Ok(u.clone());
    }
    let name = format!("madang_bench_{}", args.scale);
    match args.engine.as_str() {
        "sqlite" => {
            let dir = Path::new("target/bench-data");
            std::fs::create_dir_all(dir)?;
            let file = std::fs::canonicalize(dir)?.join(format!("sqlite-{}.db", args.scale));
            if args.fresh {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", file.display()));
                }
            }
            Ok(format!("sqlite://{}", file.display()))
        }
        "mariadb" | "postgres" => {
            let mysql = args.engine == "mariadb";
            let server = if args.server_url.is_empty() {
                if mysql {
                    "mysql://root@127.0.0.1:3306"
                } else {
                    "postgres://postgres@127.0.0.1:5432"
                }
            } else {
                args.server_url.trim_end_matches('/')
            };
            let admin_url = format!("{server}/{}", if mysql { "mysql" } else { "postgres" });
            let admin = sqlx::AnyPool::connect(&admin_url)
                .await
                .with_context(|| format!("cannot reach {admin_url}"))?;
            if args.fresh {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name}"
                )))
                .execute(&admin)
                .await?;
            }
            let exists = if mysql {
                sqlx::query(
                    "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?",
                )
            } else {
                sqlx::query("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
            }
            .bind(name.clone())
            .fetch_one(&admin)
            .await?;
            if sqlx::Row::try_get::<i64, _>(&exists, 0)? == 0 {
                let create = if mysql {
                    format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                } else {
                    format!("CREATE DATABASE {name}")
                };
                sqlx::query(sqlx::AssertSqlSafe(create))
                    .execute(&admin)
                    .await?;
            }
            admin.close().await;
            Ok(format!("{server}/{name}"))
        }
        other => bail!("unknown engine {other}: sqlite, mariadb or postgres"),
    }
}

/// Posts in the database; 0 when it has no schema yet.
async fn post_count(url: &str) -> i64 {
    let Ok(db) = sqlx::AnyPool::connect(url).await else {
        return 0;
    };
    let n = match sqlx::query("SELECT COUNT(*) FROM posts")
        .fetch_one(&db)
        .await
    {
        Ok(row) => sqlx::Row::try_get::<i64, _>(&row, 0).unwrap_or(0),
        Err(_) => 0,
    };
    db.close().await;
    n
}

fn seed(madang: &Path, url: &str, sc: &Scale, corpus: &Path) -> anyhow::Result<Value> {
    println!(
        "seeding {} users, {} posts, {} comments, {} votes",
        sc.users, sc.posts, sc.comments, sc.votes
    );
    let started = Instant::now();
    let out = std::process::Command::new(madang)
        .arg("seed")
        .args(["--users", &sc.users.to_string()])
        .args(["--posts", &sc.posts.to_string()])
        .args(["--comments", &sc.comments.to_string()])
        .args(["--votes", &sc.votes.to_string()])
        .arg("--corpus")
        .arg(corpus)
        .env("MADANG_DATABASE_URL", url)
        .env("MADANG_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run madang seed")?;
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    println!("{said}");
    anyhow::ensure!(out.status.success(), "madang seed failed");
    Ok(json!({"seconds": started.elapsed().as_secs_f64(), "said": said}))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_ready(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{base}/health/ready")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("madang did not become ready on {base}")
}
