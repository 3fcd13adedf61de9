//! The database going away: Madang starts without it, answers 503 (never 500, never a
//! hang) while it is gone, and recovers by itself when it returns. The database sits
//! behind a TCP proxy this test switches off and on; the shared server is untouched.
//! Runs on the server engines (MariaDB, PostgreSQL); an embedded SQLite file cannot
//! become unreachable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use madang::app::App;
use madang::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::helpers::{PASSWORD, fresh_database};

/// Forwards connections to `upstream` while up; while down, refuses new ones and has
/// cut every open one.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (flag, tasks) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection closed
                }
                let upstream = upstream.clone();
                tasks.lock().await.push(tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                }));
            }
        });
        Self { port, up, links }
    }

    fn set_up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    async fn set_down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }
}

async fn get(client: &reqwest::Client, url: &str) -> (StatusCode, Option<String>, Value) {
    let res = client.get(url).send().await.expect("answered");
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status(), retry, res.json().await.unwrap_or(Value::Null))
}

/// Polls until `f` is true, for at most `secs`.
async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn madang_rides_out_a_database_outage() {
    let (url, _dir, engine) = fresh_database().await;
    if engine == "sqlite" {
        return; // not applicable: see the module comment
    }
    // postgres://user@127.0.0.1:5432/db → the proxy takes host:port's place.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (hostport, db) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(hostport.to_owned()).await;
    let mut settings = Settings::for_tests(&format!("{scheme_user}@127.0.0.1:{}/{db}", proxy.port));
    settings.database.acquire_timeout_ms = 1000;
    let app = App::build(settings).unwrap();

    // Start with the database unreachable.
    app.migrate_at_start()
        .await
        .expect("an unreachable database does not stop start-up");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    assert_eq!(
        get(&client, &format!("{base}/health/live")).await.0,
        StatusCode::OK
    );
    let (s, _, ready) = get(&client, &format!("{base}/health/ready")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready["error"]["details"][0]["field"], "database", "{ready}");
    let started = Instant::now();
    let (s, retry, body) = get(&client, &format!("{base}/api/v1/posts")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(retry.is_some(), "503 carries Retry-After");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no hang: {:?}",
        started.elapsed()
    );

    // The database comes back: migrations run, requests succeed, no restart.
    proxy.set_up();
    eventually(30, "readiness", || async {
        get(&client, &format!("{base}/health/ready")).await.0 == StatusCode::OK
    })
    .await;
    let sign_up = json!({"name": "survivor", "email": "s@example.com", "password1": PASSWORD, "password2": PASSWORD});
    let res = client
        .post(format!("{base}/api/v1/users"))
        .json(&sign_up)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // It dies mid-run: 503s, not 500s or hangs.
    proxy.set_down().await;
    for _ in 0..3 {
        let started = Instant::now();
        let (s, _, body) = get(&client, &format!("{base}/api/v1/posts")).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    let res = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": "survivor", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    // And recovers by itself.
    proxy.set_up();
    eventually(30, "recovery", || async {
        get(&client, &format!("{base}/api/v1/posts")).await.0 == StatusCode::OK
    })
    .await;
    let res = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": "survivor", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
