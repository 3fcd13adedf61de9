//! The harness of the tests that run several `madang` processes on one database: a
//! shared directory (its SQLite database and data), an optional shared Redis, and nodes
//! that are real child processes, killed when the test ends.
//!
//! Each test binary that declares `mod cluster;` uses part of it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use madang_testkit::{KillOnDrop, private_redis, services_required, spare_port, wait_live};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "node-test-password";

pub fn redis_url() -> Option<String> {
    match std::env::var("MADANG_TEST_REDIS_URL") {
        Ok(u) => Some(u),
        Err(_) if services_required() => {
            panic!("MADANG_TEST_REDIS_URL is required by MADANG_TEST_REQUIRE_SERVICES=1")
        }
        Err(_) => {
            eprintln!("not run: set MADANG_TEST_REDIS_URL (.ci/run does)");
            None
        }
    }
}

/// The environment every node of one test shares.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    /// The shared Redis, if the nodes have one.
    pub redis: Option<String>,
    pub prefix: String,
}

impl Cluster {
    pub fn new(redis: String) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            redis: Some(redis),
            prefix: format!("madang-nodes-{}", ulid::Ulid::new()),
        }
    }

    /// Nodes without Redis: each keeps its cache and buffers in process.
    pub fn local() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            redis: None,
            prefix: String::new(),
        }
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_madang"));
        c.current_dir(self.dir.path())
            .env(
                "MADANG_DATABASE_URL",
                format!("sqlite://{}/shared.db", self.dir.path().display()),
            )
            .env("MADANG_REDIS_URL", self.redis.as_deref().unwrap_or(""))
            .env("MADANG_REDIS_PREFIX", &self.prefix)
            .env("MADANG_PASSWORD_HASH_MEMORY_KIB", "1024")
            .env("MADANG_PASSWORD_HASH_ITERATIONS", "1")
            // Nodes share one secret, as a deployment's do.
            .env(
                "MADANG_JWT_SECRET",
                "cluster-test-secret-0123456789-abcdefghij",
            )
            // A node's errors (a 500's cause among them) show in the test's output.
            .env("MADANG_LOG", "error")
            // A test's requests all come from loopback, as many clients at once; the
            // tests of the limits and of the connection cap turn them on.
            .env("MADANG_RATE_LIMITS", "off")
            .env("MADANG_MAX_CONNECTIONS_PER_CLIENT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        c
    }

    pub fn admin(&self) {
        let status = self
            .command()
            .args([
                "admin",
                "create",
                "--name",
                "boss",
                "--email",
                "boss@example.com",
            ])
            .env("MADANG_ADMIN_PASSWORD", PASSWORD)
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub async fn node(&self) -> Node {
        self.node_with(&[]).await
    }
}

/// A `madang serve` child process, killed when the test drops it.
pub struct Node {
    pub base: String,
    pub child: KillOnDrop,
    pub http: Client,
}

impl Node {
    pub async fn wait_live(&self) {
        wait_live(&self.http, &self.base).await;
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.call(reqwest::Method::GET, path, None, None).await;
        assert_eq!(s, StatusCode::OK, "GET {path}: {v}");
        v
    }

    pub async fn token(&self, name: &str) -> String {
        let (s, t) = self
            .call(
                reqwest::Method::POST,
                "/auth/token",
                None,
                Some(json!({"username": name, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{t}");
        t["access_token"].as_str().unwrap().to_owned()
    }

    /// Waits until background labelling has set the post's sentiment: that write
    /// invalidates the cached post, so cache figures are measured after it.
    pub async fn labelled(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.get(path).await["sentiment"].is_null() {
            assert!(Instant::now() < deadline, "{path} was never labelled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A category named like the post, and the post in it; the post's path.
    pub async fn new_post(&self, token: &str, title: &str) -> String {
        use reqwest::Method as M;
        let (_, cat) = self
            .call(
                M::POST,
                "/categories",
                Some(token),
                Some(json!({"name": title})),
            )
            .await;
        let body = json!({"category_id": cat["id"], "title": title, "content": "x"});
        let (s, p) = self.call(M::POST, "/posts", Some(token), Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        format!("/posts/{}", p["id"])
    }

    /// The value of a counter in this node's `/metrics`, summed over series matching all of `labels`.
    pub async fn counter(&self, name: &str, labels: &[&str]) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && labels.iter().all(|lab| l.contains(lab)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// The ids of a search page, with its total.
pub fn hits(page: &Value) -> (Vec<i64>, i64) {
    let ids = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    (ids, page["page_info"]["total_items"].as_i64().unwrap())
}

impl Cluster {
    pub fn command_with(&self, env: &[(&str, String)]) -> Command {
        let mut c = self.command();
        c.envs(env.iter().map(|(k, v)| (k, v)));
        c
    }

    pub fn spawn_with(&self, args: &[&str], env: &[(&str, String)]) -> KillOnDrop {
        KillOnDrop::spawn(self.command_with(env).args(args))
    }

    pub async fn node_with(&self, env: &[(&str, String)]) -> Node {
        let port = spare_port();
        let child = self
            .command_with(env)
            .env("MADANG_LISTEN", format!("127.0.0.1:{port}"))
            // Every node keeps its own search index.
            .env("MADANG_SEARCH_DIR", format!("search-{port}"))
            .spawn()
            .unwrap();
        let child = KillOnDrop(child);
        let node = Node {
            base: format!("http://127.0.0.1:{port}"),
            child,
            http: Client::new(),
        };
        node.wait_live().await;
        node
    }

    /// `madang jobs list` as text.
    pub fn jobs_list(&self, env: &[(&str, String)]) -> String {
        let out = self
            .command_with(env)
            .args(["jobs", "list"])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}
