//! Notifications (알림) through the API: who a comment or a reply tells, never oneself,
//! exactly once however often its job runs, the unread count, marking read, and the
//! kinds a member turns off.

use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, spawn};

/// The member's notifications once `done` holds of them (jobs run in the background).
pub(crate) async fn notified(
    app: &TestApp,
    m: &Member,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (s, list) = app
            .get("/api/v1/notifications?size=100", Some(&m.token))
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let items = list["data"].as_array().cloned().unwrap_or_default();
        if done(&items) {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "never notified as expected: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

async fn unread(app: &TestApp, m: &Member) -> i64 {
    let (s, b) = app
        .get("/api/v1/notifications/unread-count", Some(&m.token))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["unread"].as_i64().unwrap()
}

async fn reply(app: &TestApp, who: &Member, post: i64, parent: i64) -> i64 {
    let (s, c) = app
        .post(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&who.token),
            json!({"content": "답글", "parent_id": parent}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

/// Waits until the job queue has nothing left to run.
pub(crate) async fn jobs_settled(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while app
        .count("SELECT (SELECT COUNT(*) FROM job_outbox) + (SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running'))")
        .await
        > 0
    {
        assert!(Instant::now() < deadline, "jobs never settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_comment_tells_the_post_author_and_a_reply_the_member_answered_never_oneself() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let other = app.member("other").await;
    let third = app.member("third").await;
    let post = app.new_post(&author, cat, "글", "내용").await;

    let c = app.new_comment(&other, post, "댓글").await;
    let items = notified(&app, &author, |n| !n.is_empty()).await;
    assert_eq!(kinds(&items), ["comment"]);
    assert_eq!(items[0]["actor"]["id"], other.id);
    assert_eq!(items[0]["post_id"], post);
    assert_eq!(items[0]["comment_id"], c);
    assert_eq!(items[0]["read"], false);

    // Commenting on one's own post, or replying to oneself, tells nobody.
    let own = app.new_comment(&author, post, "내 글에 내 댓글").await;
    reply(&app, &author, post, own).await;
    // The author replies to the other's comment: the other is told, the author is not.
    reply(&app, &author, post, c).await;
    let items = notified(&app, &other, |n| !n.is_empty()).await;
    assert_eq!(kinds(&items), ["reply"]);
    // A third member's reply tells the member answered and the post's author.
    let r = reply(&app, &third, post, c).await;
    notified(&app, &other, |n| n.len() == 2).await;
    let items = notified(&app, &author, |n| n.len() == 2).await;
    assert_eq!(kinds(&items), ["comment", "comment"]);
    assert_eq!(items[0]["comment_id"], r, "newest first");
    jobs_settled(&app).await;
    assert_eq!(unread(&app, &author).await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM notifications").await, 4);
    let (_, none) = app.get("/api/v1/notifications", Some(&third.token)).await;
    assert_eq!(none["page_info"]["total_items"], 0);
}

#[tokio::test]
async fn a_job_delivered_again_notifies_once_and_racing_reads_are_idempotent() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let other = app.member("other").await;
    let post = app.new_post(&author, cat, "글", "내용").await;
    let c = app.new_comment(&other, post, "댓글").await;
    notified(&app, &author, |n| n.len() == 1).await;
    // The same event's job again (a worker that died after writing, a relay repeat).
    for _ in 0..2 {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO job_outbox (kind, payload, max_attempts, run_at, created_at) \
             VALUES ('notify.comment', '{{\"id\": {c}}}', 5, 0, 0)"
        )))
        .execute(&app.db)
        .await
        .unwrap();
    }
    jobs_settled(&app).await;
    let items = notified(&app, &author, |n| !n.is_empty()).await;
    assert_eq!(items.len(), 1, "once: {items:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'notify.comment' AND state = 'done'")
            .await,
        3,
        "all three deliveries ran"
    );

    let id = items[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/notifications/{id}/read");
    let reads = (0..6).map(|_| app.post(&path, Some(&author.token), json!({})));
    for (s, b) in join_all(reads).await {
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    }
    assert_eq!(unread(&app, &author).await, 0);
    let (_, list) = app
        .get("/api/v1/notifications?unread=true", Some(&author.token))
        .await;
    assert_eq!(list["page_info"]["total_items"], 0);
    // Another member's notification is nobody else's to read.
    let (s, b) = app.post(&path, Some(&other.token), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, _) = app
        .post(
            "/api/v1/notifications/999999/read",
            Some(&author.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/api/v1/notifications", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app
        .get("/api/v1/notifications?unread=maybe", Some(&author.token))
        .await;
    assert!(s.is_client_error(), "{b}");
}

#[tokio::test]
async fn read_all_marks_every_unread_one_and_a_muted_kind_is_not_delivered() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let other = app.member("other").await;
    let post = app.new_post(&author, cat, "글", "내용").await;
    for i in 0..3 {
        app.new_comment(&other, post, &format!("댓글 {i}")).await;
    }
    notified(&app, &author, |n| n.len() == 3).await;
    let (s, b) = app
        .post(
            "/api/v1/notifications/read-all",
            Some(&author.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["marked"], 3);
    assert_eq!(unread(&app, &author).await, 0);

    let (s, prefs) = app
        .get(
            "/api/v1/users/me/notification-settings",
            Some(&author.token),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        prefs,
        json!({"comment": true, "reply": true, "mention": true, "removed": true, "report_decided": true})
    );
    let (s, prefs) = app
        .put(
            "/api/v1/users/me/notification-settings",
            Some(&author.token),
            Some(json!({"comment": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{prefs}");
    assert_eq!(prefs["comment"], false);
    assert_eq!(prefs["reply"], true);
    for bad in [
        json!({"comment": "no"}),
        json!({"likes": true}),
        json!([true]),
    ] {
        let (s, b) = app
            .put(
                "/api/v1/users/me/notification-settings",
                Some(&author.token),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
    }
    app.new_comment(&other, post, "조용히").await;
    jobs_settled(&app).await;
    assert_eq!(unread(&app, &author).await, 0, "comments are muted");
    assert_eq!(app.count("SELECT COUNT(*) FROM notifications").await, 3);
}
