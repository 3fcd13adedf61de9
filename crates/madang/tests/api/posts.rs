use futures::future::join_all;
use madang_domain::users::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, detail_fields, spawn};

fn ids(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_new_post_has_its_first_version_and_counters() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let (s, p) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": cat, "title": "  첫 글  ", "content": "안녕하세요"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(p["title"], "첫 글", "title is trimmed");
    assert_eq!(p["content"], "안녕하세요");
    assert_eq!(p["version"], 1);
    assert_eq!(p["category"], json!({"id": cat, "name": "자유게시판"}));
    assert_eq!(p["author"], json!({"id": m.id, "name": "author"}));
    assert_eq!(p["comment_count"], 0);
    assert_eq!(p["vote_count"], 0);
    assert_eq!(p["voted"], false);
    assert!(p["sentiment"].is_null());
    let id = p["id"].as_i64().unwrap();
    let (s, anon) = app.get(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(anon.get("voted").is_none(), "voted only with a token");
    assert_eq!(app.count("SELECT COUNT(*) FROM post_versions").await, 1);
}

#[tokio::test]
async fn post_input_is_checked_all_at_once() {
    let app = spawn().await;
    let (_, _) = app.board().await;
    let m = app.member("author").await;
    let (s, b) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": 999, "title": "", "content": "   "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = detail_fields(&b);
    f.sort();
    assert_eq!(f, ["category_id", "content", "title"]);
    let (s, b) = app.post("/api/v1/posts", Some(&m.token), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b).len(), 3);
    let (s, _) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": 1, "title": "가".repeat(201), "content": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": 1, "title": "t", "content": "x".repeat(50_001)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);
    let (s, _) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": 1, "title": "가".repeat(200), "content": "나".repeat(50_000)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "the limits themselves are allowed");
}

#[tokio::test]
async fn missing_posts_are_404_and_bad_ids_400() {
    let app = spawn().await;
    let (s, b) = app.get("/api/v1/posts/424242", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&b, "not_found");
    let (s, b) = app.get("/api/v1/posts/abc", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&b, "bad_request");
    assert_eq!(
        app.get("/api/v1/posts/0", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/posts/99999999999999999999999", None)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/posts/424242/versions", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/posts/424242/comments", None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn edits_make_versions_and_only_the_author_edits() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let other_cat = app.category(&admin, "other", None).await;
    let m = app.member("author").await;
    let stranger = app.member("stranger").await;
    let id = app.new_post(&m, cat, "v1 title", "v1 body").await;
    let path = format!("/api/v1/posts/{id}");

    let (s, p) = app
        .put(
            &path,
            Some(&m.token),
            Some(json!({"title": "v2 title", "content": "v2, \"quoted\"\nline"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["version"], 2);
    assert_eq!(p["title"], "v2 title");
    let (s, p) = app
        .put(
            &path,
            Some(&m.token),
            Some(json!({"title": "v3", "content": "v3 body", "category_id": other_cat})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["category"]["id"], other_cat);

    let (s, b) = app
        .put(
            &path,
            Some(&stranger.token),
            Some(json!({"title": "x", "content": "y"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&b, "forbidden");
    assert_eq!(
        app.put(
            &path,
            Some(&admin.token),
            Some(json!({"title": "x", "content": "y"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.put(
            &path,
            Some(&m.token),
            Some(json!({"title": "", "content": "y"}))
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let (s, v) = app.get(&format!("{path}/versions"), None).await;
    assert_eq!(s, StatusCode::OK);
    let versions: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(v[2]["title"], "v1 title");
    assert_eq!(v[2]["content"], "v1 body");

    let res = app
        .client
        .get(app.url(&format!("{path}/versions.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = res.text().await.unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rd.headers().unwrap(),
        vec!["version", "created_at", "title", "content"]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[1][3], "v2, \"quoted\"\nline");
}

#[tokio::test]
async fn twenty_simultaneous_edits_make_twenty_consecutive_versions() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let id = app.new_post(&m, cat, "start", "start").await;
    let path = format!("/api/v1/posts/{id}");
    let edits = (0..20).map(|i| {
        app.put(
            &path,
            Some(&m.token),
            Some(json!({"title": format!("edit {i}"), "content": "c"})),
        )
    });
    let results = join_all(edits).await;
    // Each answer shows the version its own edit made.
    for (i, (_, p)) in results.iter().enumerate() {
        assert_eq!(p["title"], format!("edit {i}"));
    }
    assert!(
        results.iter().all(|(s, _)| *s == StatusCode::OK),
        "{results:?}"
    );
    let mut got: Vec<i64> = results
        .iter()
        .map(|(_, p)| p["version"].as_i64().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, (2..=21).collect::<Vec<_>>());
    let (_, v) = app.get(&format!("{path}/versions"), None).await;
    assert_eq!(v.as_array().unwrap().len(), 21);
    assert_eq!(app.get(&path, None).await.1["version"], 21);
}

#[tokio::test]
async fn votes_are_idempotent_even_when_simultaneous() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let fan = app.member("fan").await;
    let id = app.new_post(&m, cat, "t", "c").await;
    let vote = format!("/api/v1/posts/{id}/vote");
    let results = join_all((0..40).map(|_| app.put(&vote, Some(&fan.token), None))).await;
    assert!(
        results
            .iter()
            .all(|(s, b)| *s == StatusCode::OK && b["voted"] == true),
        "{results:?}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/posts/{id}"), None).await.1["vote_count"],
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM post_votes").await, 1);

    let (_, p) = app
        .get(&format!("/api/v1/posts/{id}"), Some(&fan.token))
        .await;
    assert_eq!(p["voted"], true);
    let (s, v) = app.put(&vote, Some(&m.token), None).await;
    assert_eq!(
        (s, v),
        (StatusCode::OK, json!({"vote_count": 2, "voted": true}))
    );
    let (s, v) = app.delete(&vote, Some(&fan.token), None).await;
    assert_eq!(
        (s, v),
        (StatusCode::OK, json!({"vote_count": 1, "voted": false}))
    );
    let (s, v) = app.delete(&vote, Some(&fan.token), None).await;
    assert_eq!(
        (s, v),
        (StatusCode::OK, json!({"vote_count": 1, "voted": false}))
    );
    assert_eq!(
        app.put("/api/v1/posts/424242/vote", Some(&fan.token), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.put(&vote, None, None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deleted_posts_vanish_for_members_and_take_no_changes() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let m = app.member("author").await;
    let stranger = app.member("stranger").await;
    let moderator = app.staff("moder", Role::Moderator).await;
    let id = app.new_post(&m, cat, "t", "c").await;
    let path = format!("/api/v1/posts/{id}");
    assert_eq!(
        app.delete(&path, Some(&stranger.token), None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, Some(&m.token), None).await.0,
        StatusCode::NO_CONTENT
    );

    assert_eq!(app.get(&path, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&path, Some(&m.token)).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, p) = app.get(&path, Some(&moderator.token)).await;
    assert_eq!(s, StatusCode::OK, "staff still see it");
    assert!(p["deleted_at"].is_string());
    assert_eq!(app.get(&path, Some(&admin.token)).await.0, StatusCode::OK);
    assert_eq!(
        app.put(
            &path,
            Some(&m.token),
            Some(json!({"title": "x", "content": "y"}))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(&format!("{path}/vote"), Some(&m.token), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("{path}/comments"),
            Some(&m.token),
            json!({"content": "x"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{path}/comments"), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, Some(&m.token), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(ids(&app.get("/api/v1/posts", None).await.1).is_empty());

    // Moderators and admins may delete anyone's post.
    let id2 = app.new_post(&m, cat, "t2", "c2").await;
    assert_eq!(
        app.delete(
            &format!("/api/v1/posts/{id2}"),
            Some(&moderator.token),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM posts").await,
        2,
        "soft delete keeps the rows"
    );
}

#[tokio::test]
async fn lists_page_by_number_and_by_cursor_alike() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(
            app.new_post(&m, cat, &format!("post {i}"), &"본문".repeat(150))
                .await,
        );
    }
    made.reverse();
    let (s, p1) = app.get("/api/v1/posts?size=3", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        p1["page_info"],
        json!({"total_items": 7, "total_pages": 3, "current_page": 1, "size": 3, "total_capped": false})
    );
    assert_eq!(ids(&p1), made[0..3]);
    assert_eq!(
        p1["data"][0]["excerpt"].as_str().unwrap().chars().count(),
        200
    );
    assert!(p1["data"][0].get("content").is_none());

    let (_, p2) = app.get("/api/v1/posts?size=3&page=2", None).await;
    assert_eq!(ids(&p2), made[3..6]);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, c2) = app
        .get(&format!("/api/v1/posts?size=3&cursor={cursor}"), None)
        .await;
    assert_eq!(ids(&c2), made[3..6]);
    assert_eq!(c2["page_info"]["current_page"], 2);
    let cursor = c2["next_cursor"].as_str().unwrap();
    let (_, c3) = app
        .get(&format!("/api/v1/posts?size=3&cursor={cursor}"), None)
        .await;
    assert_eq!(ids(&c3), made[6..7]);
    assert!(c3["next_cursor"].is_null());

    let (s, b) = app.get("/api/v1/posts?cursor=not-a-cursor", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&b, "bad_request");
    for q in ["size=0", "size=101", "page=0", "sort=best"] {
        let (s, b) = app.get(&format!("/api/v1/posts?{q}"), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert_error(&b, "validation_failed");
    }
    assert_eq!(
        app.get("/api/v1/posts?page=abc", None).await.0,
        StatusCode::BAD_REQUEST
    );
    // A cursor of one ordering is refused by another.
    let (s, _) = app
        .get(
            &format!(
                "/api/v1/posts?sort=top&cursor={}",
                p1["next_cursor"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn filters_by_category_subtree_and_author_and_sorts() {
    let app = spawn().await;
    let admin = app.staff("admin", Role::Admin).await;
    let root = app.category(&admin, "root", None).await;
    let child = app.category(&admin, "child", Some(root)).await;
    let grandchild = app.category(&admin, "grandchild", Some(child)).await;
    let elsewhere = app.category(&admin, "elsewhere", None).await;
    let a = app.member("alpha").await;
    let b = app.member("beta").await;
    let p_root = app.new_post(&a, root, "r", "r").await;
    let p_child = app.new_post(&b, child, "c", "c").await;
    let p_grand = app.new_post(&a, grandchild, "g", "g").await;
    let p_else = app.new_post(&b, elsewhere, "e", "e").await;

    assert_eq!(
        ids(&app
            .get(&format!("/api/v1/posts?category_id={root}"), None)
            .await
            .1),
        [p_grand, p_child, p_root]
    );
    assert_eq!(
        ids(&app
            .get(&format!("/api/v1/posts?category_id={child}"), None)
            .await
            .1),
        [p_grand, p_child]
    );
    assert_eq!(
        ids(&app
            .get(&format!("/api/v1/posts?category_id={elsewhere}"), None)
            .await
            .1),
        [p_else]
    );
    assert_eq!(
        ids(&app
            .get(&format!("/api/v1/posts?author_id={}", a.id), None)
            .await
            .1),
        [p_grand, p_root]
    );
    assert!(ids(&app.get("/api/v1/posts?category_id=999999", None).await.1).is_empty());

    for voter in [&a, &b] {
        app.put(
            &format!("/api/v1/posts/{p_child}/vote"),
            Some(&voter.token),
            None,
        )
        .await;
    }
    app.put(
        &format!("/api/v1/posts/{p_root}/vote"),
        Some(&a.token),
        None,
    )
    .await;
    let top = ids(&app.get("/api/v1/posts?sort=top", None).await.1);
    assert_eq!(top[..2], [p_child, p_root]);
    let hot = ids(&app.get("/api/v1/posts?sort=hot", None).await.1);
    assert_eq!(hot[0], p_child, "most votes, all about the same age");
    let (_, h1) = app.get("/api/v1/posts?sort=hot&size=2", None).await;
    let (_, h2) = app
        .get(
            &format!(
                "/api/v1/posts?sort=hot&size=2&cursor={}",
                h1["next_cursor"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let mut walked = ids(&h1);
    walked.extend(ids(&h2));
    assert_eq!(walked, hot);
}

#[tokio::test]
async fn a_failed_version_insert_leaves_no_post_behind() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    // Break the second write of the post's transaction.
    let rename = match app.engine {
        "mysql" => "RENAME TABLE post_versions TO post_versions_gone",
        _ => "ALTER TABLE post_versions RENAME TO post_versions_gone",
    };
    sqlx::query(rename).execute(&app.db).await.unwrap();
    let (s, b) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": cat, "title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&b, "internal");
    assert_eq!(
        b["error"]["message"], "internal server error",
        "no cause reaches the client"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);
    // The labelling job was written in the rolled-back transaction: it is gone too.
    // (Only labelling jobs are counted: a cron tick may enqueue its own at any time.)
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job_outbox WHERE kind LIKE 'sentiment.%'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'sentiment.%'")
            .await,
        0
    );
    // Once the table is back, a committed post always gets its job.
    let restore = match app.engine {
        "mysql" => "RENAME TABLE post_versions_gone TO post_versions",
        _ => "ALTER TABLE post_versions_gone RENAME TO post_versions",
    };
    sqlx::query(restore).execute(&app.db).await.unwrap();
    let id = app.new_post(&m, cat, "t", "c").await;
    crate::sentiment::labelled(&app, &format!("/api/v1/posts/{id}"), None).await;
}

#[tokio::test]
async fn voted_flag_and_counts_stay_right_across_edits() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let id = app.new_post(&m, cat, "t", "c").await;
    app.put(&format!("/api/v1/posts/{id}/vote"), Some(&m.token), None)
        .await;
    let (s, p) = app
        .req(
            Method::PUT,
            &format!("/api/v1/posts/{id}"),
            Some(&m.token),
            Some(json!({"title": "t2", "content": "c2"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["voted"], true);
    assert_eq!(p["vote_count"], 1);
}

/// `total_items` of the whole board and of a category subtree.
async fn totals(app: &TestApp, categories: &[Option<i64>]) -> Vec<i64> {
    let mut out = Vec::new();
    for c in categories {
        let path = match c {
            Some(c) => format!("/api/v1/posts?category_id={c}"),
            None => "/api/v1/posts".to_owned(),
        };
        let (s, body) = app.get(&path, None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["page_info"]["total_capped"], false);
        out.push(body["page_info"]["total_items"].as_i64().unwrap());
    }
    out
}

#[tokio::test]
async fn list_totals_follow_creates_moves_and_deletes() {
    let app = spawn().await;
    let admin = app.staff("admin", Role::Admin).await;
    let root = app.category(&admin, "취미", None).await;
    let a = app.category(&admin, "사진", Some(root)).await;
    let b = app.category(&admin, "여행", None).await;
    let m = app.member("author").await;
    let p1 = app.new_post(&m, a, "one", "c").await;
    let p2 = app.new_post(&m, a, "two", "c").await;
    app.new_post(&m, root, "three", "c").await;
    app.new_post(&m, b, "four", "c").await;
    let all = [None, Some(root), Some(a), Some(b)];
    assert_eq!(totals(&app, &all).await, [4, 3, 2, 1]);

    // A move out of the subtree, a move nowhere (same category), a delete.
    let (s, body) = app
        .put(
            &format!("/api/v1/posts/{p1}"),
            Some(&m.token),
            Some(json!({"title": "one", "content": "moved", "category_id": b})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app
        .put(
            &format!("/api/v1/posts/{p2}"),
            Some(&m.token),
            Some(json!({"title": "two", "content": "stays", "category_id": a})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(totals(&app, &all).await, [4, 2, 1, 2]);
    let (s, _) = app
        .delete(&format!("/api/v1/posts/{p2}"), Some(&m.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Deleting twice changes nothing more; someone else's move is refused and moves nothing.
    let (s, _) = app
        .delete(&format!("/api/v1/posts/{p2}"), Some(&m.token), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let other = app.member("other").await;
    let (s, _) = app
        .put(
            &format!("/api/v1/posts/{p1}"),
            Some(&other.token),
            Some(json!({"title": "x", "content": "x", "category_id": a})),
        )
        .await;
    assert!(s.is_client_error(), "{s}");
    assert_eq!(totals(&app, &all).await, [3, 1, 0, 2]);
    // The totals agree with the rows.
    let listed = app.get("/api/v1/posts?size=100", None).await.1;
    assert_eq!(ids(&listed).len(), 3);

    // A counter that drifted (a crash between two writes of an older build, a manual
    // fix in SQL) is put right by the nightly reconcile.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE categories SET post_count = 7 WHERE id = {b}"
    )))
    .execute(&app.db)
    .await
    .unwrap();
    // (A change made in SQL bypasses the cache's invalidation: the lists show it once
    // their cached first pages expire, within 5 s; the reconcile invalidates them.)
    let report = app.maintenance.reconcile().await.unwrap();
    let fixed: Vec<String> = report.fixes.iter().map(ToString::to_string).collect();
    assert_eq!(fixed, [format!("categories {b} post_count: 7 -> 2")]);
    assert_eq!(totals(&app, &all).await, [3, 1, 0, 2]);
}

#[tokio::test]
async fn a_category_list_merges_its_subtree_in_order_by_page_and_by_cursor() {
    let app = spawn().await;
    let admin = app.staff("admin", Role::Admin).await;
    let root = app.category(&admin, "영화", None).await;
    let a = app.category(&admin, "한국 영화", Some(root)).await;
    let b = app.category(&admin, "잡담", Some(a)).await;
    let other = app.category(&admin, "요리", None).await;
    let m = app.member("author").await;
    // Interleaved over the subtree, with a post elsewhere in between.
    let mut expected = Vec::new();
    for (i, c) in [root, a, b, other, b, a, root, b].iter().enumerate() {
        let id = app.new_post(&m, *c, &format!("글 {i}"), "본문").await;
        if *c != other {
            expected.push(id);
        }
    }
    expected.reverse();
    let by_pages: Vec<i64> = {
        let mut v = Vec::new();
        for page in 1..=3 {
            let (_, body) = app
                .get(
                    &format!("/api/v1/posts?category_id={root}&size=3&page={page}"),
                    None,
                )
                .await;
            assert_eq!(body["page_info"]["total_items"], 7);
            v.extend(ids(&body));
        }
        v
    };
    assert_eq!(by_pages, expected);
    let mut by_cursor = Vec::new();
    let mut path = format!("/api/v1/posts?category_id={root}&size=2");
    loop {
        let (s, body) = app.get(&path, None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        by_cursor.extend(ids(&body));
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/posts?category_id={root}&size=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(by_cursor, expected);
    // The same merge in the other sorts.
    let (_, top) = app
        .get(
            &format!("/api/v1/posts?category_id={a}&sort=top&size=10"),
            None,
        )
        .await;
    assert_eq!(ids(&top).len(), 5);
}

#[tokio::test]
async fn posts_created_at_once_in_one_category_all_land_and_are_counted() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let creates = (0..24).map(|i| {
        app.post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": cat, "title": format!("동시 {i}"), "content": "본문"}),
        )
    });
    for (s, body) in join_all(creates).await {
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (_, list) = app
        .get(&format!("/api/v1/posts?category_id={cat}"), None)
        .await;
    assert_eq!(list["page_info"]["total_items"], 24);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 24);
}
