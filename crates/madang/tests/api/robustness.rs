//! Junk in, clear errors out: every failure has the error shape and nothing is half-written.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, detail_fields, read, spawn};

#[tokio::test]
async fn malformed_bodies_get_400_415_and_422() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("author").await;
    let url = app.url("/api/v1/posts");

    let send = |body: &'static str, ct: Option<&'static str>| {
        let mut rb = app.client.post(&url).bearer_auth(&m.token).body(body);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        async move { read(rb.send().await.unwrap()).await }
    };
    let (s, b) = send("{\"title\": ", Some("application/json")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&b, "bad_request");
    let (s, b) = send("", Some("application/json")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&b, "bad_request");
    let (s, b) = send("{}", Some("text/plain")).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(&b, "unsupported_media_type");
    let (s, _) = send("{}", None).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    for (body, field) in [
        (
            json!({"category_id": "one", "title": "t", "content": "c"}),
            "category_id",
        ),
        (
            json!({"category_id": cat, "title": 5, "content": "c"}),
            "title",
        ),
        (
            json!({"category_id": 1e30, "title": "t", "content": "c"}),
            "category_id",
        ),
        (
            json!({"category_id": 18446744073709551616_f64, "title": "t", "content": "c"}),
            "category_id",
        ),
        (
            json!({"category_id": cat, "title": "t", "content": {"a": 1}}),
            "content",
        ),
    ] {
        let (s, b) = app
            .post("/api/v1/posts", Some(&m.token), body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_error(&b, "validation_failed");
        assert_eq!(detail_fields(&b), [field], "{body}");
    }
    let (s, b) = app
        .post("/api/v1/posts", Some(&m.token), json!([1, 2, 3]))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&b, "validation_failed");
    let (s, b) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": null, "title": null, "content": null}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b).len(), 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);
}

#[tokio::test]
async fn deep_nesting_and_huge_bodies_are_refused() {
    let app = spawn().await;
    let m = app.member("author").await;
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = app
        .client
        .post(app.url("/api/v1/posts"))
        .bearer_auth(&m.token)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    let (s, b) = read(res).await;
    assert!(
        s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s}"
    );
    assert!(b["error"]["code"].is_string());

    let huge = json!({"category_id": 1, "title": "t", "content": "x".repeat(5 * 1024 * 1024)});
    let (s, b) = app.post("/api/v1/posts", Some(&m.token), huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&b, "payload_too_large");
    let (s, b) = app
        .post(
            "/api/v1/users",
            None,
            json!({"name": "x".repeat(5 * 1024 * 1024), "email": "a@b.co", "password1": "p", "password2": "p"}),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&b, "payload_too_large");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn the_nul_character_is_refused_everywhere_a_request_carries_text() {
    // PostgreSQL's text cannot hold U+0000; every engine refuses it the same way.
    let app = spawn().await;
    let (m, cat) = app.board().await;
    let (s, b) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": cat, "title": "a\u{0}b", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_error(&b, "validation_failed");
    assert_eq!(detail_fields(&b), ["title"]);
    assert_eq!(b["error"]["details"][0]["constraint"], "no_nul");
    let (s, b) = app
        .post(
            "/api/v1/sentiment",
            Some(&m.token),
            json!({"text": "나\u{0}빠요"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(detail_fields(&b), ["text"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);

    let (s, b) = app.get("/api/v1/posts?keyword=a%00b", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_error(&b, "bad_request");
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .form(&[("username", "a\u{0}"), ("password", "whatever-it-is")])
        .send()
        .await
        .unwrap();
    let (s, b) = read(res).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(detail_fields(&b), ["username"]);
    let (s, b) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"username": "a\u{0}", "password": "whatever-it-is"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(detail_fields(&b), ["username"]);
}

#[tokio::test]
async fn unknown_routes_and_methods_have_the_error_shape() {
    let app = spawn().await;
    let (s, b) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&b, "not_found");
    let res = app
        .client
        .patch(app.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().contains_key("allow"));
    let (_, b) = read(res).await;
    assert_error(&b, "method_not_allowed");
}

#[tokio::test]
async fn request_ids_are_echoed_or_made_and_appear_in_errors() {
    let app = spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/posts/424242"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc-123");
    let (_, b) = read(res).await;
    assert_eq!(b["error"]["request_id"], "trace-abc-123");

    let res = app
        .client
        .get(app.url("/api/v1/posts/424242"))
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() >= 16);
    let (_, b) = read(res).await;
    assert_eq!(b["error"]["request_id"], id.as_str());
    let res = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn health_openapi_and_docs_are_served_locally() {
    let app = spawn().await;
    assert_eq!(app.get("/health/live", None).await.0, StatusCode::OK);
    let (s, r) = app.get("/health/ready", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["checks"][0]["name"], "database");

    let (s, spec) = app.get("/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/api/v1/users",
        "/api/v1/auth/token",
        "/api/v1/posts/{id}",
        "/api/v1/posts/{id}/versions.csv",
        "/api/v1/comments/{id}/vote",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the spec");
    }
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("://unpkg.com") && !html.contains("cdn."),
        "no CDN assets"
    );
    let res = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let _: Value = Value::Null;
}

#[tokio::test]
async fn bodies_must_be_objects_and_integral_floats_are_integers() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let child = app.category(&admin, "child", Some(cat)).await;
    // Serde could read a struct from an array; Madang refuses it.
    let (s, b) = app
        .req(
            reqwest::Method::PATCH,
            &format!("/api/v1/categories/{child}"),
            Some(&admin.token),
            Some(json!([null, null])),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&b, "validation_failed");
    let (_, tree) = app.get("/api/v1/categories", None).await;
    assert_eq!(
        tree[0]["children"][0]["id"], child,
        "the category did not move"
    );
    // JSON Schema counts 1.0 as an integer.
    let (s, p) = app
        .post(
            "/api/v1/posts",
            Some(&admin.token),
            json!({"category_id": cat as f64, "title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, _) = app
        .post(
            "/api/v1/posts",
            Some(&admin.token),
            json!({"category_id": 1.5, "title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
