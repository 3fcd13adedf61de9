use madang_domain::users::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, detail_fields, spawn};

#[tokio::test]
async fn comments_are_listed_oldest_first_and_counted_on_the_post() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let other = app.member("other").await;
    let post = app.new_post(&m, cat, "t", "c").await;
    let (s, c) = app
        .post(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&other.token),
            json!({"content": "첫 댓글"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(c["post_id"], post);
    assert_eq!(c["author"]["name"], "other");
    assert_eq!(c["version"], 1);
    assert_eq!(c["vote_count"], 0);
    assert!(c["sentiment"].is_null());
    let c2 = app.new_comment(&m, post, "둘째").await;
    let c3 = app.new_comment(&other, post, "셋째").await;

    let (s, list) = app
        .get(&format!("/api/v1/posts/{post}/comments?size=2"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"][0]["content"], "첫 댓글");
    assert_eq!(list["data"][1]["id"], c2);
    assert_eq!(list["page_info"]["total_items"], 3);
    let cursor = list["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/api/v1/posts/{post}/comments?size=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["data"][0]["id"], c3);
    assert!(rest["next_cursor"].is_null());
    assert_eq!(
        app.get(&format!("/api/v1/posts/{post}"), None).await.1["comment_count"],
        3
    );

    assert_eq!(
        app.delete(&format!("/api/v1/comments/{c3}"), Some(&other.token), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/posts/{post}"), None).await.1["comment_count"],
        2
    );
    assert_eq!(
        app.get(&format!("/api/v1/posts/{post}/comments"), None)
            .await
            .1["page_info"]["total_items"],
        2
    );
}

#[tokio::test]
async fn comment_input_and_missing_posts() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let post = app.new_post(&m, cat, "t", "c").await;
    let path = format!("/api/v1/posts/{post}/comments");
    for body in [
        json!({}),
        json!({"content": ""}),
        json!({"content": "  "}),
        json!({"content": "x".repeat(10_001)}),
    ] {
        let (s, b) = app.post(&path, Some(&m.token), body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(detail_fields(&b), ["content"]);
    }
    assert_eq!(
        app.post(&path, None, json!({"content": "x"})).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, b) = app
        .post(
            "/api/v1/posts/424242/comments",
            Some(&m.token),
            json!({"content": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&b, "not_found");
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 0);
}

#[tokio::test]
async fn comment_edits_versions_permissions_and_votes() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let stranger = app.member("stranger").await;
    let moderator = app.staff("moder", Role::Moderator).await;
    let post = app.new_post(&m, cat, "t", "c").await;
    let c = app.new_comment(&m, post, "v1").await;
    let path = format!("/api/v1/comments/{c}");

    let (s, e) = app
        .put(&path, Some(&m.token), Some(json!({"content": "v2"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (e["version"].as_i64(), e["content"].as_str()),
        (Some(2), Some("v2"))
    );
    assert_eq!(
        app.put(&path, Some(&stranger.token), Some(json!({"content": "x"})))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.put(&path, Some(&m.token), Some(json!({"content": ""})))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (s, v) = app.get(&format!("{path}/versions"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["version"], 2);
    assert_eq!(v[1]["content"], "v1");

    let vote = format!("{path}/vote");
    assert_eq!(
        app.put(&vote, Some(&stranger.token), None).await.1,
        json!({"vote_count": 1, "voted": true})
    );
    assert_eq!(
        app.put(&vote, Some(&stranger.token), None).await.1,
        json!({"vote_count": 1, "voted": true})
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&stranger.token),
        )
        .await;
    assert_eq!(list["data"][0]["voted"], true);
    let (_, list) = app
        .get(&format!("/api/v1/posts/{post}/comments"), None)
        .await;
    assert!(list["data"][0].get("voted").is_none());
    assert_eq!(
        app.delete(&vote, Some(&stranger.token), None).await.1,
        json!({"vote_count": 0, "voted": false})
    );

    assert_eq!(
        app.delete(&path, Some(&stranger.token), None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, Some(&moderator.token), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.put(&path, Some(&m.token), Some(json!({"content": "x"})))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(&vote, Some(&m.token), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{path}/versions"), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, Some(&m.token), None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn comments_of_a_deleted_post_are_gone() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let post = app.new_post(&m, cat, "t", "c").await;
    let c = app.new_comment(&m, post, "hello").await;
    app.delete(&format!("/api/v1/posts/{post}"), Some(&m.token), None)
        .await;
    assert_eq!(
        app.put(
            &format!("/api/v1/comments/{c}"),
            Some(&m.token),
            Some(json!({"content": "x"}))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (_, mine) = app
        .get(&format!("/api/v1/users/{}/comments", m.id), None)
        .await;
    assert_eq!(mine["page_info"]["total_items"], 0);
}
