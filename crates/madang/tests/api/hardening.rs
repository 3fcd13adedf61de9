//! The edges a probe hardens: answers no cache may keep, answers nobody may sniff into
//! another type, spreadsheet-safe CSV, and titles that show something.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, assert_error, detail_fields, spawn};

#[tokio::test]
async fn token_and_account_answers_are_never_cached_and_no_answer_is_sniffed() {
    let app = spawn().await;
    let member = app.member("cached").await;
    let token = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "cached", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);
    assert_eq!(token.headers()["cache-control"], "no-store");
    let refused = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "cached", "password": "Wr0ng-Passw0rd!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers()["cache-control"], "no-store");
    let me = app
        .client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(&member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.headers()["cache-control"], "no-store");

    for path in [
        "/api/v1/posts",
        "/api/v1/nope",
        "/health/live",
        "/openapi.json",
        "/",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            res.headers()
                .get("x-content-type-options")
                .map(|v| v.as_bytes()),
            Some(&b"nosniff"[..]),
            "{path}"
        );
    }
    let list = app
        .client
        .get(app.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        list.headers().get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..]),
        "public lists stay cacheable"
    );
}

#[tokio::test]
async fn a_csv_cell_that_a_spreadsheet_would_evaluate_is_quoted() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let id = app
        .new_post(&admin, cat, "=HYPERLINK(\"http://x\")", "@SUM(A1:A9) 합계")
        .await;
    let text = app
        .client
        .get(app.url(&format!("/api/v1/posts/{id}/versions.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let row = rd.records().next().unwrap().unwrap();
    assert_eq!(&row[2], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&row[3], "'@SUM(A1:A9) 합계");
    // The post itself keeps what was written.
    let (_, post) = app.get(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(post["title"], "=HYPERLINK(\"http://x\")");
}

#[tokio::test]
async fn a_title_of_nothing_visible_is_refused() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    for title in [
        "\u{200B}",
        "\u{3164}\u{3164}",
        " \u{FEFF}\u{2060} ",
        "\u{FFA0}",
    ] {
        let (s, b) = app
            .post(
                "/api/v1/posts",
                Some(&admin.token),
                json!({"category_id": cat, "title": title, "content": "본문"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{title:?}: {b}");
        assert_error(&b, "validation_failed");
        assert_eq!(detail_fields(&b), ["title"], "{b}");
    }
    app.new_post(&admin, cat, "\u{200B}보이는 제목", "본문")
        .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);
    let (s, b) = app
        .post(
            "/api/v1/categories",
            Some(&admin.token),
            json!({"name": "\u{3164}"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(detail_fields(&b), ["name"], "{b}");
}

#[tokio::test]
async fn a_decomposed_name_is_the_composed_one_and_blank_letters_are_refused() {
    let app = spawn().await;
    let sign_up = |name: &'static str, email: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/users",
                None,
                json!({"name": name, "email": email, "password1": PASSWORD, "password2": PASSWORD}),
            )
            .await
        }
    };
    let (s, _) = sign_up("한글", "composed@madang.kr").await;
    assert_eq!(s, StatusCode::CREATED);
    // 한글 as macOS sends it: the same name, so taken.
    let (s, b) = sign_up(
        "\u{1112}\u{1161}\u{11AB}\u{1100}\u{1173}\u{11AF}",
        "nfd@madang.kr",
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(detail_fields(&b), ["name"]);
    // And it logs in the member who has it.
    let (s, _) = app
        .log_in("\u{1112}\u{1161}\u{11AB}\u{1100}\u{1173}\u{11AF}", PASSWORD)
        .await;
    assert_eq!(s, StatusCode::OK);
    for blank in [
        "\u{3164}\u{3164}",
        "\u{FFA0}\u{FFA0}\u{FFA0}",
        "ad\u{202E}min",
    ] {
        let (s, b) = sign_up(blank, "blank@madang.kr").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{blank:?}: {b}");
        assert_eq!(detail_fields(&b), ["name"], "{b}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn oversized_request_heads_are_answered_in_the_error_shape() {
    let app = spawn().await;
    if app.through_nginx {
        // nginx answers these itself, before any node sees them.
        return;
    }
    let long = format!("/api/v1/posts?keyword={}", "가".repeat(4000));
    let res = app.client.get(app.url(&long)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::URI_TOO_LONG);
    let (_, b) = crate::helpers::read(res).await;
    assert_error(&b, "bad_request");

    let res = app
        .client
        .get(app.url("/api/v1/posts"))
        .header("x-padding", "a".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let (_, b) = crate::helpers::read(res).await;
    assert_error(&b, "bad_request");

    let mut many = app.client.get(app.url("/api/v1/posts"));
    for i in 0..150 {
        many = many.header(format!("x-h{i}"), "1");
    }
    let res = many.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let (_, b) = crate::helpers::read(res).await;
    assert_error(&b, "bad_request");

    // Under the limits all is as before.
    let (s, _) = app
        .get(&format!("/api/v1/posts?keyword={}", "가".repeat(100)), None)
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_never_finishes_is_answered_408_in_the_error_shape() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_with(|s| s.http.body_timeout_secs = 1).await;
    if app.through_nginx {
        return;
    }
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/users HTTP/1.1\r\nHost: madang\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"name\":",
    )
    .await
    .unwrap();
    let mut said = String::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        s.read_to_string(&mut said),
    )
    .await
    .expect("answered and closed");
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    let body = &said[said.find("\r\n\r\n").unwrap() + 4..];
    let b: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_error(&b, "bad_request");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn names_fold_by_width_and_case_and_lookalikes_of_staff_are_refused() {
    let app = spawn().await;
    let boss = app.staff("boss", madang_domain::users::Role::Admin).await;
    let sign_up = |name: String| {
        let app = &app;
        async move {
            let email = format!("u{}@madang.kr", name.len() * 7 + name.chars().count());
            app.post(
                "/api/v1/users",
                None,
                json!({"name": name, "email": email, "password1": PASSWORD, "password2": PASSWORD}),
            )
            .await
        }
    };
    // The same name in another width or case is taken.
    for same in ["ｂｏｓｓ", "BOSS", "𝐛𝐨𝐬𝐬"] {
        let (s, b) = sign_up(same.to_owned()).await;
        assert_eq!(s, StatusCode::CONFLICT, "{same}: {b}");
        assert_eq!(detail_fields(&b), ["name"]);
    }
    // Lookalikes of a staff member's name are refused.
    for alike in ["b0ss", "b\u{043E}ss"] {
        let (s, b) = sign_up(alike.to_owned()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{alike}: {b}");
        assert_eq!(b["error"]["details"][0]["constraint"], "confusable", "{b}");
    }
    // Names that merely differ are not.
    let (s, b) = sign_up("moss".to_owned()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Nor can a member rename themselves into one.
    let (_, t) = app.log_in("moss", PASSWORD).await;
    let token = t["access_token"].as_str().unwrap();
    let (s, b) = app
        .req(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            Some(token),
            Some(json!({"name": "moss2"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .req(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            Some(token),
            Some(json!({"name": "b0ss"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // The name logs in by any of its spellings.
    let (s, t) = app.log_in("ＢＯＳＳ", PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let (_, me) = app
        .get("/api/v1/users/me", t["access_token"].as_str())
        .await;
    assert_eq!(me["id"], boss.id);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        2,
        "nothing but boss and moss was written"
    );
}
