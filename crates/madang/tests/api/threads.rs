//! Replies (대댓글): threads in order, one level deep, paged by top-level comment;
//! placeholders for deleted comments that have replies; exact counters; bad parents.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, assert_error, spawn};

async fn reply(app: &TestApp, who: &Member, post: i64, parent: i64, text: &str) -> Value {
    let (s, c) = app
        .post(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&who.token),
            json!({"content": text, "parent_id": parent}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c
}

async fn thread(app: &TestApp, post: i64, query: &str) -> Value {
    let (s, list) = app
        .get(&format!("/api/v1/posts/{post}/comments{query}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list
}

fn ids(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn replies_follow_their_comment_one_level_deep_and_pages_count_top_level_comments() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let other = app.member("other").await;
    let post = app.new_post(&author, cat, "글", "내용").await;
    let a = app.new_comment(&author, post, "첫 댓글").await;
    let b = app.new_comment(&other, post, "둘째 댓글").await;
    let a1 = reply(&app, &other, post, a, "첫 답글").await;
    assert_eq!(a1["parent_id"], a);
    assert_eq!(a1["reply_to_id"], a);
    let b1 = reply(&app, &author, post, b, "둘째 댓글의 답글").await;
    // A reply to a reply joins the same thread, and says what it answers.
    let a2 = reply(
        &app,
        &author,
        post,
        a1["id"].as_i64().unwrap(),
        "답글의 답글",
    )
    .await;
    assert_eq!(a2["parent_id"], a);
    assert_eq!(a2["reply_to_id"], a1["id"]);

    let list = thread(&app, post, "").await;
    assert_eq!(
        ids(&list),
        [
            a,
            a1["id"].as_i64().unwrap(),
            a2["id"].as_i64().unwrap(),
            b,
            b1["id"].as_i64().unwrap()
        ]
    );
    assert_eq!(list["data"][0]["reply_count"], 2);
    assert_eq!(list["data"][0]["parent_id"], Value::Null);
    assert_eq!(list["data"][3]["reply_count"], 1);
    assert_eq!(list["page_info"]["total_items"], 2, "two threads");
    let (_, p) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(
        p["comment_count"], 5,
        "every live comment counts on the post"
    );

    // Paged by thread: a page of one thread holds its replies too.
    let first = thread(&app, post, "?size=1").await;
    assert_eq!(ids(&first).len(), 3);
    assert_eq!(first["page_info"]["total_pages"], 2);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = thread(&app, post, &format!("?size=1&cursor={cursor}")).await;
    assert_eq!(ids(&second), [b, b1["id"].as_i64().unwrap()]);
    let numbered = thread(&app, post, "?size=1&page=2").await;
    assert_eq!(ids(&numbered), ids(&second));
    assert!(numbered["next_cursor"].is_null());
}

#[tokio::test]
async fn a_deleted_comment_with_replies_stays_as_a_placeholder_until_its_last_reply_goes() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let other = app.member("other").await;
    let post = app.new_post(&author, cat, "글", "내용").await;
    let a = app.new_comment(&author, post, "지울 댓글").await;
    let b = app.new_comment(&author, post, "남는 댓글").await;
    let r1 = reply(&app, &other, post, a, "답글 하나").await["id"]
        .as_i64()
        .unwrap();
    let r2 = reply(&app, &other, post, a, "답글 둘").await["id"]
        .as_i64()
        .unwrap();

    let (s, _) = app
        .delete(&format!("/api/v1/comments/{a}"), Some(&author.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let list = thread(&app, post, "").await;
    assert_eq!(ids(&list), [a, r1, r2, b], "the thread still reads");
    let gone = &list["data"][0];
    assert_eq!(gone["deleted"], true);
    assert_eq!(gone["content"], "");
    assert!(gone["author"].is_null(), "{gone}");
    assert_eq!(gone["reply_count"], 2);
    assert_eq!(list["page_info"]["total_items"], 2);
    let (_, p) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(p["comment_count"], 3);
    // A placeholder takes no replies.
    let (s, body) = app
        .post(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&other.token),
            json!({"content": "x", "parent_id": a}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    for r in [r1, r2] {
        let (s, _) = app
            .delete(&format!("/api/v1/comments/{r}"), Some(&other.token), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let list = thread(&app, post, "").await;
    assert_eq!(
        ids(&list),
        [b],
        "with its last reply the placeholder goes too"
    );
    assert_eq!(list["page_info"]["total_items"], 1);
    let fixed = app.maintenance.reconcile().await.unwrap();
    assert!(fixed.fixes.is_empty(), "{:?}", fixed.fixes);
}

#[tokio::test]
async fn a_parent_of_another_post_a_deleted_or_missing_one_is_refused_and_nothing_is_written() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let post = app.new_post(&author, cat, "글", "내용").await;
    let elsewhere = app.new_post(&author, cat, "다른 글", "내용").await;
    let foreign = app.new_comment(&author, elsewhere, "다른 글의 댓글").await;
    let deleted = app.new_comment(&author, post, "지운 댓글").await;
    app.delete(
        &format!("/api/v1/comments/{deleted}"),
        Some(&author.token),
        None,
    )
    .await;
    let before = app.count("SELECT COUNT(*) FROM comments").await;
    for (parent, why) in [
        (json!(foreign), "other_post"),
        (json!(deleted), "deleted"),
        (json!(999_999), "not_found"),
    ] {
        let (s, body) = app
            .post(
                &format!("/api/v1/posts/{post}/comments"),
                Some(&author.token),
                json!({"content": "답글", "parent_id": parent}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
        assert_error(&body, "validation_failed");
        assert_eq!(body["error"]["details"][0]["field"], "parent_id", "{body}");
        assert_eq!(body["error"]["details"][0]["constraint"], why, "{body}");
    }
    for bad in [json!("x"), json!(1.5), json!([1])] {
        let (s, body) = app
            .post(
                &format!("/api/v1/posts/{post}/comments"),
                Some(&author.token),
                json!({"content": "답글", "parent_id": bad}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, before);
}

#[tokio::test]
async fn the_reconcile_puts_drifted_thread_and_reply_counts_right() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let post = app.new_post(&author, cat, "글", "내용").await;
    let a = app.new_comment(&author, post, "댓글").await;
    reply(&app, &author, post, a, "답글").await;
    for sql in [
        format!("UPDATE posts SET thread_count = 9 WHERE id = {post}"),
        format!("UPDATE comments SET reply_count = 7 WHERE id = {a}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&app.db)
            .await
            .unwrap();
    }
    let report = app.maintenance.reconcile().await.unwrap();
    let mut fixed: Vec<String> = report.fixes.iter().map(ToString::to_string).collect();
    fixed.sort();
    assert_eq!(
        fixed,
        [
            format!("comments {a} reply_count: 7 -> 1"),
            format!("posts {post} thread_count: 9 -> 1"),
        ]
    );
}
