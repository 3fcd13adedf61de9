//! `--suite web`: the member web app's pages at a scale, as anonymous readers load
//! them (32 connections by default), each against the 30 ms p99; with each
//! page's HTML size and the database statements it runs, read from `/metrics`.
//!
//! The post page is one with 50 comments: the busiest post has them, or the suite
//! writes the missing ones through the API as a seeded member first.

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::{Figures, SEED_PASSWORD, Scenario, encode};

/// One page's figures: its load, its weight, its statements cold and warm, and
/// whether it is a list.
pub struct PageRow {
    figures: Figures,
    bytes: usize,
    cold: Option<f64>,
    warm: Option<f64>,
    list: bool,
}

/// The target every page is held to.
pub const TARGET_P99_MS: f64 = 30.0;
/// The most HTML a list page may weigh before compression.
pub const LIST_MAX_BYTES: usize = 60 * 1024;
/// Comments on the post page's post.
const COMMENTS: i64 = 50;

/// What the scenarios need to know of the seeded board.
pub struct Board {
    /// The top-level board holding the most posts (its sub-boards included).
    busiest_root: i64,
    /// A post with at least 50 comments.
    post: i64,
    max_post: i64,
}

impl Board {
    pub async fn read(http: &reqwest::Client, base: &str, url: &str) -> anyhow::Result<Self> {
        let db = sqlx::AnyPool::connect(url).await?;
        let int = |row: &sqlx::any::AnyRow| sqlx::Row::try_get::<i64, _>(row, 0);
        // Roots with the posts of their sub-boards: the seed's trees are three deep.
        let busiest_root = int(&sqlx::query(
            "SELECT r.id FROM categories r \
             LEFT JOIN categories c1 ON c1.parent_id = r.id \
             LEFT JOIN categories c2 ON c2.parent_id = c1.id \
             WHERE r.parent_id IS NULL \
             GROUP BY r.id ORDER BY SUM(COALESCE(c2.post_count, 0)) + SUM(COALESCE(c1.post_count, 0)) DESC, r.id LIMIT 1",
        )
        .fetch_one(&db)
        .await
        .context("no top-level board")?)?;
        let busiest = sqlx::query(
            "SELECT id, comment_count FROM posts WHERE deleted_at IS NULL \
             ORDER BY comment_count DESC, id LIMIT 1",
        )
        .fetch_one(&db)
        .await
        .context("no posts")?;
        let post = int(&busiest)?;
        let have = sqlx::Row::try_get::<i64, _>(&busiest, 1)?;
        let max_post = int(&sqlx::query("SELECT MAX(id) FROM posts")
            .fetch_one(&db)
            .await?)?;
        let user = sqlx::query(
            "SELECT name FROM users WHERE email LIKE '%@seed.madang.test' ORDER BY id LIMIT 1",
        )
        .fetch_one(&db)
        .await
        .context("no seeded user")?;
        let user: String = sqlx::Row::try_get(&user, 0)?;
        db.close().await;
        if have < COMMENTS {
            let token: Value = http
                .post(format!("{base}/api/v1/auth/token"))
                .json(&json!({"username": user, "password": SEED_PASSWORD}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let token = token["access_token"].as_str().context("no token")?;
            for i in have..COMMENTS {
                http.post(format!("{base}/api/v1/posts/{post}/comments"))
                    .bearer_auth(token)
                    .json(
                        &json!({"content": format!("벤치마크용 댓글 {i}번입니다. 잘 읽었습니다.")}),
                    )
                    .send()
                    .await?
                    .error_for_status()?;
            }
        }
        Ok(Self {
            busiest_root,
            post,
            max_post,
        })
    }

    pub fn describe(&self) -> Value {
        json!({
            "busiest_root": self.busiest_root,
            "post_with_50_comments": self.post,
            "posts": self.max_post,
        })
    }
}

/// The pages, each marked whether it is a list (held to the size limit too).
pub fn scenarios(b: &Board, base: &str) -> Vec<(Scenario, bool)> {
    let page = |name: &'static str, what: String, path: String| Scenario {
        name,
        what,
        url: format!("{base}{path}"),
        oha: vec!["-H".into(), "Accept-Language: ko-KR,ko;q=0.9".into()],
        writes: false,
    };
    let digits = b.max_post.to_string().len().saturating_sub(1).max(1);
    let mut random = page(
        "web_post_random",
        "a random post page".into(),
        format!("/posts/[1-9][0-9]{{0,{}}}", digits - 1),
    );
    random.oha.push("--rand-regex-url".into());
    vec![
        (
            page(
                "web_home",
                "front page: boards, newest 20 posts".into(),
                "/".into(),
            ),
            true,
        ),
        (
            page(
                "web_home_hot",
                "front page, 인기 (hot) tab".into(),
                "/?sort=hot".into(),
            ),
            true,
        ),
        (
            page(
                "web_board",
                format!(
                    "the busiest top-level board ({}) with its sub-boards",
                    b.busiest_root
                ),
                format!("/boards/{}", b.busiest_root),
            ),
            true,
        ),
        (
            page(
                "web_board_page_5",
                "that board, page 5".into(),
                format!("/boards/{}?page=5", b.busiest_root),
            ),
            true,
        ),
        (
            page(
                "web_post_50_comments",
                format!("post page with 50 comments ({})", b.post),
                format!("/posts/{}", b.post),
            ),
            false,
        ),
        (random, false),
        (
            page(
                "web_search",
                "search page \"배우\"".into(),
                format!("/search?q={}", encode("배우")),
            ),
            true,
        ),
        (
            page(
                "web_search_syllable",
                "search page, one syllable \"꿀\"".into(),
                format!("/search?q={}", encode("꿀")),
            ),
            true,
        ),
    ]
}

/// Reads the database statements counter off `/metrics`.
async fn statements(http: &reqwest::Client, base: &str) -> anyhow::Result<f64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("madang_db_statements_total"))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum())
}

/// A page's weight and the statements one load of it runs (the mean of 20 loads,
/// after one that fills the caches, less what the node ran meanwhile on its own);
/// for the random post, post 1's weight only.
async fn measure(
    http: &reqwest::Client,
    base: &str,
    s: &Scenario,
) -> anyhow::Result<(usize, Option<f64>, Option<f64>)> {
    let random = s.oha.iter().any(|a| a == "--rand-regex-url");
    let probe = if random {
        format!("{base}/posts/1")
    } else {
        s.url.clone()
    };
    let get = || http.get(&probe).header("accept-language", "ko").send();
    let cold_start = statements(http, base).await?;
    let started = std::time::Instant::now();
    let first = get().await?;
    anyhow::ensure!(
        first.status().is_success(),
        "{probe} answered {}",
        first.status()
    );
    let bytes = first.bytes().await?.len();
    let cold_end = statements(http, base).await?;
    tokio::time::sleep(started.elapsed()).await;
    let cold_idle = statements(http, base).await? - cold_end;
    let cold = (cold_end - cold_start - cold_idle).max(0.0);
    if random {
        return Ok((bytes, Some(cold), None));
    }
    // The node runs statements of its own meanwhile (the search index follows the
    // database every 200 ms): the same time spent idle is subtracted.
    let before = statements(http, base).await?;
    let started = std::time::Instant::now();
    for _ in 0..20 {
        get().await?.bytes().await?;
    }
    let after = statements(http, base).await?;
    tokio::time::sleep(started.elapsed()).await;
    let idle = statements(http, base).await? - after;
    Ok((
        bytes,
        Some(cold),
        Some(((after - before - idle) / 20.0).max(0.0)),
    ))
}

/// Runs the suite against the server at `base` and writes `<engine>-<scale>-web`.
pub async fn run(args: &crate::Args, url: &str, base: &str, pid: u32) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    crate::wait_ready(&http, base).await?;
    let board = Board::read(&http, base, url).await?;
    let c = args.connections();
    let mut rows = Vec::new();
    for (s, list) in scenarios(&board, base)
        .into_iter()
        .filter(|(s, _)| args.selected(s.name))
    {
        let (bytes, cold, stmts) = measure(&http, base, &s).await?;
        crate::reset_peak_rss(pid);
        let f = crate::drive(&s, &s.oha, c, args.duration, pid)?;
        crate::print_row(&f);
        rows.push(PageRow {
            figures: f,
            bytes,
            cold,
            warm: stmts,
            list,
        });
    }
    std::fs::create_dir_all(&args.out)?;
    let stem = args.out.join(format!("{}-{}-web", args.engine, args.scale));
    let board = board.describe();
    let pages: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "figures": r.figures,
                "html_bytes": r.bytes,
                "statements_cold": r.cold,
                "statements_per_page": r.warm,
                "list_page": r.list,
                "p99_ok": r.figures.p99_ms <= TARGET_P99_MS && r.figures.errors == 0,
                "size_ok": !r.list || r.bytes <= LIST_MAX_BYTES,
            })
        })
        .collect();
    let report = json!({
        "engine": args.engine,
        "scale": args.scale,
        "concurrency": c,
        "duration_secs": args.duration,
        "target_p99_ms": TARGET_P99_MS,
        "list_max_bytes": LIST_MAX_BYTES,
        "machine": crate::machine(),
        "board": board,
        "pages": pages,
    });
    let md = markdown(&args.engine, &args.scale, c, args.duration, &board, &rows);
    crate::write_results(&stem, &report, md)?;
    println!("wrote {}.{{json,md}}", stem.display());
    Ok(())
}

pub fn markdown(
    engine: &str,
    scale: &str,
    c: u32,
    secs: u64,
    board: &Value,
    rows: &[PageRow],
) -> String {
    let mut s = format!(
        "# Web app, {engine} at {scale} posts\n\n{c} connections, {secs} s per page, anonymous \
         readers in Korean, `cargo run -p madang-bench --release -- --engine {engine} --scale {scale} \
         --suite web`. Board: {board}.\n\nStatements are the database statements one load of \
         the page runs (`madang_db_statements_total`, less the node's own statements in as \
         long idle): its first load (cold caches), and the mean of the next 20 (warm).\n\n\
         | page | req/s | p50 ms | p99 ms | errors | HTML KB | statements cold · warm | p99 ≤ {TARGET_P99_MS} ms | list ≤ 60 KB |\n\
         |---|---:|---:|---:|---:|---:|---:|:---:|:---:|\n"
    );
    for PageRow {
        figures: f,
        bytes,
        cold,
        warm: stmts,
        list,
    } in rows
    {
        let ok = if f.p99_ms <= TARGET_P99_MS && f.errors == 0 {
            "✓"
        } else {
            "✗"
        };
        let size = if !list {
            "–"
        } else if *bytes <= LIST_MAX_BYTES {
            "✓"
        } else {
            "✗"
        };
        s.push_str(&format!(
            "| {} — {} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {} · {} | {ok} | {size} |\n",
            f.name,
            f.what,
            f.rps,
            f.p50_ms,
            f.p99_ms,
            f.errors,
            *bytes as f64 / 1024.0,
            cold.map_or("–".to_owned(), |n| format!("{n:.0}")),
            stmts.map_or("–".to_owned(), |n| format!("{n:.1}")),
        ));
    }
    s
}
