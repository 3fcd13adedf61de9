//! The external model adapter against a stand-in model server started by the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use madang_classify::adapters::{BuiltIn, HttpClassifier, HttpSettings};
use madang_classify::{Example, Model, TrainOptions};
use madang_domain::ports::Classifier;

const OK: usize = 0;
const FAIL: usize = 1;
const SLOW: usize = 2;

#[derive(Clone, Default)]
struct StandIn {
    mode: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
}

async fn answer(
    State(s): State<StandIn>,
    Json(body): Json<serde_json::Value>,
) -> (StatusCode, Json<serde_json::Value>) {
    s.hits.fetch_add(1, Ordering::SeqCst);
    assert!(body["text"].is_string(), "the request is {{\"text\": …}}");
    match s.mode.load(Ordering::SeqCst) {
        OK => (
            StatusCode::OK,
            Json(serde_json::json!({"sentiment": "negative"})),
        ),
        FAIL => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({})),
        ),
        _ => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (
                StatusCode::OK,
                Json(serde_json::json!({"sentiment": "negative"})),
            )
        }
    }
}

fn builtin() -> Arc<dyn Classifier> {
    let ex = |t: &str, p| Example {
        text: t.to_owned(),
        positive: p,
    };
    let data = [
        ex("정말 재밌다 최고", true),
        ex("감동 최고", true),
        ex("지루하고 별로", false),
        ex("최악", false),
    ];
    let mut m = Model::train(
        "builtin-test",
        &data,
        &TrainOptions {
            bits: 12,
            epochs: 10,
            ..TrainOptions::default()
        },
        |_, _| {},
    );
    m.name = "builtin-test".into();
    Arc::new(BuiltIn::new(m))
}

#[tokio::test]
async fn server_answers_are_used_and_failures_fall_back_behind_a_circuit_breaker() {
    let stand_in = StandIn::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/predict", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/predict", post(answer))
        .with_state(stand_in.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let c = HttpClassifier::new(
        HttpSettings {
            url,
            timeout: Duration::from_millis(300),
            retries: 1,
            failure_threshold: 3,
            open_for: Duration::from_secs(60),
        },
        builtin(),
    )
    .unwrap();

    let l = c.classify("정말 재밌다 최고").await.unwrap();
    assert_eq!(
        l.sentiment.label, "negative",
        "the server's answer, not the built-in one"
    );
    assert!(l.model.starts_with("external:"));

    // A slow server costs at most the timeout per attempt, then the built-in answers.
    stand_in.mode.store(SLOW, Ordering::SeqCst);
    let started = Instant::now();
    let l = c.classify("정말 재밌다 최고").await.unwrap();
    assert_eq!(l.model, "builtin-test");
    assert_eq!(l.sentiment.label, "positive");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // Failing calls are retried a bounded number of times, then the circuit opens and
    // the server is left alone.
    stand_in.mode.store(FAIL, Ordering::SeqCst);
    for _ in 0..2 {
        assert_eq!(c.classify("최악").await.unwrap().model, "builtin-test");
    }
    let hits = stand_in.hits.load(Ordering::SeqCst);
    for _ in 0..5 {
        assert_eq!(c.classify("최악").await.unwrap().model, "builtin-test");
    }
    assert_eq!(
        stand_in.hits.load(Ordering::SeqCst),
        hits,
        "an open circuit sends nothing to the server"
    );
}
