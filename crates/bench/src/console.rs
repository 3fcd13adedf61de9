//! `--suite console`: the staff console's pages at a scale, as a few staff members use
//! them (`--concurrency`, 4 by default), each page against the 100 ms p99.
//!
//! A console admin (`bench-admin`) is created on the bench database if it has none,
//! signs in through the log-in form like a browser, and every scenario is driven with
//! its session cookie. The lists are the default pages and the filters, searches,
//! date drill-downs and deepest pages a moderator reaches for; the change pages are
//! random posts, comments and members.

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context as _, bail};
use madang_domain::Timestamp;
use madang_domain::console::POST_SEARCH_WINDOW;
use madang_domain::maintenance::Day;
use serde_json::{Value, json};

use crate::{Figures, Scenario, encode};

/// The console admin the suite signs in as.
const ADMIN: &str = "bench-admin";
const ADMIN_PASSWORD: &str = "bench-admin-password";
/// The target every console page is held to.
pub const TARGET_P99_MS: f64 = 100.0;

/// Creates the suite's admin unless the database has it already.
pub fn ensure_admin(madang: &Path, url: &str) -> anyhow::Result<()> {
    let run = |args: &[&str]| {
        std::process::Command::new(madang)
            .args(args)
            .env("MADANG_DATABASE_URL", url)
            .env("MADANG_LOG", "error")
            .env("MADANG_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    let email = format!("{ADMIN}@bench.madang.test");
    if run(&["admin", "create", "--name", ADMIN, "--email", &email])?.success() {
        return Ok(());
    }
    // Taken already: an earlier run made it; make sure it is still an admin.
    anyhow::ensure!(
        run(&["admin", "set-role", "--user", ADMIN, "--role", "admin"])?.success(),
        "cannot create or find the console admin {ADMIN}"
    );
    Ok(())
}

/// Signs in through the console's log-in form; answers the `Cookie` header value.
pub async fn log_in(base: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = http.get(format!("{base}/admin/login")).send().await?;
    let csrf_cookie = cookie(&form, "madang_console_csrf").context("no log-in form cookie")?;
    let html = form.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).context("no CSRF field")? + marker.len();
    let token = html[start..].split('"').next().unwrap_or("").to_owned();
    let res = http
        .post(format!("{base}/admin/login"))
        .header("cookie", format!("madang_console_csrf={csrf_cookie}"))
        .form(&[
            ("csrf", token.as_str()),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
            ("next", "/admin/"),
        ])
        .send()
        .await?;
    if res.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("the console log-in answered {}", res.status());
    }
    let session = cookie(&res, "madang_console").context("no session cookie")?;
    Ok(format!("madang_console={session}"))
}

fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// What the scenarios need to know of the seeded board, read from the database.
pub struct Board {
    /// The category holding the most posts.
    busiest_category: i64,
    /// The last whole month before the newest post's (UTC): a month of posts.
    year: i32,
    month: u32,
    max_post: i64,
    max_comment: i64,
    max_user: i64,
    /// The first seeded member, who has the most posts and comments.
    heavy_author: String,
}

impl Board {
    pub async fn read(url: &str) -> anyhow::Result<Self> {
        let db = sqlx::AnyPool::connect(url).await?;
        let one = |sql: &'static str| {
            let db = db.clone();
            async move {
                let row = sqlx::query(sql).fetch_one(&db).await?;
                anyhow::Ok(row)
            }
        };
        let int = |row: &sqlx::any::AnyRow| sqlx::Row::try_get::<i64, _>(row, 0);
        let busiest_category =
            int(&one("SELECT id FROM categories ORDER BY post_count DESC, id LIMIT 1").await?)?;
        let newest =
            int(&one("SELECT created_at FROM posts ORDER BY created_at DESC LIMIT 1").await?)?;
        let max_post = int(&one("SELECT MAX(id) FROM posts").await?)?;
        let max_comment = int(&one("SELECT MAX(id) FROM comments").await?)?;
        let max_user = int(&one("SELECT MAX(id) FROM users").await?)?;
        let heavy =
            one("SELECT name FROM users WHERE email LIKE '%@seed.madang.test' ORDER BY id LIMIT 1")
                .await?;
        let heavy_author = sqlx::Row::try_get::<String, _>(&heavy, 0)?;
        db.close().await;
        let this_month = Day::containing(Timestamp(newest), 0);
        let day = Day::from_epoch_days(
            Day {
                day: 1,
                ..this_month
            }
            .to_epoch_days()
                - 1,
        );
        Ok(Self {
            busiest_category,
            year: day.year,
            month: day.month,
            max_post,
            max_comment,
            max_user,
            heavy_author,
        })
    }

    pub fn describe(&self) -> Value {
        json!({
            "busiest_category": self.busiest_category,
            "month": format!("{}-{:02}", self.year, self.month),
            "posts": self.max_post,
            "comments": self.max_comment,
            "users": self.max_user,
            "heavy_author": self.heavy_author,
        })
    }
}

/// Ids from 1 up to the largest number with one digit fewer than `max`: all present.
fn random_id(prefix: &str, max: i64) -> String {
    let digits = max.to_string().len().saturating_sub(1).max(1);
    format!("{prefix}/[1-9][0-9]{{0,{}}}", digits - 1)
}

pub fn scenarios(b: &Board, base: &str, cookie: &str) -> Vec<Scenario> {
    let page = |name: &'static str, what: &str, path: String| Scenario {
        name,
        what: what.to_owned(),
        url: format!("{base}{path}"),
        oha: vec!["-H".into(), format!("Cookie: {cookie}")],
        writes: false,
    };
    let random = |name, what: &str, path: String| {
        let mut s = page(name, what, path);
        s.oha.push("--rand-regex-url".into());
        s
    };
    let (y, m) = (b.year, b.month);
    vec![
        page(
            "console_dashboard",
            "dashboard (14 days of counts, queue, recent activity)",
            "/admin/".into(),
        ),
        page("console_users", "users, first page", "/admin/users".into()),
        page(
            "console_users_search",
            "users, name or email contains \"u12\"",
            "/admin/users?q=u12".into(),
        ),
        page(
            "console_users_suspended",
            "users filtered by state: suspended",
            "/admin/users?state=suspended".into(),
        ),
        random(
            "console_user_detail",
            "a random user's change page (with recent log-ins)",
            random_id("/admin/users", b.max_user),
        ),
        page(
            "console_posts",
            "posts, first page (newest)",
            "/admin/posts".into(),
        ),
        page(
            "console_posts_deepest",
            "posts, page 200 (the deepest the console pages)",
            "/admin/posts?p=200".into(),
        ),
        page(
            "console_posts_oldest",
            "posts sorted oldest first, page 200",
            "/admin/posts?o=created_at&p=200".into(),
        ),
        page(
            "console_posts_category",
            "posts of the busiest category",
            format!("/admin/posts?category={}", b.busiest_category),
        ),
        page(
            "console_posts_deleted",
            "posts filtered by status: deleted",
            "/admin/posts?status=deleted".into(),
        ),
        page(
            "console_posts_negative",
            "posts filtered by sentiment: negative",
            "/admin/posts?sentiment=negative".into(),
        ),
        page(
            "console_posts_unlabelled",
            "posts filtered by sentiment: unlabelled",
            "/admin/posts?sentiment=none".into(),
        ),
        page(
            "console_posts_month",
            "posts of the last whole month (date drill-down)",
            format!("/admin/posts?y={y}&m={m}"),
        ),
        page(
            "console_posts_category_negative_month",
            "posts of the busiest category, negative, in that month",
            format!(
                "/admin/posts?category={}&sentiment=negative&y={y}&m={m}",
                b.busiest_category
            ),
        ),
        page(
            "console_posts_search_ko_1",
            &format!("posts search \"꿀\" (reads at most {POST_SEARCH_WINDOW} posts)"),
            format!("/admin/posts?q={}", encode("꿀")),
        ),
        page(
            "console_posts_search_ko_4",
            "posts search \"시간낭비\"",
            format!("/admin/posts?q={}", encode("시간낭비")),
        ),
        page(
            "console_posts_search_in_month",
            "posts search \"시간낭비\" in that month",
            format!("/admin/posts?q={}&y={y}&m={m}", encode("시간낭비")),
        ),
        random(
            "console_post_detail",
            "a random post's change page (with its versions)",
            random_id("/admin/posts", b.max_post),
        ),
        page(
            "console_comments",
            "comments, first page",
            "/admin/comments".into(),
        ),
        page(
            "console_comments_deepest",
            "comments, page 200",
            "/admin/comments?p=200".into(),
        ),
        page(
            "console_comments_by_author",
            "comments of the heaviest author (exact name)",
            format!("/admin/comments?q={}", encode(&b.heavy_author)),
        ),
        page(
            "console_comments_unlabelled",
            "comments filtered by sentiment: unlabelled",
            "/admin/comments?sentiment=none".into(),
        ),
        random(
            "console_comment_detail",
            "a random comment's change page",
            random_id("/admin/comments", b.max_comment),
        ),
        page(
            "console_categories",
            "categories",
            "/admin/categories".into(),
        ),
        page("console_logins", "login history", "/admin/logins".into()),
        page("console_seminars", "seminars", "/admin/seminars".into()),
        page(
            "console_enrolments",
            "enrolments",
            "/admin/enrolments".into(),
        ),
        page(
            "console_jobs",
            "jobs (from the queue)",
            "/admin/jobs".into(),
        ),
        page("console_audit", "audit log", "/admin/audit".into()),
    ]
}

pub fn markdown(
    engine: &str,
    scale: &str,
    c: u32,
    secs: u64,
    board: &Value,
    figures: &[Figures],
) -> String {
    let mut s = format!(
        "# Staff console, {engine} at {scale} posts\n\n{c} connections, {secs} s per page, \
         `cargo run -p madang-bench --release -- --engine {engine} --scale {scale} --suite console`. \
         Board: {board}.\n\n| page | req/s | p50 ms | p99 ms | p99.9 ms | errors | p99 ≤ {TARGET_P99_MS} ms |\n\
         |---|---:|---:|---:|---:|---:|:---:|\n"
    );
    for f in figures {
        let ok = if f.p99_ms <= TARGET_P99_MS && f.errors == 0 {
            "✓"
        } else {
            "✗"
        };
        s.push_str(&format!(
            "| {} — {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {ok} |\n",
            f.name, f.what, f.rps, f.p50_ms, f.p99_ms, f.p999_ms, f.errors
        ));
    }
    s
}
