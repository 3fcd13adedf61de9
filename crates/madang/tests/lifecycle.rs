//! The real binary's life under stress: graceful shutdown on SIGTERM, load shedding
//! past the concurrency bound, and the per-request timeout. Slow requests are made
//! with an expensive password hash and one hashing slot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::future::join_all;
use madang_testkit::{KillOnDrop, spare_port, wait_live};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "lifecycle-password";

struct Server {
    base: String,
    child: KillOnDrop,
    _dir: tempfile::TempDir,
}

/// Starts `madang serve` with slow log-ins and `extra` settings, and one member.
async fn start(extra: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = spare_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_madang"));
    cmd.current_dir(dir.path())
        .env("MADANG_LISTEN", format!("127.0.0.1:{port}"))
        .env("MADANG_RATE_LIMITS", "off")
        .env("MADANG_PASSWORD_HASH_MEMORY_KIB", "65536")
        .env("MADANG_PASSWORD_HASH_ITERATIONS", "3")
        .env("MADANG_PASSWORD_HASH_CONCURRENCY", "1")
        .env("MADANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let server = Server {
        base: format!("http://127.0.0.1:{port}"),
        child: KillOnDrop::spawn(&mut cmd),
        _dir: dir,
    };
    let http = Client::new();
    wait_live(&http, &server.base).await;
    let signup = json!({"name": "member", "email": "m@example.com", "password1": PASSWORD, "password2": PASSWORD});
    let res = http
        .post(format!("{}/api/v1/users", server.base))
        .json(&signup)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    server
}

/// `n` log-ins at once; each costs a slow hash, and they queue for one hashing slot.
async fn logins(base: &str, n: usize) -> Vec<(StatusCode, Option<String>, Value)> {
    let client = Client::new();
    let url = format!("{base}/api/v1/auth/token");
    join_all((0..n).map(|_| {
        let req = client
            .post(&url)
            .json(&json!({"username": "member", "password": PASSWORD}));
        async move {
            let res = req.send().await.expect("the request is answered");
            let status = res.status();
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                status,
                retry,
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    }))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_in_flight_requests_finish_then_exits_cleanly() {
    let mut server = start(&[("MADANG_SHUTDOWN_GRACE_SECS", "60")]).await;
    let base = server.base.clone();
    let in_flight = tokio::spawn(async move { logins(&base, 6).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    let results = in_flight.await.unwrap();
    for (status, _, body) in &results {
        assert_eq!(
            *status,
            StatusCode::OK,
            "an in-flight request was cut off: {body}"
        );
        assert!(body["access_token"].is_string());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(status) = server.child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit}");
    assert!(
        Client::new()
            .get(format!("{}/health/live", server.base))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_concurrency_bound_requests_are_shed_with_503_at_once() {
    // Connections on a runtime of their own (the default), and on the work runtime.
    for threads in ["1", "0"] {
        past_the_bound(&[
            ("MADANG_MAX_CONCURRENT_REQUESTS", "2"),
            ("MADANG_HTTP_THREADS", threads),
        ])
        .await;
    }
}

async fn past_the_bound(settings: &[(&str, &str)]) {
    let server = start(settings).await;
    let results = logins(&server.base, 10).await;
    let ok = results.iter().filter(|r| r.0 == StatusCode::OK).count();
    let shed: Vec<_> = results
        .iter()
        .filter(|r| r.0 == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(ok + shed.len(), 10, "{results:?}");
    assert!(ok >= 2, "the admitted requests are served: {results:?}");
    assert!(
        !shed.is_empty(),
        "requests past the bound are refused: {results:?}"
    );
    for (_, retry, body) in shed {
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(body["error"]["code"], "unavailable");
    }
    // Health stays outside the bound.
    let res = Client::new()
        .get(format!("{}/health/live", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let metrics = Client::new()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("http_requests_shed_total") && !l.ends_with(" 0"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_over_the_time_limit_is_answered_503() {
    let server = start(&[("MADANG_REQUEST_TIMEOUT_SECS", "1")]).await;
    let results = logins(&server.base, 12).await;
    assert!(
        results
            .iter()
            .all(|r| r.0 == StatusCode::OK || r.0 == StatusCode::SERVICE_UNAVAILABLE),
        "{results:?}"
    );
    let timed_out: Vec<_> = results
        .iter()
        .filter(|r| r.0 == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !timed_out.is_empty(),
        "twelve queued slow log-ins cannot all finish within a second"
    );
    for (_, _, body) in timed_out {
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_can_have_a_listener_of_their_own() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let server = start(&[("MADANG_METRICS_LISTEN", address.as_str())]).await;
    let http = Client::new();
    let main = http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        main.status(),
        StatusCode::NOT_FOUND,
        "not on the public address"
    );
    let own = http
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let text = own.text().await.unwrap();
    assert!(
        text.contains(
            "http_requests_total{method=\"POST\",route=\"/api/v1/users\",status=\"201\"} 1"
        ),
        "{text}"
    );
}
