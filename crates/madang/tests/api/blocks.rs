//! Blocking (차단): a blocked member's posts and comments leave the blocker's lists
//! (a thread others answered stays, blanked), they never notify the blocker, and the
//! blocked member notices nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, spawn};
use crate::notifications::{jobs_settled, notified};

fn ids(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

async fn list(app: &TestApp, path: &str, who: Option<&Member>) -> Value {
    let (s, l) = app.get(path, who.map(|m| m.token.as_str())).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    l
}

#[tokio::test]
async fn a_blocked_members_posts_and_comments_leave_the_blockers_lists_only() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let me = app.member("me").await;
    let spammer = app.member("spammer").await;
    let other = app.member("other").await;
    let mine = app.new_post(&me, cat, "내 글", "내용").await;
    let spam = app.new_post(&spammer, cat, "광고", "내용").await;
    let c_spam = app.new_comment(&spammer, mine, "광고 댓글").await;
    let answered = app.new_comment(&spammer, mine, "답글 달린 광고").await;
    let (s, r) = app
        .post(
            &format!("/api/v1/posts/{mine}/comments"),
            Some(&other.token),
            json!({"content": "광고 그만", "parent_id": answered}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let r = r["id"].as_i64().unwrap();

    let (s, b) = app
        .put(
            &format!("/api/v1/users/{}/block", spammer.id),
            Some(&me.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["blocked"], true);
    let (s, b) = app
        .put(
            &format!("/api/v1/users/{}/block", spammer.id),
            Some(&me.token),
            None,
        )
        .await;
    assert_eq!(
        (s, &b["blocked"]),
        (StatusCode::OK, &json!(true)),
        "idempotent"
    );

    let posts = list(&app, "/api/v1/posts", Some(&me)).await;
    assert_eq!(ids(&posts), [mine]);
    let found = list(&app, "/api/v1/posts?keyword=%EA%B4%91%EA%B3%A0", Some(&me)).await;
    assert!(ids(&found).is_empty(), "nor in search: {found}");
    assert_eq!(
        ids(&list(&app, "/api/v1/posts", Some(&other)).await),
        [spam, mine]
    );
    assert_eq!(ids(&list(&app, "/api/v1/posts", None).await), [spam, mine]);

    let comments = list(&app, &format!("/api/v1/posts/{mine}/comments"), Some(&me)).await;
    assert_eq!(ids(&comments), [answered, r], "{comments}");
    let kept = &comments["data"][0];
    assert_eq!(kept["blocked"], true);
    assert_eq!(kept["content"], "");
    assert!(kept["author"].is_null());
    let everyone = list(
        &app,
        &format!("/api/v1/posts/{mine}/comments"),
        Some(&spammer),
    )
    .await;
    assert_eq!(
        ids(&everyone),
        [c_spam, answered, r],
        "the blocked member sees all"
    );
    let (_, blocks) = app.get("/api/v1/users/me/blocks", Some(&me.token)).await;
    assert_eq!(blocks, json!([{"id": spammer.id, "name": "spammer"}]));

    let (s, b) = app
        .delete(
            &format!("/api/v1/users/{}/block", spammer.id),
            Some(&me.token),
            None,
        )
        .await;
    assert_eq!((s, &b["blocked"]), (StatusCode::OK, &json!(false)));
    assert_eq!(
        ids(&list(&app, "/api/v1/posts", Some(&me)).await),
        [spam, mine]
    );
}

#[tokio::test]
async fn a_blocked_member_never_notifies_the_blocker_and_bad_blocks_are_refused() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let me = app.member("me").await;
    let pest = app.member("pest").await;
    let friend = app.member("friend").await;
    let post = app.new_post(&me, cat, "내 글", "내용").await;
    let (s, _) = app
        .put(
            &format!("/api/v1/users/{}/block", pest.id),
            Some(&me.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.new_comment(&pest, post, "시비").await;
    app.new_comment(&friend, post, "좋은 글").await;
    jobs_settled(&app).await;
    // Both jobs ran; only the friend's reached me.
    let items = notified(&app, &me, |n| !n.is_empty()).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["actor"]["id"], friend.id);

    let (s, b) = app
        .put(
            &format!("/api/v1/users/{}/block", me.id),
            Some(&me.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, _) = app
        .put("/api/v1/users/999999/block", Some(&me.token), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .put(&format!("/api/v1/users/{}/block", pest.id), None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
