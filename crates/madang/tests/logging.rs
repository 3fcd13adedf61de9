//! The log names each request but never carries a password, a token or a body.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use madang::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's one log subscriber, writing JSON lines into memory; every test of
/// this file reads what it logged from there.
fn captured_log() -> Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let mut settings = Settings::for_tests("sqlite://unused.db");
            settings.log.filter = "debug".to_owned();
            settings.log.format = madang::config::LogFormat::Json;
            let sink = capture.clone();
            madang::telemetry::init_with_writer(&settings, move || sink.clone());
            capture
        })
        .clone()
}

fn log_lines(capture: &Capture) -> (String, Vec<serde_json::Value>) {
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect();
    (log, lines)
}

#[tokio::test]
async fn a_server_error_is_logged_with_the_failed_operation_and_the_request_id() {
    let capture = captured_log();
    let app = helpers::spawn().await;
    // The users table goes away under the running server: the next log-in fails
    // inside the store, as a broken schema or a lost table would.
    sqlx::query("ALTER TABLE users RENAME TO users_gone")
        .execute(&app.db)
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "nobody", "password": "Wr0ng-Secret-Passw0rd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = res.json().await.unwrap();
    helpers::assert_error(&body, "internal");
    let id = body["error"]["request_id"].as_str().unwrap().to_owned();
    assert!(
        !body.to_string().contains("users_gone") && !body.to_string().contains("select users"),
        "a client never sees the cause: {body}"
    );

    let (log, lines) = log_lines(&capture);
    let line = lines
        .iter()
        .find(|v| {
            v["level"] == "ERROR"
                && v["spans"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["request_id"] == id.as_str()))
        })
        .unwrap_or_else(|| panic!("an error line names request {id}:\n{log}"));
    let cause = line["error"].as_str().unwrap_or_default();
    assert!(
        cause.starts_with("select users: "),
        "the cause names the failed statement: {line}"
    );
    // What the store logged while it ran sits inside the use case's span too.
    let in_use_case = lines.iter().any(|v| {
        v["spans"].as_array().is_some_and(|s| {
            s.iter().any(|s| s["request_id"] == id.as_str())
                && s.iter().any(|s| s["name"] == "accounts.log_in")
        })
    });
    assert!(
        in_use_case,
        "the request's lines name the use case that ran:\n{log}"
    );
}

#[tokio::test]
async fn sign_up_log_in_and_failures_leave_no_secret_in_the_log() {
    let capture = captured_log();

    let app = helpers::spawn().await;
    let password = "Sup3r-Secret-Passw0rd";
    let (s, _) = app
        .post(
            "/api/v1/users",
            None,
            json!({"name": "logged", "email": "logged@example.com", "password1": password, "password2": password}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, t) = app.log_in("logged", password).await;
    assert_eq!(s, StatusCode::OK);
    let access = t["access_token"].as_str().unwrap().to_owned();
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/users/me", Some(&access)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.log_in("logged", "Wr0ng-Secret-Passw0rd").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            "/api/v1/users",
            None,
            json!({"name": "x", "email": "bad", "password1": password, "password2": 42}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"username\": \"logged\", \"password\": \"{password}\""
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let (log, lines) = log_lines(&capture);
    let access_lines: Vec<serde_json::Value> = lines
        .into_iter()
        .filter(|v| v["target"] == "madang::access")
        .collect();
    assert!(
        access_lines.len() >= 7,
        "one access line per request:\n{log}"
    );
    let me = access_lines
        .iter()
        .find(|v| v["route"] == "/api/v1/users/me")
        .expect("the /users/me line");
    assert_eq!(me["status"], 200);
    assert!(
        me["user_id"].as_i64().is_some(),
        "the caller is named: {me}"
    );
    assert!(me["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(me["duration_ms"].as_f64().is_some());
    for secret in [
        password,
        "Wr0ng-Secret-Passw0rd",
        access.as_str(),
        refresh.as_str(),
        "logged@example.com",
    ] {
        assert!(
            !log.contains(secret),
            "the log holds a secret ({secret}):\n{log}"
        );
    }
}
