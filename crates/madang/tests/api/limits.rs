//! Rate limits and log-in throttling, from outside: each limited action refuses past
//! its allowance with 429, `Retry-After` and the error shape, writing nothing; the
//! allowance is per member and per client (IPv6 by /64); staff are exempt; and
//! log-in throttling cannot be turned on the owner of an account.

use madang_domain::users::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A request from the client at `ip`.
async fn from(
    app: &TestApp,
    ip: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, Option<u64>) {
    let mut rb = app
        .client
        .request(method, app.url(path))
        .header("x-forwarded-for", ip);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let res = rb.send().await.unwrap();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let (s, b) = read(res).await;
    (s, b, retry_after)
}

async fn post_as(
    app: &TestApp,
    ip: &str,
    m: &Member,
    cat: i64,
    title: &str,
) -> (StatusCode, Value, Option<u64>) {
    from(
        app,
        ip,
        Method::POST,
        "/api/v1/posts",
        Some(&m.token),
        Some(json!({"category_id": cat, "title": title, "content": "본문"})),
    )
    .await
}

#[tokio::test]
async fn posts_past_the_member_allowance_are_refused_and_nothing_is_written() {
    let app = spawn_with(limited(&[("post", "3/1m"), ("post_per_client", "100/1m")])).await;
    let (admin, cat) = app.board().await;
    let writer = app.member("글쓴이").await;
    for i in 0..3 {
        let (s, b, _) = post_as(&app, "10.0.0.1", &writer, cat, &format!("글 {i}")).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    // From another address too: the allowance is the member's.
    let (s, b, retry) = post_as(&app, "10.0.0.2", &writer, cat, "넷째 글").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_error(&b, "rate_limited");
    // One post is earned back every 20 s.
    let retry = retry.expect("Retry-After");
    assert!((1..=20).contains(&retry), "Retry-After: {retry}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM posts WHERE title = '넷째 글'")
            .await,
        0
    );
    // Another member has an allowance of their own; staff have none to spend.
    let other = app.member("다른회원").await;
    let (s, _, _) = post_as(&app, "10.0.0.1", &other, cat, "다른 글").await;
    assert_eq!(s, StatusCode::CREATED);
    for i in 0..5 {
        let (s, _, _) = post_as(&app, "10.0.0.1", &admin, cat, &format!("공지 {i}")).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    // Counted by action (on the node that refused: one node here, or either behind
    // nginx, which does not show /metrics to clients).
    if app.through_nginx {
        return;
    }
    let (_, metrics) = app.get("/metrics", None).await;
    let text = metrics.as_str().unwrap_or_default();
    assert!(
        text.lines()
            .any(|l| l.starts_with("madang_rate_limited_total")
                && l.contains("action=\"post\"")
                && l.contains("scope=\"member\"")),
        "no post refusal in /metrics"
    );
}

#[tokio::test]
async fn comments_votes_and_edits_each_have_an_allowance() {
    let app = spawn_with(limited(&[
        ("comment", "2/1m"),
        ("vote", "2/1m"),
        ("edit", "1/1m"),
    ]))
    .await;
    let (_, cat) = app.board().await;
    let m = app.member("회원").await;
    let post = app.new_post(&m, cat, "제목", "본문").await;
    let comment_path = format!("/api/v1/posts/{post}/comments");
    for expected in [
        StatusCode::CREATED,
        StatusCode::CREATED,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let (s, b, _) = from(
            &app,
            "10.0.0.1",
            Method::POST,
            &comment_path,
            Some(&m.token),
            Some(json!({"content": "댓글"})),
        )
        .await;
        assert_eq!(s, expected, "{b}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 2);
    let vote_path = format!("/api/v1/posts/{post}/vote");
    for (method, expected) in [
        (Method::PUT, StatusCode::OK),
        (Method::DELETE, StatusCode::OK),
        (Method::PUT, StatusCode::TOO_MANY_REQUESTS),
    ] {
        let (s, b, _) = from(&app, "10.0.0.1", method, &vote_path, Some(&m.token), None).await;
        assert_eq!(s, expected, "{b}");
    }
    let (_, detail) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(detail["vote_count"], 0, "the refused vote was not counted");
    let edit = json!({"category_id": cat, "title": "고친 제목", "content": "본문"});
    let path = format!("/api/v1/posts/{post}");
    let (s, _, _) = from(
        &app,
        "10.0.0.1",
        Method::PUT,
        &path,
        Some(&m.token),
        Some(edit.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let edit2 = json!({"category_id": cat, "title": "또 고친 제목", "content": "본문"});
    let (s, b, _) = from(
        &app,
        "10.0.0.1",
        Method::PUT,
        &path,
        Some(&m.token),
        Some(edit2),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_error(&b, "rate_limited");
    let (_, detail) = app.get(&path, None).await;
    assert_eq!(detail["title"], "고친 제목");
}

#[tokio::test]
async fn sign_ups_are_limited_per_client_with_ipv6_grouped_by_its_64() {
    let app = spawn_with(limited(&[("sign_up_per_client", "2/1h")])).await;
    let body = |name: &str| json!({"name": name, "email": format!("{name}@example.com"), "password1": PASSWORD, "password2": PASSWORD});
    let cases = [
        ("2001:db8:1:2::1", "first", StatusCode::CREATED),
        ("2001:db8:1:2:ffff::2", "second", StatusCode::CREATED),
        // The same /64: the same household, the same allowance.
        (
            "2001:db8:1:2:abcd:1:2:3",
            "third",
            StatusCode::TOO_MANY_REQUESTS,
        ),
        ("2001:db8:1:3::1", "fourth", StatusCode::CREATED),
        ("203.0.113.5", "fifth", StatusCode::CREATED),
    ];
    for (ip, name, expected) in cases {
        let (s, b, _) = from(
            &app,
            ip,
            Method::POST,
            "/api/v1/users",
            None,
            Some(body(name)),
        )
        .await;
        assert_eq!(s, expected, "{name} from {ip}: {b}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE name = 'third'")
            .await,
        0
    );
}

#[tokio::test]
async fn searches_are_limited_but_plain_lists_are_not() {
    let app = spawn_with(limited(&[
        ("search", "2/1m"),
        ("search_per_client", "2/1m"),
    ]))
    .await;
    for expected in [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let (s, b, _) = from(
            &app,
            "10.0.0.9",
            Method::GET,
            "/api/v1/posts?keyword=%EB%B0%B0%EC%9A%B0",
            None,
            None,
        )
        .await;
        assert_eq!(s, expected, "{b}");
    }
    for _ in 0..5 {
        let (s, _, _) = from(&app, "10.0.0.9", Method::GET, "/api/v1/posts", None, None).await;
        assert_eq!(s, StatusCode::OK);
    }
}

async fn guess(app: &TestApp, ip: &str, name: &str, password: &str) -> (StatusCode, Value) {
    let (s, b, _) = from(
        app,
        ip,
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"username": name, "password": password})),
    )
    .await;
    (s, b)
}

#[tokio::test]
async fn two_hundred_guesses_get_at_most_ten_checked_and_the_owner_still_gets_in() {
    // The default quotas: these are the numbers the README promises.
    let app = spawn_with(limited(&[])).await;
    let owner = app.member("owner").await;
    let mut checked = 0;
    let mut refusals = Vec::new();
    for _ in 0..200 {
        let (s, b) = guess(&app, "198.51.100.7", "owner", "wrong-password").await;
        match s {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refusals.push(b),
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert!(checked <= 10, "{checked} guesses were checked");
    assert!(checked >= 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM login_history WHERE succeeded = 0")
            .await,
        checked,
        "every checked guess is in the login history, and only those"
    );
    assert_error(&refusals[0], "rate_limited");
    // The right password from the attacker's client is refused as well...
    let (s, _) = guess(&app, "198.51.100.7", "owner", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // ...but the owner, from their own client, gets in, again and again.
    for _ in 0..8 {
        let (s, b) = guess(&app, "10.20.30.40", "owner", PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let _ = owner;

    // A name nobody has is answered exactly alike: as many checked, the same words.
    let mut ghost_checked = 0;
    let mut ghost_refusal = None;
    for _ in 0..200 {
        let (s, b) = guess(&app, "198.51.100.8", "nobody-here", "wrong-password").await;
        match s {
            StatusCode::UNAUTHORIZED => ghost_checked += 1,
            StatusCode::TOO_MANY_REQUESTS => ghost_refusal = Some(b),
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert_eq!(ghost_checked, checked);
    assert_eq!(
        ghost_refusal.unwrap()["error"]["message"],
        refusals[0]["error"]["message"]
    );
}

#[tokio::test]
async fn racing_guesses_cannot_outrun_the_throttle() {
    let app = spawn_with(limited(&[])).await;
    app.member("target").await;
    let guesses = (0..40).map(|_| guess(&app, "198.51.100.9", "target", "wrong-password"));
    let results = futures::future::join_all(guesses).await;
    let checked = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 5, "{checked} racing guesses were checked");
    assert!(
        results
            .iter()
            .all(|(s, _)| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS)
    );
}

#[tokio::test]
async fn staff_are_not_limited_in_what_they_do() {
    let app = spawn_with(limited(&[
        ("comment", "1/1h"),
        ("comment_per_client", "1/1h"),
    ]))
    .await;
    let (admin, cat) = app.board().await;
    let moderator = app.staff("moderator", Role::Moderator).await;
    let post = app.new_post(&admin, cat, "제목", "본문").await;
    for who in [&admin, &moderator] {
        for _ in 0..3 {
            let (s, b, _) = from(
                &app,
                "10.0.0.1",
                Method::POST,
                &format!("/api/v1/posts/{post}/comments"),
                Some(&who.token),
                Some(json!({"content": "운영진 댓글"})),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
        }
    }
}

#[tokio::test]
async fn off_means_no_limit_at_all() {
    let app = spawn_with(|s| {
        s.limits.quotas.set("post", "1/1h").unwrap();
        s.http.trusted_proxies = "127.0.0.1".to_owned();
    })
    .await;
    let (_, cat) = app.board().await;
    let m = app.member("회원").await;
    for i in 0..4 {
        let (s, _, _) = post_as(&app, "10.0.0.1", &m, cat, &format!("글 {i}")).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    for _ in 0..12 {
        let (s, _) = guess(&app, "10.0.0.1", "회원", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
}
