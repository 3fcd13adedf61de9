//! Spawns the real server on a random port against a fresh database per test (on the
//! engine `MADANG_TEST_DATABASE_URL` names; see `madang-testkit`).

use std::sync::Arc;

#[path = "nginx.rs"]
mod nginx;

use madang::app::App;
use madang::config::Settings;
use madang_domain::accounts::Accounts;
use madang_domain::users::{Role, UserState};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::AnyPool;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub accounts: Arc<Accounts>,
    pub maintenance: Arc<madang_domain::maintenance::Maintenance>,
    /// A direct connection to the test's database, for asserting on stored state.
    pub db: AnyPool,
    pub url: String,
    pub engine: &'static str,
    /// Requests go through nginx to two nodes.
    pub through_nginx: bool,
    _nginx: Option<nginx::Nginx>,
    _dir: Option<tempfile::TempDir>,
    _shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
}

/// Creates a fresh database for one test: its URL, the SQLite file's directory (kept
/// while the test runs) and the engine's name.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>, &'static str) {
    let db = madang_testkit::fresh_database().await;
    let engine = db.engine_name();
    (db.url, db.dir, engine)
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// [`spawn`] with settings of the test's own (rate limits on, say).
pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, dir, engine) = fresh_database().await;
    let mut settings = Settings::for_tests(&url);
    adjust(&mut settings);
    // With a Redis to use (`.ci/run`), the suite runs with the shared cache.
    if let Ok(redis) = std::env::var("MADANG_TEST_REDIS_URL") {
        settings.cache.redis_url = madang::config::ServiceUrl::new(redis);
        settings.cache.redis_prefix = format!("madang-test-{}", ulid::Ulid::new());
    }
    let through_nginx = through_nginx();
    if through_nginx {
        // nginx on loopback is the proxy whose X-Forwarded-For is believed.
        settings.http.trusted_proxies = "127.0.0.1".to_owned();
    }
    let app = App::build(settings.clone()).expect("build app");
    app.db.migrate().await.expect("migrate");
    let accounts = app.state.accounts.clone();
    let maintenance = app.state.maintenance.clone();
    let (addr, tx) = serve(app).await;
    let mut shutdown = vec![tx];
    let (base, nginx) = if through_nginx {
        // A second node on the same database and Redis, both behind nginx.
        let mut second_settings = settings;
        second_settings.search.dir = format!("{}-second", second_settings.search.dir);
        let (second, tx) = serve(App::build(second_settings).expect("build app")).await;
        shutdown.push(tx);
        let nginx = nginx::Nginx::start(&addr, &second).await;
        (nginx.base.clone(), Some(nginx))
    } else {
        (format!("http://{addr}"), None)
    };
    let db = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(&url.clone())
        .await
        .expect("test pool");
    TestApp {
        base,
        client: Client::builder().build().expect("client"),
        accounts,
        maintenance,
        db,
        url,
        engine,
        through_nginx,
        _nginx: nginx,
        _dir: dir,
        _shutdown: shutdown,
    }
}

/// The limits on, with `quotas` over the defaults, and clients named by
/// `X-Forwarded-For` from loopback.
pub fn limited(quotas: &'static [(&'static str, &'static str)]) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.limits.enabled = madang::config::Switch::On;
        for (name, quota) in quotas {
            s.limits.quotas.set(name, quota).unwrap();
        }
        s.http.trusted_proxies = "127.0.0.1".to_owned();
    }
}

/// Whether the suite runs through nginx in front of two nodes (`MADANG_TEST_NGINX=1`,
/// set by `.ci/run`).
pub fn through_nginx() -> bool {
    std::env::var("MADANG_TEST_NGINX").is_ok_and(|v| v == "1")
}

/// Serves `app` on a random loopback port until the sender is dropped.
async fn serve(app: App) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = app
            .serve(listener, async move {
                let _ = rx.await;
            })
            .await;
    });
    (addr.to_string(), tx)
}

/// A signed-up, logged-in member.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: i64,
    pub token: String,
    pub refresh: String,
}

pub const PASSWORD: &str = "correct-horse-1";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.expect("request")
    }

    /// Sends a request and reads the status and the JSON body (Null when empty).
    pub async fn req(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let res = self.call(method, path, token, body).await;
        read(res).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.req(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.req(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.req(Method::PUT, path, token, body).await
    }

    pub async fn delete(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.req(Method::DELETE, path, token, body).await
    }

    pub async fn sign_up(&self, name: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/users",
            None,
            json!({"name": name, "email": format!("{name}@example.com"), "password1": PASSWORD, "password2": PASSWORD}),
        )
        .await
    }

    pub async fn log_in(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/token",
            None,
            json!({"username": username, "password": password}),
        )
        .await
    }

    /// Signs up and logs in a member.
    /// Changes the password of the member behind `token` from [`PASSWORD`] to `new`.
    pub async fn change_password(&self, token: &str, new: &str) {
        let (s, body) = self
            .put(
                "/api/v1/users/me/password",
                Some(token),
                Some(json!({"current_password": PASSWORD, "password1": new, "password2": new})),
            )
            .await;
        assert!(s.is_success(), "password change: {s} {body}");
    }

    pub async fn member(&self, name: &str) -> Member {
        let (s, u) = self.sign_up(name).await;
        assert_eq!(s, StatusCode::CREATED, "sign-up of {name}: {u}");
        let (s, t) = self.log_in(name, PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "log-in of {name}: {t}");
        Member {
            id: u["id"].as_i64().expect("id"),
            token: t["access_token"].as_str().expect("token").to_owned(),
            refresh: t["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// A member with a role, logged in after the role was given.
    pub async fn staff(&self, name: &str, role: Role) -> Member {
        let m = self.member(name).await;
        self.accounts.set_role(m.id, role).await.expect("set role");
        m
    }

    pub async fn set_state(&self, user_id: i64, state: UserState) {
        self.accounts
            .set_state(user_id, state)
            .await
            .expect("set state");
    }

    pub async fn category(&self, admin: &Member, name: &str, parent: Option<i64>) -> i64 {
        let (s, c) = self
            .post(
                "/api/v1/categories",
                Some(&admin.token),
                json!({"name": name, "parent_id": parent}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "category {name}: {c}");
        c["id"].as_i64().expect("category id")
    }

    pub async fn new_post(
        &self,
        author: &Member,
        category: i64,
        title: &str,
        content: &str,
    ) -> i64 {
        let (s, p) = self
            .post(
                "/api/v1/posts",
                Some(&author.token),
                json!({"category_id": category, "title": title, "content": content}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "post {title}: {p}");
        p["id"].as_i64().expect("post id")
    }

    pub async fn new_comment(&self, author: &Member, post: i64, content: &str) -> i64 {
        let (s, c) = self
            .post(
                &format!("/api/v1/posts/{post}/comments"),
                Some(&author.token),
                json!({"content": content}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "comment: {c}");
        c["id"].as_i64().expect("comment id")
    }

    /// A board with an admin and one category, for tests about posts.
    pub async fn board(&self) -> (Member, i64) {
        let admin = self.staff("admin", Role::Admin).await;
        let cat = self.category(&admin, "자유게시판", None).await;
        (admin, cat)
    }

    /// Counts rows with a query of the form `SELECT COUNT(*) …`.
    pub async fn count(&self, sql: &'static str) -> i64 {
        let row = sqlx::query(sql)
            .fetch_one(&self.db)
            .await
            .expect("count query");
        sqlx::Row::try_get::<i64, _>(&row, 0).expect("count value")
    }
}

pub async fn read(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asserts the API's error shape with the given code.
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "error body: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    assert!(
        body["error"]["request_id"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "request_id in {body}"
    );
}

/// The `field` of each detail of an error body.
pub fn detail_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
