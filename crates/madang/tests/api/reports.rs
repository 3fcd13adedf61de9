//! Reports (신고) through the API: one open report per member and content, however many
//! repeats race; the threshold that holds content from the lists with every count
//! exact; the member's own reports; and bad input.

use futures::future::join_all;
use madang_domain::users::UserState;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, assert_error, limited, spawn, spawn_with};

pub(crate) async fn report(
    app: &TestApp,
    who: &Member,
    what: &str,
    id: i64,
    reason: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/{what}/{id}/reports"),
        Some(&who.token),
        json!({"reason": reason}),
    )
    .await
}

async fn total(app: &TestApp, path: &str) -> i64 {
    let (s, body) = app.get(path, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["page_info"]["total_items"].as_i64().unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_member_has_one_open_report_per_content_however_many_repeats_race() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let reader = app.member("reader").await;
    let post = app.new_post(&author, cat, "광고 글", "싸게 팝니다").await;

    let (s, first) = app
        .post(
            &format!("/api/v1/posts/{post}/reports"),
            Some(&reader.token),
            json!({"reason": "spam", "detail": "  도배\u{1100}\u{1161}  "}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "open");
    assert_eq!(first["reason"], "spam");
    assert_eq!(first["detail"], "도배가", "trimmed and NFC");
    assert_eq!(
        first["target"],
        json!({"type": "post", "id": post, "post_id": post})
    );
    assert!(first["outcome"].is_null());

    // Again, with another reason: the same open report, unchanged.
    let (s, again) = report(&app, &reader, "posts", post, "abuse").await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["reason"], "spam");

    // Racing repeats of another member make one report.
    let racer = app.member("racer").await;
    let tries = (0..8).map(|_| report(&app, &racer, "posts", post, "abuse"));
    let answers = join_all(tries).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(answers.iter().all(|(s, _)| s.is_success()), "{answers:?}");
    let ids: std::collections::BTreeSet<i64> = answers
        .iter()
        .map(|(_, b)| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 2);
    assert_eq!(
        app.count("SELECT MAX(reporters) FROM report_targets").await,
        2,
        "two distinct reporters"
    );

    // The member's reports, newest first.
    let (s, mine) = app
        .get("/api/v1/users/me/reports", Some(&reader.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["page_info"]["total_items"], 1);
    assert_eq!(mine["data"][0]["id"], first["id"]);
    let (s, _) = app.get("/api/v1/users/me/reports", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A comment is reported the same way, and separately from its post.
    let comment = app.new_comment(&author, post, "댓글 광고").await;
    let (s, c) = report(&app, &reader, "comments", comment, "other").await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(
        c["target"],
        json!({"type": "comment", "id": comment, "post_id": post})
    );
}

#[tokio::test]
async fn a_report_that_cannot_be_filed_is_refused_in_the_error_shape_and_writes_nothing() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let reader = app.member("reader").await;
    let post = app.new_post(&author, cat, "제목", "내용").await;

    let (s, b) = report(&app, &author, "posts", post, "spam").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "one's own post: {b}");
    assert_error(&b, "forbidden");
    let (s, b) = report(&app, &reader, "posts", post + 100, "spam").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_error(&b, "not_found");
    let (s, b) = report(&app, &reader, "comments", 999, "spam").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    for body in [
        json!({}),
        json!({"reason": "rude"}),
        json!({"reason": "spam", "detail": "가".repeat(1001)}),
        json!({"reason": 3}),
        json!({"reason": "spam", "detail": ["x"]}),
    ] {
        let (s, b) = app
            .post(
                &format!("/api/v1/posts/{post}/reports"),
                Some(&reader.token),
                body.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_error(&b, "validation_failed");
    }
    let (s, b) = app
        .post(
            &format!("/api/v1/posts/{post}/reports"),
            None,
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    // A suspended member may read but not report.
    app.set_state(
        reader.id,
        UserState::Banned {
            reason: "spam".into(),
        },
    )
    .await;
    let (s, b) = report(&app, &reader, "posts", post, "spam").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM report_targets").await, 0);
}

#[tokio::test]
async fn five_distinct_reporters_hold_a_post_from_every_list_and_every_count_stays_exact() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let post = app.new_post(&author, cat, "문제의 글", "내용").await;
    let other = app.new_post(&author, cat, "평범한 글", "내용").await;
    let board = format!("/api/v1/posts?category_id={cat}");
    let mut reporters = Vec::new();
    for i in 0..5 {
        reporters.push(app.member(&format!("reporter{i}")).await);
    }
    for r in &reporters[..4] {
        let (s, _) = report(&app, r, "posts", post, "abuse").await;
        assert_eq!(s, StatusCode::CREATED);
    }
    assert_eq!(total(&app, &board).await, 2, "four reports hold nothing");
    // One member repeating does not add up to the threshold.
    let (s, _) = report(&app, &reporters[0], "posts", post, "spam").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(total(&app, &board).await, 2);

    let (s, _) = report(&app, &reporters[4], "posts", post, "abuse").await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, list) = app.get(&board, None).await;
    assert_eq!(ids(&list), [other], "held from the board");
    assert_eq!(list["page_info"]["total_items"], 1, "the total agrees");
    assert_eq!(total(&app, "/api/v1/posts").await, 1);
    let (s, _) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "held like a deletion");
    let found = app
        .get("/api/v1/posts?keyword=%EB%AC%B8%EC%A0%9C", None)
        .await
        .1;
    assert!(ids(&found).is_empty(), "nor found by search: {found}");
    assert_eq!(
        app.count("SELECT held FROM report_targets").await,
        1,
        "marked held"
    );
    // The counters agree with the rows: the nightly reconcile finds nothing to fix.
    let fixed = app.maintenance.reconcile().await.unwrap();
    assert!(fixed.fixes.is_empty(), "{:?}", fixed.fixes);
    // Held content takes no more reports.
    let late = app.member("late").await;
    let (s, _) = report(&app, &late, "posts", post, "spam").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_held_comment_leaves_its_posts_count_and_list() {
    let app = spawn_with(|s| s.board.report_hide_threshold = 2).await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let post = app.new_post(&author, cat, "글", "내용").await;
    let bad = app.new_comment(&author, post, "욕설 댓글").await;
    let good = app.new_comment(&author, post, "좋은 댓글").await;
    for name in ["r1", "r2"] {
        let r = app.member(name).await;
        let (s, _) = report(&app, &r, "comments", bad, "abuse").await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, comments) = app
        .get(&format!("/api/v1/posts/{post}/comments"), None)
        .await;
    assert_eq!(ids(&comments), [good]);
    let (_, p) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(p["comment_count"], 1, "{p}");
    let fixed = app.maintenance.reconcile().await.unwrap();
    assert!(fixed.fixes.is_empty(), "{:?}", fixed.fixes);
}

#[tokio::test]
async fn reports_are_rate_limited_per_member() {
    let app = spawn_with(limited(&[("report", "2/60s")])).await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let reader = app.member("reader").await;
    let mut posts = Vec::new();
    for i in 0..3 {
        posts.push(app.new_post(&author, cat, &format!("글 {i}"), "내용").await);
    }
    for p in &posts[..2] {
        let (s, _) = report(&app, &reader, "posts", *p, "spam").await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let res = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/posts/{}/reports", posts[2]),
            Some(&reader.token),
            Some(json!({"reason": "spam"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let (_, b) = crate::helpers::read(res).await;
    assert_error(&b, "rate_limited");
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 2);
}
