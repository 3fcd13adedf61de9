//! What a deployment behind nginx relies on: the client's address from trusted
//! proxies only, request ids passed through, the web app at `/`, and the
//! body limit answered in the API's error shape. Run directly and through nginx
//! (`MADANG_TEST_NGINX=1`); each test states what differs.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, read, spawn};

#[tokio::test]
async fn the_client_address_comes_from_x_forwarded_for_only_through_a_trusted_proxy() {
    let app = spawn().await;
    app.sign_up("faraway").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"username": "faraway", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (s, t) = read(res).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let token = t["access_token"].as_str().unwrap();
    let (s, logins) = app.get("/api/v1/users/me/logins", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{logins}");
    let ip = logins["data"][0]["ip"].as_str().unwrap();
    if app.through_nginx {
        // nginx (trusted) appended the test client's address; the client's own claim
        // is the nearest untrusted hop.
        assert_eq!(ip, "203.0.113.9");
    } else {
        // Straight from the client, which no one trusts: its header is ignored.
        assert_eq!(ip, "127.0.0.1");
    }
}

#[tokio::test]
async fn the_root_is_the_web_app_directly_and_behind_nginx() {
    let app = spawn().await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = res.text().await.unwrap();
    // A board with no categories yet tells the operator what to do.
    assert!(page.contains("madang admin create"), "{page}");
    // Unknown paths outside the API are pages; under /api/ the error shape.
    let res = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().starts_with("<!doctype html>"));
    let (s, body) = read(
        app.client
            .get(app.url("/api/v1/nope"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_oversized_body_is_refused_in_the_error_shape_and_lists_are_compressed() {
    let app = spawn().await;
    let token = app.member("big").await.token;
    let huge = "가".repeat(600_000); // 1.8 MB of UTF-8, over the 1 MiB limit
    let res = app
        .client
        .post(app.url("/api/v1/posts"))
        .bearer_auth(&token)
        .json(&json!({"category_id": 1, "title": "t", "content": huge}))
        .send()
        .await
        .unwrap();
    let (s, body) = read(res).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(body["error"]["request_id"].is_string());
    // Large JSON answers are gzip-compressed by nginx for clients that accept it.
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let encoding = res.headers().get("content-encoding").map(|v| v.to_owned());
    if app.through_nginx {
        assert_eq!(encoding.unwrap(), "gzip");
    } else {
        assert!(encoding.is_none());
    }
}
