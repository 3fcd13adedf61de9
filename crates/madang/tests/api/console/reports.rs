//! The reports queue: grouped by content, sorted by reporters, and the decisions taken
//! from it, each resolving every open report in one audited transaction, shown in the
//! public moderation log by role and never by name.

use madang_domain::users::Role;
use reqwest::StatusCode;
use serde_json::Value;

use super::{Staff, audit_rows, staff};
use crate::helpers::{Member, TestApp, spawn_with};
use crate::notifications::notified;
use crate::reports::report;

/// Reports a post by `n` fresh members; answers its report target's id.
async fn reported(app: &TestApp, post: i64, n: usize, reason: &str) -> i64 {
    for i in 0..n {
        let m = app.member(&format!("r{post}x{i}")).await;
        let (s, b) = report(app, &m, "posts", post, reason).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    target_of(app, post).await
}

async fn target_of(app: &TestApp, post: i64) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM report_targets WHERE target_type = 'post' AND target_id = {post}"
    )))
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::Row::try_get::<i64, _>(&row, 0).unwrap()
}

async fn decide(staff: &Staff, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (s, page, _) = staff
        .post(
            "/admin/reports/action",
            &[fields, &[("stage", "apply"), ("back", "/admin/reports")]].concat(),
            true,
        )
        .await;
    (s, page)
}

async fn modlog(app: &TestApp) -> Value {
    let (s, log) = app.get("/api/v1/modlog", None).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    log
}

async fn my_reports(app: &TestApp, m: &Member) -> Value {
    app.get("/api/v1/users/me/reports", Some(&m.token)).await.1
}

#[tokio::test]
async fn the_queue_lists_reported_content_by_reporters_and_a_dismissal_brings_held_content_back() {
    let app = spawn_with(|s| s.board.report_hide_threshold = 3).await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let quiet = app.new_post(&author, cat, "조용한 글", "내용").await;
    let loud = app.new_post(&author, cat, "시끄러운 글", "내용").await;
    let quiet_target = reported(&app, quiet, 1, "other").await;
    let loud_target = reported(&app, loud, 3, "spam").await;
    let (_, list) = app
        .get(&format!("/api/v1/posts?category_id={cat}"), None)
        .await;
    assert_eq!(list["page_info"]["total_items"], 1, "the loud post is held");

    let (moderator, _) = staff(&app, "mod1", Role::Moderator).await;
    let (s, queue) = moderator.get("/admin/reports?report_status=open").await;
    assert_eq!(s, StatusCode::OK);
    let (a, b) = (
        queue.find("시끄러운 글").expect("loud listed"),
        queue.find("조용한 글").expect("quiet listed"),
    );
    assert!(a < b, "most reporters first");
    assert!(queue.contains("스팸·광고 3"), "reasons counted: {queue}");
    let (s, oldest) = moderator.get("/admin/reports?o=first_reported").await;
    assert_eq!(s, StatusCode::OK);
    assert!(oldest.find("조용한 글").unwrap() < oldest.find("시끄러운 글").unwrap());

    // The change page: the content, the author's history, every report and the forms.
    let (s, page) = moderator
        .get(&format!("/admin/reports/{loud_target}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("시끄러운 글"));
    assert!(page.contains("dismiss_reports") && page.contains("ban_author"));

    let id = loud_target.to_string();
    let before = audit_rows(&app).await;
    let (s, _) = decide(&moderator, &[("action", "dismiss_reports"), ("ids", &id)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(audit_rows(&app).await, before + 1);
    let (_, list) = app
        .get(&format!("/api/v1/posts?category_id={cat}"), None)
        .await;
    assert_eq!(list["page_info"]["total_items"], 2, "back on the board");
    let fixed = app.maintenance.reconcile().await.unwrap();
    assert!(fixed.fixes.is_empty(), "{:?}", fixed.fixes);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE open_flag IS NOT NULL")
            .await,
        1,
        "only the quiet post's report is still open"
    );
    // Deciding again (a second moderator on a stale page) changes nothing.
    let (s, _) = decide(&moderator, &[("action", "dismiss_reports"), ("ids", &id)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(audit_rows(&app).await, before + 1);

    let log = modlog(&app).await;
    let entry = &log["data"][0];
    assert_eq!(entry["action"], "dismiss");
    assert_eq!(entry["target"]["type"], "post");
    assert_eq!(entry["target"]["id"], loud);
    assert_eq!(entry["moderator_role"], "moderator");
    assert!(
        !log.to_string().contains("mod1"),
        "never the moderator's name"
    );
    let _ = quiet_target;
}

#[tokio::test]
async fn suspending_from_the_queue_removes_the_content_suspends_the_author_and_tells_the_reporters()
{
    let app = spawn_with(|s| s.board.report_hide_threshold = 5).await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let post = app.new_post(&author, cat, "욕설 글", "나쁜 말").await;
    let reporter = app.member("reporter").await;
    let (s, _) = report(&app, &reporter, "posts", post, "abuse").await;
    assert_eq!(s, StatusCode::CREATED);
    let target = reported(&app, post, 1, "abuse").await.to_string();

    let (moderator, _) = staff(&app, "mod1", Role::Moderator).await;
    // The fields are checked beside them first; nothing is written.
    let (s, page, _) = moderator
        .post(
            "/admin/reports/action",
            &[
                ("action", "suspend_author"),
                ("ids", &target),
                ("stage", "review"),
            ],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"e-until\"") && page.contains("id=\"e-reason\""));
    let before = audit_rows(&app).await;
    let (s, _) = decide(
        &moderator,
        &[
            ("action", "suspend_author"),
            ("ids", &target),
            ("until", "2099-12-31"),
            ("reason", "욕설 반복"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        audit_rows(&app).await,
        before + 2,
        "the removal and the suspension"
    );

    let (s, _) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "removed");
    let (s, _) = app
        .post(
            "/api/v1/posts",
            Some(&author.token),
            serde_json::json!({"category_id": cat, "title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "suspended");
    // The author is told why, and each reporter what became of the report; by role
    // only, never the moderator's name.
    let told = notified(&app, &author, |n| !n.is_empty()).await;
    assert_eq!(told[0]["kind"], "removed");
    assert_eq!(told[0]["reason"], "욕설 반복");
    assert_eq!(told[0]["post_id"], post);
    assert!(told[0]["actor"].is_null());
    let told = notified(&app, &reporter, |n| !n.is_empty()).await;
    assert_eq!(told[0]["kind"], "report_decided");
    assert_eq!(told[0]["reason"], "suspended");
    let mine = my_reports(&app, &reporter).await;
    assert_eq!(mine["data"][0]["status"], "resolved");
    assert_eq!(mine["data"][0]["outcome"], "suspended");
    assert!(mine["data"][0]["resolved_at"].is_string());

    let log = modlog(&app).await;
    let actions: Vec<&str> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["suspend", "remove"], "{log}");
    assert_eq!(log["data"][1]["reason"], "욕설 반복");
    assert_eq!(log["data"][0]["target"]["type"], "user");
    let fixed = app.maintenance.reconcile().await.unwrap();
    assert!(fixed.fixes.is_empty(), "{:?}", fixed.fixes);

    // A later report opens the content's row again, counted from one.
    let (s, _) = app
        .post(
            &format!("/api/v1/posts/{post}/reports"),
            Some(&reporter.token),
            serde_json::json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "removed content takes no reports");
}

#[tokio::test]
async fn a_moderator_cannot_discipline_staff_from_the_queue_but_may_remove_their_content() {
    let app = spawn_with(|s| s.board.report_hide_threshold = 5).await;
    let (admin, cat) = app.board().await;
    let post = app.new_post(&admin, cat, "관리자 글", "내용").await;
    let target = reported(&app, post, 1, "other").await.to_string();
    let (moderator, _) = staff(&app, "mod1", Role::Moderator).await;
    let before = audit_rows(&app).await;
    let (s, page, _) = moderator
        .post(
            "/admin/reports/action",
            &[
                ("action", "ban_author"),
                ("ids", &target),
                ("reason", "x"),
                ("stage", "review"),
            ],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !page.contains("name=\"stage\" value=\"apply\""),
        "nothing to apply: {page}"
    );
    let (s, _) = decide(
        &moderator,
        &[("action", "ban_author"), ("ids", &target), ("reason", "x")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(audit_rows(&app).await, before, "nothing written");
    let (s, _) = decide(
        &moderator,
        &[
            ("action", "remove_reported"),
            ("ids", &target),
            ("reason", "규칙 위반"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(audit_rows(&app).await, before + 1);
    let (s, _) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
