//! `madang seed`: a generated board is whole and consistent on every engine.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use madang::seed::{SEED_PASSWORD, SeedOptions, SeedReport};
use madang_domain::Timestamp;
use madang_domain::ports::PasswordHasher as _;
use madang_store::{Db, DbConfig};
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn};

async fn run_seed(app: &TestApp, corpus: &std::path::Path, posts: u64) -> SeedReport {
    let db = Db::connect_lazy(&DbConfig::new(&app.url, 4, Duration::from_secs(10))).unwrap();
    db.migrate().await.unwrap();
    let opts = SeedOptions {
        users: 20,
        posts,
        comments: posts * 5,
        votes: posts * 5,
        corpus: corpus.to_owned(),
        days: 30,
        seed: 7,
        batch: 50,
    };
    let hasher = madang::auth::Argon2Hasher::new(1024, 1, 1).unwrap();
    let pw = madang_domain::users::Password::parse("password", SEED_PASSWORD).unwrap();
    let hash = hasher.hash(&pw).await.unwrap();
    let model = madang::app::load_model("").unwrap();
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let report = madang::seed::seed(
        &db,
        &opts,
        hash,
        model,
        now,
        Arc::new(AtomicBool::new(false)),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    db.close().await;
    report
}

#[tokio::test]
async fn a_seeded_board_is_whole_and_consistent_and_a_second_seed_adds_to_it() {
    let app = spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.tsv");
    let mut text = String::from("id\tdocument\tlabel\n");
    for i in 0..150 {
        text.push_str(&format!(
            "{i}\t영화가 정말 재미있었다 {i}번째 감상, 배우들의 연기가 좋았다\t1\n"
        ));
    }
    std::fs::write(&corpus, text).unwrap();

    let first = run_seed(&app, &corpus, 300).await;
    assert_eq!(
        (first.users, first.posts, first.interrupted),
        (20, 300, false)
    );
    assert!(first.versions >= 300, "every post has its first version");
    let second = run_seed(&app, &corpus, 100).await;
    assert_eq!((second.users, second.posts), (20, 100));

    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 400);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 40);
    // Comments and votes came out close to what was asked (5 per post).
    let comments = app.count("SELECT COUNT(*) FROM comments").await;
    let votes = app.count("SELECT COUNT(*) FROM post_votes").await;
    assert_eq!(comments as u64, first.comments + second.comments);
    assert_eq!(votes as u64, first.votes + second.votes);
    assert!((1_400..=2_600).contains(&comments), "{comments} comments");
    assert!((1_400..=2_600).contains(&votes), "{votes} votes");
    // Every counter agrees with the rows, and nothing happens before its post.
    let zero = [
        "SELECT COUNT(*) FROM posts p WHERE p.comment_count <> (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id)",
        "SELECT COUNT(*) FROM posts p WHERE p.vote_count <> (SELECT COUNT(*) FROM post_votes v WHERE v.post_id = p.id)",
        "SELECT COUNT(*) FROM posts p WHERE p.version <> (SELECT COUNT(*) FROM post_versions v WHERE v.post_id = p.id)",
        "SELECT COUNT(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM comment_versions v WHERE v.comment_id = c.id)",
        "SELECT COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.created_at < p.created_at",
        "SELECT COUNT(*) FROM post_votes v JOIN posts p ON p.id = v.post_id WHERE v.created_at < p.created_at",
        "SELECT COUNT(*) FROM posts WHERE sentiment_label IS NULL",
    ];
    for sql in zero {
        assert_eq!(app.count(sql).await, 0, "{sql}");
    }
    let report = app.maintenance.reconcile().await.unwrap();
    assert!(report.fixes.is_empty(), "{:?}", report.fixes);

    // Served like any board: totals from the category counters, a three-tier tree,
    // users who can log in.
    let (s, list) = app.get("/api/v1/posts?size=1", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["page_info"]["total_items"], 400);
    let (_, tree) = app.get("/api/v1/categories", None).await;
    assert_eq!(tree.as_array().unwrap().len(), 5, "the tree was made once");
    assert_eq!(
        tree[0]["children"][0]["children"].as_array().unwrap().len(),
        3
    );
    // A seed writes around the search change log: the index is rebuilt for it, and
    // until then a search says so (503) rather than miss the seeded posts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let search = loop {
        let (s, search) = app.get("/api/v1/posts?keyword=배우", None).await;
        if s == StatusCode::OK {
            break search;
        }
        // Through nginx, a node answering 503 three times is taken out for 5 s; with
        // both nodes rebuilding, nginx has no node to ask and answers 502.
        let waiting = s == StatusCode::SERVICE_UNAVAILABLE
            || (app.through_nginx && s == StatusCode::BAD_GATEWAY);
        assert!(waiting, "{s}: {search}");
        assert!(
            std::time::Instant::now() < deadline,
            "index not rebuilt: {search}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(search["page_info"]["total_items"].as_i64().unwrap() > 0);
    let name = {
        let row = sqlx::query("SELECT name FROM users ORDER BY id LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
        sqlx::Row::try_get::<String, _>(&row, 0).unwrap()
    };
    let (s, body) = app.log_in(&name, SEED_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}
