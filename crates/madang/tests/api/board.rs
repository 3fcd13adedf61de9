//! What a Korean board shows: view counts, pinned notices, prefixes, best comments and
//! bookmarks, through the API.

use std::time::{Duration, Instant};

use madang_domain::users::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn};

/// Waits for the post's view count to reach `n` (views are flushed every 200 ms in
/// tests), and answers what it read last.
async fn views_reach(app: &TestApp, id: i64, n: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, list) = app.get("/api/v1/posts?sort=views", None).await;
        let seen = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id && p["pinned"] == false)
            .map_or(-1, |p| p["view_count"].as_i64().unwrap());
        if seen >= n || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn views_count_once_per_reader_and_never_the_author_or_staff() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let author = app.member("writer").await;
    let reader = app.member("reader").await;
    let id = app.new_post(&author, cat, "조회수 세기", "본문").await;
    let path = format!("/api/v1/posts/{id}");
    for _ in 0..3 {
        assert_eq!(app.get(&path, Some(&reader.token)).await.0, StatusCode::OK);
        app.get(&path, Some(&author.token)).await;
        app.get(&path, Some(&admin.token)).await;
    }
    // One anonymous reader, several times.
    for _ in 0..3 {
        app.get(&path, None).await;
    }
    assert_eq!(views_reach(&app, id, 2).await, 2);
    // Nothing more arrives later: the repeats were not counted.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(views_reach(&app, id, 3).await, 2);
    let (_, p) = app.get(&path, None).await;
    assert!(p["view_count"].as_i64().unwrap() <= 2);
    let (s, e) = app.get("/api/v1/posts?sort=views&keyword=조회", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&e, "validation_failed");
}

#[tokio::test]
async fn staff_pin_posts_up_to_five_a_board_and_deleted_posts_leave() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let moderator = app.staff("moder", Role::Moderator).await;
    let member = app.member("member").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(app.new_post(&member, cat, &format!("글 {i}"), "본문").await);
    }
    let pin = |id: i64| format!("/api/v1/posts/{id}/pin");
    let (s, e) = app
        .put(
            &pin(ids[0]),
            Some(&member.token),
            Some(json!({"scope": "board"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    for id in &ids[..5] {
        let (s, p) = app
            .put(
                &pin(*id),
                Some(&moderator.token),
                Some(json!({"scope": "board"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["pinned"], "board");
    }
    let (s, e) = app
        .put(
            &pin(ids[5]),
            Some(&moderator.token),
            Some(json!({"scope": "board"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a sixth pin: {e}");
    assert_error(&e, "conflict");
    let (s, e) = app
        .put(
            &pin(ids[5]),
            Some(&moderator.token),
            Some(json!({"scope": "nowhere"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // Site-wide pins have their own five.
    let (s, _) = app
        .put(
            &pin(ids[6]),
            Some(&admin.token),
            Some(json!({"scope": "site"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (_, board) = app
        .get(&format!("/api/v1/posts?category_id={cat}&size=3"), None)
        .await;
    let data = board["data"].as_array().unwrap();
    let head: Vec<&Value> = data.iter().take_while(|p| p["pinned"] == true).collect();
    assert_eq!(
        head.len(),
        6,
        "five board pins and the site's head the board"
    );
    assert_eq!(head[0]["id"], ids[6], "the site's pin comes first");
    assert_eq!(data.len(), 6 + 3, "and the page's own items follow");
    let (_, front) = app.get("/api/v1/posts?size=3", None).await;
    let front_pins = front["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pinned"] == true)
        .count();
    assert_eq!(front_pins, 1, "only the site's pin heads the front page");
    let (_, second) = app
        .get(
            &format!("/api/v1/posts?category_id={cat}&size=3&page=2"),
            None,
        )
        .await;
    assert!(
        second["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["pinned"] == false)
    );

    // A deleted post leaves the pins, and frees its slot.
    let (s, _) = app
        .delete(
            &format!("/api/v1/posts/{}", ids[0]),
            Some(&moderator.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = app
        .put(
            &pin(ids[0]),
            Some(&moderator.token),
            Some(json!({"scope": "board"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "pinning a deleted post: {e}");
    let (s, _) = app
        .put(
            &pin(ids[5]),
            Some(&moderator.token),
            Some(json!({"scope": "board"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the deleted post's slot is free again");
    let (s, p) = app.delete(&pin(ids[5]), Some(&moderator.token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(p["pinned"].is_null());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('pin', 'unpin')")
            .await,
        8,
        "every pin and unpin is audited"
    );
}

#[tokio::test]
async fn prefixes_belong_to_their_board_and_filter_its_list() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let other = app.category(&admin, "질문게시판", None).await;
    let member = app.member("member").await;
    let (s, b) = app
        .post(
            &format!("/api/v1/categories/{cat}/prefixes"),
            Some(&admin.token),
            json!({"name": "[정보]"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["prefixes"][0]["name"], "정보");
    let info = b["prefixes"][0]["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/categories/{cat}/prefixes"),
            Some(&admin.token),
            json!({"name": "정보"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post(
            &format!("/api/v1/categories/{cat}/prefixes"),
            Some(&member.token),
            json!({"name": "잡담"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .post(
            &format!("/api/v1/categories/{other}/prefixes"),
            Some(&admin.token),
            json!({"name": "질문"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let question = b["prefixes"][0]["id"].as_i64().unwrap();

    let (s, p) = app
        .post(
            "/api/v1/posts",
            Some(&member.token),
            json!({"category_id": cat, "prefix_id": info, "title": "정보 글", "content": "본문"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["prefix"]["name"], "정보");
    let with = p["id"].as_i64().unwrap();
    app.new_post(&member, cat, "말머리 없는 글", "본문").await;
    let (s, e) = app
        .post(
            "/api/v1/posts",
            Some(&member.token),
            json!({"category_id": cat, "prefix_id": question, "title": "남의 말머리", "content": "본문"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a prefix of another board: {e}"
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/posts?category_id={cat}&prefix_id={info}"),
            None,
        )
        .await;
    let ids: Vec<i64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![with]);
    assert_eq!(list["page_info"]["total_items"], 1);

    // A board that requires a prefix refuses a post without one.
    let (s, _) = app
        .req(
            reqwest::Method::PATCH,
            &format!("/api/v1/categories/{other}"),
            Some(&admin.token),
            Some(json!({"prefix_required": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .post(
            "/api/v1/posts",
            Some(&member.token),
            json!({"category_id": other, "title": "질문", "content": "본문"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // An edit that keeps the board keeps the prefix; deleting the prefix clears it.
    let (s, p) = app
        .put(
            &format!("/api/v1/posts/{with}"),
            Some(&member.token),
            Some(json!({"title": "고친 정보 글", "content": "본문"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["prefix"]["id"], info);
    let (s, _) = app
        .delete(
            &format!("/api/v1/prefixes/{info}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, p) = app.get(&format!("/api/v1/posts/{with}"), None).await;
    assert!(p["prefix"].is_null(), "{p}");
}

#[tokio::test]
async fn bookmarks_are_idempotent_newest_first_and_drop_deleted_posts() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("writer").await;
    let reader = app.member("reader").await;
    let a = app.new_post(&author, cat, "첫 글", "본문").await;
    let b = app.new_post(&author, cat, "둘째 글", "본문").await;
    let mark = |id: i64| format!("/api/v1/posts/{id}/bookmark");
    // Racing adds of one bookmark make one row.
    let path = mark(a);
    let adds = (0..8).map(|_| app.put(&path, Some(&reader.token), None));
    for (s, v) in futures::future::join_all(adds).await {
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["bookmarked"], true);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM bookmarks").await, 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.put(&mark(b), Some(&reader.token), None).await;
    let (s, list) = app
        .get("/api/v1/users/me/bookmarks", Some(&reader.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<i64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![b, a], "newest bookmark first");
    assert!(list["data"][0]["bookmarked_at"].is_string());
    let (s, _) = app.get("/api/v1/users/me/bookmarks", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.put(&mark(999_999), Some(&reader.token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.delete(&format!("/api/v1/posts/{b}"), Some(&author.token), None)
        .await;
    let (_, list) = app
        .get("/api/v1/users/me/bookmarks", Some(&reader.token))
        .await;
    assert_eq!(list["page_info"]["total_items"], 1, "{list}");
    let (s, v) = app.delete(&mark(a), Some(&reader.token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["bookmarked"], false);
    let (s, v) = app.delete(&mark(a), Some(&reader.token), None).await;
    assert_eq!((s, v["bookmarked"].clone()), (StatusCode::OK, json!(false)));
}

#[tokio::test]
async fn the_most_voted_comments_head_the_first_page() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("writer").await;
    let post = app.new_post(&author, cat, "베스트 댓글", "본문").await;
    let mut comments = Vec::new();
    for i in 0..5 {
        comments.push(app.new_comment(&author, post, &format!("댓글 {i}")).await);
    }
    // Ten voters for comment 3, eleven for comment 1: both pass the default of 10.
    for v in 0..11 {
        let m = app.member(&format!("voter{v}")).await;
        let vote = |c: i64| format!("/api/v1/comments/{c}/vote");
        app.put(&vote(comments[1]), Some(&m.token), None).await;
        if v < 10 {
            app.put(&vote(comments[3]), Some(&m.token), None).await;
        }
        if v < 9 {
            app.put(&vote(comments[4]), Some(&m.token), None).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(6)).await; // the cached first page expires
    let (_, list) = app
        .get(&format!("/api/v1/posts/{post}/comments"), None)
        .await;
    let data = list["data"].as_array().unwrap();
    let best: Vec<i64> = data
        .iter()
        .filter(|c| c["best"] == true)
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(best, vec![comments[1], comments[3]], "{list}");
    assert_eq!(
        data.len(),
        5 + 2,
        "the best keep their place in the thread too"
    );
    let (_, second) = app
        .get(
            &format!("/api/v1/posts/{post}/comments?size=2&page=2"),
            None,
        )
        .await;
    assert!(
        second["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["best"] == false)
    );
}
