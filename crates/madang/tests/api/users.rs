use futures::future::join_all;
use madang_domain::Timestamp;
use madang_domain::users::UserState;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, assert_error, detail_fields, spawn, spawn_with};

#[tokio::test]
async fn sign_up_answers_the_user_without_secrets() {
    let app = spawn().await;
    let (s, u) = app.sign_up("김철수").await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(u["name"], "김철수");
    assert_eq!(u["email"], "김철수@example.com");
    assert_eq!(u["role"], "user");
    assert_eq!(u["states"], json!([]));
    assert!(u["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        u["created_at"].as_str().unwrap().len(),
        "2026-11-22T03:04:05.123Z".len()
    );
    let text = u.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains("argon2") && u.get("password").is_none());
}

#[tokio::test]
async fn sign_up_reports_every_violation_at_once() {
    let app = spawn().await;
    let (s, b) = app
        .post(
            "/api/v1/users",
            None,
            json!({"name": "a b", "email": "nope", "password1": "short", "password2": "other"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&b, "validation_failed");
    let mut fields = detail_fields(&b);
    fields.sort();
    assert_eq!(fields, ["email", "name", "password1", "password2"]);
    let p2 = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["field"] == "password2")
        .unwrap();
    assert_eq!(p2["constraint"], "must_match");

    let (s, b) = app.post("/api/v1/users", None, json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b).len(), 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn names_and_emails_are_unique_ignoring_case() {
    let app = spawn().await;
    assert_eq!(app.sign_up("Alice").await.0, StatusCode::CREATED);
    let (s, b) = app
        .post(
            "/api/v1/users",
            None,
            json!({"name": "aLICE", "email": "other@example.com", "password1": PASSWORD, "password2": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_error(&b, "conflict");
    assert_eq!(detail_fields(&b), ["name"]);
    let (s, b) = app
        .post(
            "/api/v1/users",
            None,
            json!({"name": "bob", "email": "ALICE@EXAMPLE.COM", "password1": PASSWORD, "password2": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(detail_fields(&b), ["email"]);
}

#[tokio::test]
async fn ten_simultaneous_sign_ups_with_one_name_admit_one() {
    let app = spawn().await;
    let calls = (0..10).map(|i| {
        app.post(
            "/api/v1/users",
            None,
            json!({"name": "racer", "email": format!("racer{i}@example.com"), "password1": PASSWORD, "password2": PASSWORD}),
        )
    });
    let results = join_all(calls).await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let conflicts: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .collect();
    assert_eq!(created, 1, "{results:?}");
    assert_eq!(conflicts.len(), 9, "{results:?}");
    for (_, b) in conflicts {
        assert_eq!(detail_fields(b), ["name"]);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn log_in_by_name_or_email_as_json_or_form_and_history_is_kept() {
    let app = spawn().await;
    app.sign_up("철수").await;
    let (s, t) = app.log_in("철수", PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["token_type"], "bearer");
    assert!(t["expires_in"].as_i64().unwrap() > 0);
    assert!(t["refresh_token"].as_str().unwrap().len() > 20);

    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "철수@EXAMPLE.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let (s, b) = app.log_in("철수", "wrong-password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_error(&b, "unauthorized");
    let (s, b2) = app.log_in("nobody", "wrong-password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        b["error"]["message"], b2["error"]["message"],
        "unknown name and wrong password look alike"
    );

    let token = t["access_token"].as_str().unwrap();
    let (s, h) = app.get("/api/v1/users/me/logins", Some(token)).await;
    assert_eq!(s, StatusCode::OK);
    let rows = h["data"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0]["succeeded"], false,
        "newest first: the failed attempt"
    );
    assert_eq!(rows[2]["succeeded"], true);
    assert_eq!(h["page_info"]["total_items"], 3);

    let (s, b) = app
        .post("/api/v1/auth/token", None, json!({"username": "철수"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b), ["password"]);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    // No grace window: a second use is a stolen copy at once.
    let app = spawn_with(|s| s.auth.refresh_reuse_grace_secs = 0).await;
    let m = app.member("rotator").await;
    let (s, t1) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": m.refresh}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let newer = t1["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(newer, m.refresh);
    // The spent token is refused, and presenting it ends the whole session.
    let (s, b) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": m.refresh}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_error(&b, "unauthorized");
    let (s, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": newer}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .get(
            "/api/v1/users/me",
            Some(t1["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": "made-up"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_logged_in() {
    let app = spawn_with(|s| s.auth.refresh_reuse_grace_secs = 2).await;
    let m = app.member("two-tabs").await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": token}),
            )
            .await
        }
    };
    let ((s1, t1), (s2, t2)) =
        futures::join!(refresh(m.refresh.clone()), refresh(m.refresh.clone()));
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{t1} {t2}");
    let (a, b) = (t1["refresh_token"].clone(), t2["refresh_token"].clone());
    assert_ne!(a, b);
    // Each tab goes on with its own token, and the session lives.
    for t in [&a, &b] {
        let (s, next) = refresh(t.as_str().unwrap().to_owned()).await;
        assert_eq!(s, StatusCode::OK, "{next}");
        let (s, _) = app
            .get("/api/v1/users/me", next["access_token"].as_str())
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    // Past the window, a spent token is a stolen copy again: the session ends.
    tokio::time::sleep(std::time::Duration::from_millis(2_300)).await;
    let (s, _) = refresh(m.refresh.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = refresh(a.as_str().unwrap().to_owned()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the whole session was revoked");
}

#[tokio::test]
async fn logout_ends_tokens() {
    let app = spawn().await;
    let m = app.member("leaver").await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&m.token)).await.0,
        StatusCode::OK
    );
    let (s, _) = app
        .req(Method::POST, "/api/v1/auth/logout", Some(&m.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&m.token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": m.refresh}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.req(Method::POST, "/api/v1/auth/logout", None, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn me_needs_a_valid_token() {
    let app = spawn().await;
    let m = app.member("me").await;
    let (s, u) = app.get("/api/v1/users/me", Some(&m.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u["id"], m.id);
    for bad in [None, Some("garbage"), Some("eyJhbGciOiJIUzI1NiJ9.e30.x")] {
        let (s, b) = app.get("/api/v1/users/me", bad).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_error(&b, "unauthorized");
    }
    let res = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn profile_edits_follow_the_sign_up_rules() {
    let app = spawn().await;
    let m = app.member("before").await;
    app.member("taken").await;
    let (s, u) = app
        .req(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&m.token),
            Some(json!({"name": "after"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u["name"], "after");
    assert_eq!(u["email"], "before@example.com");
    let (s, b) = app
        .req(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&m.token),
            Some(json!({"name": "TAKEN"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(detail_fields(&b), ["name"]);
    let (s, b) = app
        .req(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&m.token),
            Some(json!({"name": "x", "email": "bad"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b).len(), 2);
    assert_eq!(app.log_in("after", PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn password_change_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn().await;
    let m = app.member("pw").await;
    let (_, other) = app.log_in("pw", PASSWORD).await;
    let other = other["access_token"].as_str().unwrap().to_owned();
    let body = |cur: &str| json!({"current_password": cur, "password1": "new-password-9", "password2": "new-password-9"});
    let (s, b) = app
        .put(
            "/api/v1/users/me/password",
            Some(&m.token),
            Some(body("wrong-one")),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_error(&b, "unauthorized");
    let (s, b) = app
        .put(
            "/api/v1/users/me/password",
            Some(&m.token),
            Some(json!({"current_password": PASSWORD, "password1": "new-password-9", "password2": "different-9"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b), ["password2"]);
    let (s, _) = app
        .put(
            "/api/v1/users/me/password",
            Some(&m.token),
            Some(body(PASSWORD)),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.log_in("pw", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.log_in("pw", "new-password-9").await.0, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&m.token)).await.0,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        app.get("/api/v1/users/me", Some(&other)).await.0,
        StatusCode::UNAUTHORIZED,
        "others end"
    );
}

#[tokio::test]
async fn resigning_erases_the_person_but_keeps_their_posts() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("quitter").await;
    let post = app.new_post(&m, cat, "남기는 글", "내용").await;
    app.new_comment(&m, post, "댓글").await;
    let (s, _) = app
        .delete(
            "/api/v1/users/me",
            Some(&m.token),
            Some(json!({"password": "wrong-pass"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app
        .delete("/api/v1/users/me", Some(&m.token), Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b), ["password"]);
    let (s, _) = app
        .delete(
            "/api/v1/users/me",
            Some(&m.token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    assert_eq!(
        app.get("/api/v1/users/me", Some(&m.token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.log_in("quitter", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{}", m.id), None).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, p) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(p["author"].is_null());
    let (s, list) = app.get("/api/v1/posts", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list["data"][0]["author"].is_null());
    let (_, comments) = app
        .get(&format!("/api/v1/posts/{post}/comments"), None)
        .await;
    assert!(comments["data"][0]["author"].is_null());
    let kept = "SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL \
                AND (name IS NOT NULL OR email IS NOT NULL OR password_hash IS NOT NULL)";
    assert_eq!(
        app.count(kept).await,
        0,
        "a resigned account keeps no personal data"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM login_history lh JOIN users u ON u.id = lh.user_id WHERE u.deleted_at IS NOT NULL").await, 0);
    // The name is free again.
    assert_eq!(app.sign_up("quitter").await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn public_profiles_and_a_members_posts_and_comments() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("writer").await;
    let p1 = app.new_post(&m, cat, "one", "first").await;
    let p2 = app.new_post(&m, cat, "two", "second").await;
    app.new_comment(&m, p1, "c1").await;
    let (s, prof) = app.get(&format!("/api/v1/users/{}", m.id), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(prof["name"], "writer");
    assert_eq!(prof["post_count"], 2);
    assert_eq!(prof["comment_count"], 1);
    assert!(prof.get("email").is_none());
    let (_, posts) = app
        .get(&format!("/api/v1/users/{}/posts", m.id), None)
        .await;
    let ids: Vec<i64> = posts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [p2, p1], "newest first");
    let (_, comments) = app
        .get(&format!("/api/v1/users/{}/comments", m.id), None)
        .await;
    assert_eq!(comments["data"][0]["content"], "c1");
    assert_eq!(
        app.get("/api/v1/users/999999", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/users/999999/posts", None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn suspended_and_banned_members_cannot_log_in_or_write() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("trouble").await;
    let post = app.new_post(&m, cat, "title", "content").await;
    let until = Timestamp(app.accounts.now().millis() + 86_400_000);
    app.set_state(
        m.id,
        UserState::Suspended {
            until,
            reason: "spam".into(),
        },
    )
    .await;

    let (s, b) = app.log_in("trouble", PASSWORD).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&b, "forbidden");
    // The token from before the suspension can still read, but not write.
    let (s, me) = app.get("/api/v1/users/me", Some(&m.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["states"][0]["state"], "suspended");
    assert_eq!(me["states"][0]["reason"], "spam");
    let (s, _) = app
        .post(
            "/api/v1/posts",
            Some(&m.token),
            json!({"category_id": cat, "title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.put(&format!("/api/v1/posts/{post}/vote"), Some(&m.token), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    app.set_state(
        m.id,
        UserState::Banned {
            reason: "abuse".into(),
        },
    )
    .await;
    assert_eq!(
        app.log_in("trouble", PASSWORD).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&m.token),
            json!({"content": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    app.set_state(m.id, UserState::Active).await;
    assert_eq!(app.log_in("trouble", PASSWORD).await.0, StatusCode::OK);
    // A suspension that has run out no longer blocks.
    app.set_state(
        m.id,
        UserState::Suspended {
            until: Timestamp(1),
            reason: "old".into(),
        },
    )
    .await;
    assert_eq!(app.log_in("trouble", PASSWORD).await.0, StatusCode::OK);
}
