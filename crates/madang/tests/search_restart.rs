//! The search index across crashes: `kill -9` right after writes, a missing index and
//! a corrupt one. After each restart the answers are exact again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use madang_testkit::{KillOnDrop, spare_port, wait_until};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "restart-password";

fn command(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_madang"));
    c.current_dir(dir)
        .env("MADANG_PASSWORD_HASH_MEMORY_KIB", "1024")
        .env("MADANG_PASSWORD_HASH_ITERATIONS", "1")
        .env("MADANG_LOG", "warn")
        .env("MADANG_RATE_LIMITS", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

struct Node {
    base: String,
    child: KillOnDrop,
}

impl Node {
    async fn start(dir: &Path) -> Self {
        let port = spare_port();
        let child =
            KillOnDrop::spawn(command(dir).env("MADANG_LISTEN", format!("127.0.0.1:{port}")));
        let node = Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        let http = Client::new();
        let ready = format!("{}/health/ready", node.base);
        wait_until(Duration::from_secs(60), "the node to be ready", || async {
            http.get(&ready)
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        })
        .await;
        node
    }

    fn kill9(mut self) {
        let pid = self.child.0.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-9", &pid])
                .status()
                .unwrap()
                .success()
        );
        let _ = self.child.0.wait();
    }

    async fn total(&self, keyword: &str) -> i64 {
        let res = Client::new()
            .get(format!("{}/api/v1/posts", self.base))
            .query(&[("keyword", keyword), ("size", "100")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body["data"].as_array().unwrap().len() as i64,
            body["page_info"]["total_items"].as_i64().unwrap()
        );
        body["page_info"]["total_items"].as_i64().unwrap()
    }
}

async fn write_posts(node: &Node, token: &str, category: i64, from: usize, n: usize) {
    let http = Client::new();
    for i in from..from + n {
        let res = http
            .post(format!("{}/api/v1/posts", node.base))
            .bearer_auth(token)
            .json(&json!({"category_id": category, "title": format!("재시작 {i}번"), "content": format!("표지{i}표지 내용")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_missing_and_corrupt_indexes_end_in_exact_answers() {
    let dir = tempfile::tempdir().unwrap();
    let status = command(dir.path())
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

    let node = Node::start(dir.path()).await;
    let http = Client::new();
    let token: Value = http
        .post(format!("{}/api/v1/auth/token", node.base))
        .json(&json!({"username": "boss", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let cat: Value = http
        .post(format!("{}/api/v1/categories", node.base))
        .bearer_auth(&token)
        .json(&json!({"name": "게시판"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cat = cat["id"].as_i64().unwrap();

    // Killed straight after the writes: some of them the index has not applied.
    write_posts(&node, &token, cat, 0, 30).await;
    assert_eq!(node.total("재시작").await, 30);
    node.kill9();
    let node = Node::start(dir.path()).await;
    assert_eq!(node.total("재시작").await, 30);
    assert_eq!(node.total("표지7표지").await, 1);
    write_posts(&node, &token, cat, 30, 10).await;
    node.kill9();

    // No index at all: rebuilt at start.
    let search = dir.path().join("data/search");
    std::fs::remove_dir_all(search.join("live")).unwrap();
    let node = Node::start(dir.path()).await;
    assert_eq!(node.total("재시작").await, 40);
    node.kill9();

    // A corrupt index: its metadata overwritten with junk.
    std::fs::write(search.join("live/meta.json"), b"{not json").unwrap();
    let node = Node::start(dir.path()).await;
    assert_eq!(node.total("재시작").await, 40);
    assert_eq!(node.total("표지39표지").await, 1);
    drop(node);

    // The CLI reads the same index: every post, nothing behind.
    let out = command(dir.path())
        .args(["search", "status"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("documents    40"), "{text}");
    assert!(text.contains("lag          0"), "{text}");
}
