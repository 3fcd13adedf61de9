use std::time::{Duration, Instant};

use madang_domain::users::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, detail_fields, spawn};

#[tokio::test]
async fn texts_are_classified_with_the_built_in_model() {
    let app = spawn().await;
    let (s, b) = app
        .post(
            "/api/v1/sentiment",
            None,
            json!({"text": "정말 재밌게 봤어요. 배우들 연기 최고!"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["label"], "positive");
    assert!(b["score"].as_f64().unwrap() > 0.5 && b["score"].as_f64().unwrap() <= 1.0);
    assert_eq!(b["model"], "madang-sentiment-ko-v1");
    let (_, b) = app
        .post(
            "/api/v1/sentiment",
            None,
            json!({"text": "시간 낭비. 지루하고 최악의 영화"}),
        )
        .await;
    assert_eq!(b["label"], "negative");
    for body in [
        json!({}),
        json!({"text": ""}),
        json!({"text": "   "}),
        json!({"text": "가".repeat(10_001)}),
    ] {
        let (s, b) = app.post("/api/v1/sentiment", None, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&b, "validation_failed");
        assert_eq!(detail_fields(&b), ["text"]);
    }
}

/// Polls `path` until its `sentiment` is set (labelling runs in the background).
pub(crate) async fn labelled(app: &TestApp, path: &str, want_title: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, v) = app.get(path, None).await;
        if !v["sentiment"].is_null() && want_title.is_none_or(|t| v["title"] == t) {
            return v;
        }
        assert!(Instant::now() < deadline, "{path} was not labelled: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn posts_and_comments_are_labelled_after_each_write() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("writer").await;
    let (s, p) = app
        .post("/api/v1/posts", Some(&m.token), json!({"category_id": cat, "title": "최고의 영화", "content": "감동적이고 재밌어요. 강력 추천합니다"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Labelling is a job run after the write commits, so the answer may or may
    // not carry it yet: a fast worker can finish before the post is read back.
    if !p["sentiment"].is_null() {
        assert_eq!(p["sentiment"]["label"], "positive");
    }
    let path = format!("/api/v1/posts/{}", p["id"]);
    let v = labelled(&app, &path, None).await;
    assert_eq!(v["sentiment"]["label"], "positive");

    let (s, _) = app
        .put(
            &path,
            Some(&m.token),
            Some(json!({"title": "최악", "content": "돈 아깝고 지루한 쓰레기 영화"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(15);
    while labelled(&app, &path, Some("최악")).await["sentiment"]["label"] != "negative" {
        assert!(Instant::now() < deadline, "the edit was not relabelled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let c = app
        .new_comment(&m, p["id"].as_i64().unwrap(), "정말 별로네요 실망했어요")
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, list) = app.get(&format!("{path}/comments"), None).await;
        let comment = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == c)
            .unwrap()
            .clone();
        if !comment["sentiment"].is_null() {
            assert_eq!(comment["sentiment"]["label"], "negative");
            break;
        }
        assert!(Instant::now() < deadline, "the comment was not labelled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn moderators_filter_posts_by_sentiment() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("writer").await;
    let moderator = app.staff("moder", Role::Moderator).await;
    let good = app
        .new_post(&m, cat, "최고", "정말 재밌고 감동적인 영화 추천해요")
        .await;
    let bad = app
        .new_post(&m, cat, "최악", "지루하고 시간 아까운 최악의 영화")
        .await;
    labelled(&app, &format!("/api/v1/posts/{good}"), None).await;
    labelled(&app, &format!("/api/v1/posts/{bad}"), None).await;
    let ids = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let (s, neg) = app
        .get("/api/v1/posts?sentiment=negative", Some(&moderator.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&neg), [bad]);
    assert_eq!(
        ids(&app
            .get("/api/v1/posts?sentiment=positive", Some(&moderator.token))
            .await
            .1),
        [good]
    );
    let (s, b) = app
        .get("/api/v1/posts?sentiment=negative", Some(&m.token))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&b, "forbidden");
    assert_eq!(
        app.get("/api/v1/posts?sentiment=negative", None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/posts?sentiment=angry", Some(&moderator.token))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[test]
fn a_corrupt_or_missing_model_file_is_a_clear_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"definitely not a model").unwrap();
    let err = madang::app::load_model(junk.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot be used") && err.contains("not a Madang sentiment model"),
        "{err}"
    );
    let err = madang::app::load_model("/nonexistent/model.bin")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot read"), "{err}");
    assert!(
        madang::app::load_model("").is_ok(),
        "the built-in model loads"
    );
}
