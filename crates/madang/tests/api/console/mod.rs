//! The staff console over real HTTP: access, CSRF, permissions, validation beside the
//! field, and the audit trail of every change.

use madang_domain::users::Role;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::helpers::{PASSWORD, TestApp, limited, spawn, spawn_with};
use crate::seminars::{join, seminar, with_role};

mod boards;
mod reports;

/// A browser-like console client: keeps the session cookie, follows no redirects.
struct Staff {
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap_or("");
    pair.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap_or("").to_owned()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Logs in through the form; answers the response of the POST and the client.
async fn log_in(app: &TestApp, name: &str, password: &str) -> (reqwest::Response, reqwest::Client) {
    let client = no_redirects();
    let res = client.get(app.url("/admin/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let form_cookie = set_cookie(&res, "madang_console_csrf").expect("log-in form cookie");
    let html = res.text().await.unwrap();
    let token = hidden(&html, "csrf");
    let res = client
        .post(app.url("/admin/login"))
        .header(
            "cookie",
            format!("madang_console_csrf={}", cookie_value(&form_cookie)),
        )
        .form(&[
            ("csrf", token.as_str()),
            ("username", name),
            ("password", password),
            ("next", "/admin/"),
        ])
        .send()
        .await
        .unwrap();
    (res, client)
}

async fn staff(app: &TestApp, name: &str, role: Role) -> (Staff, i64) {
    let m = app.staff(name, role).await;
    let (res, client) = log_in(app, name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{name} logs in");
    let session = set_cookie(&res, "madang_console").expect("session cookie");
    let cookie = format!("madang_console={}", cookie_value(&session));
    let html = client
        .get(app.url("/admin/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf");
    (
        Staff {
            client,
            base: app.base.clone(),
            cookie,
            csrf,
        },
        m.id,
    )
}

impl Staff {
    async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    /// Posts a form; `with_csrf` adds the session's token.
    async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        with_csrf: bool,
    ) -> (StatusCode, String, Option<String>) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if with_csrf {
            form.push(("csrf", &self.csrf));
        }
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (res.status(), res.text().await.unwrap(), location)
    }
}

async fn audit_rows(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM audit_log").await
}

#[tokio::test]
async fn only_staff_get_in_with_a_strict_session_and_failed_log_ins_are_throttled() {
    let app = spawn_with(limited(&[])).await;
    // No session: sent to the log-in page, and back after.
    let res = no_redirects()
        .get(app.url("/admin/users?role=admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("/admin/login?next="), "{to}");

    // A plain member has no way in.
    app.member("plain").await;
    let (res, _) = log_in(&app, "plain", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&res, "madang_console").is_none());

    // A moderator does, with a cookie scripts and other sites cannot use.
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;
    let res = mod1
        .client
        .get(app.url("/admin/"))
        .header("cookie", &mod1.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    let (again, _) = log_in(&app, "mod1", PASSWORD).await;
    let session = set_cookie(&again, "madang_console").unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));

    // Guesses at mod1 from another client, through the API, spend that client's
    // allowance only: mod1 still gets into the console from their own.
    for _ in 0..50 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/token"))
            .header("x-forwarded-for", "198.51.100.66")
            .json(&serde_json::json!({"username": "mod1", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert!(matches!(res.status().as_u16(), 401 | 429));
    }
    let (res, _) = log_in(&app, "mod1", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Five wrong passwords from one client keep that client out for a while, right
    // password or not: the API and the console share one throttle.
    for _ in 0..5 {
        let (res, _) = log_in(&app, "mod1", "wrong-password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let (res, _) = log_in(&app, "mod1", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&res, "madang_console").is_none());

    // Logging out ends the session on the server, not just in the browser.
    let (s, _, _) = mod1.post("/admin/logout", &[], true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = mod1.get("/admin/").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let post = app.new_post(&admin, cat, "지울 글", "내용").await;
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;
    let id = post.to_string();
    let fields = [
        ("action", "delete_posts"),
        ("stage", "apply"),
        ("ids", id.as_str()),
    ];

    let (s, body, _) = mod1.post("/admin/posts/action", &fields, false).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("<html"), "an HTML page, not the API's JSON");
    let (s, _) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(s, StatusCode::OK, "the post is untouched");
    assert_eq!(audit_rows(&app).await, 0);

    let (s, _, to) = mod1.post("/admin/posts/action", &fields, true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/admin/posts?done=1"));
    let (s, _) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "soft-deleted");
    assert_eq!(audit_rows(&app).await, 1);
}

#[tokio::test]
async fn the_nul_character_in_a_console_form_or_query_is_a_400_page() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let post = app.new_post(&admin, cat, "남길 글", "내용").await;
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;

    for path in [
        "/admin/posts?q=a%00b",
        "/admin/users?q=%00",
        "/admin/lang?to=en&back=/admin/%00",
    ] {
        let (s, body) = mod1.get(path).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}");
        assert!(body.contains("U+0000"), "{path}: the page says why");
    }
    let id = post.to_string();
    let (s, body, _) = mod1
        .post(
            "/admin/posts/action",
            &[
                ("action", "delete_posts"),
                ("stage", "apply"),
                ("ids", &id),
                ("note", "\0"),
            ],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("U+0000"));
    let (s, _) = app.get(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(s, StatusCode::OK, "the post is untouched");
    assert_eq!(audit_rows(&app).await, 0);

    let (res, _) = log_in(&app, "mod1\0", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn moderators_are_refused_admin_only_actions_and_staff_targets() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let member = app.member("member").await;
    let (mod1, mod_id) = staff(&app, "mod1", Role::Moderator).await;
    let admin_id = app.count("SELECT MIN(id) FROM users").await;

    // Role changes are not offered to a moderator, and are refused when forged.
    let (_, page) = mod1.get("/admin/users").await;
    assert!(page.contains("value=\"suspend\""));
    assert!(!page.contains("value=\"set_role\""));
    let id = member.id.to_string();
    let (s, _, _) = mod1
        .post(
            "/admin/users/action",
            &[
                ("action", "set_role"),
                ("stage", "apply"),
                ("ids", &id),
                ("role", "admin"),
            ],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = mod1
        .post(
            &format!("/admin/categories/{cat}/edit"),
            &[("name", "새 이름")],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, me) = app.get("/api/v1/users/me", Some(&member.token)).await;
    assert_eq!(me["role"], "user");

    // Suspending staff (or oneself) is an admin's call: listed as not allowed, and
    // applying it changes nothing.
    for target in [admin_id, mod_id] {
        let t = target.to_string();
        let fields = [("action", "ban"), ("ids", t.as_str()), ("reason", "nope")];
        let (s, page, _) = mod1
            .post(
                "/admin/users/action",
                &[&fields[..], &[("stage", "review")]].concat(),
                true,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            !page.contains("value=\"apply\""),
            "no confirm button: {page}"
        );
        let (s, _, to) = mod1
            .post(
                "/admin/users/action",
                &[&fields[..], &[("stage", "apply")]].concat(),
                true,
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(to.unwrap().ends_with("done=0"));
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE state = 'banned'")
            .await,
        0
    );
    assert_eq!(audit_rows(&app).await, 0);
}

#[tokio::test]
async fn a_suspension_is_checked_beside_its_fields_then_applied_and_audited() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let member = app.member("member").await;
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;
    let id = member.id.to_string();

    let (s, page, _) = mod1
        .post(
            "/admin/users/action",
            &[
                ("action", "suspend"),
                ("stage", "review"),
                ("ids", &id),
                ("until", "2001-01-01"),
            ],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"e-until\""), "{page}");
    assert!(page.contains("until must be today or later"));
    assert!(page.contains("id=\"e-reason\""));
    assert!(page.contains("reason is required"));

    let fields = [
        ("action", "suspend"),
        ("ids", id.as_str()),
        ("until", "2099-12-31"),
        ("reason", "도배"),
    ];
    let (s, page, _) = mod1
        .post(
            "/admin/users/action",
            &[&fields[..], &[("stage", "review")]].concat(),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("<del>active</del> → <ins>suspended</ins>"),
        "{page}"
    );
    assert_eq!(audit_rows(&app).await, 0, "reviewing writes nothing");
    let (s, _, _) = mod1
        .post(
            "/admin/users/action",
            &[&fields[..], &[("stage", "apply")]].concat(),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // The member can no longer write; the change is in the audit log and history.
    let (s, _) = app
        .post(
            "/api/v1/posts",
            Some(&member.token),
            serde_json::json!({"category_id": cat, "title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, history) = mod1.get(&format!("/admin/users/{id}/history")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(history.contains("mod1"));
    assert!(history.contains("active → suspended"), "{history}");
    let (_, audit) = mod1
        .get("/admin/audit?action=suspend&object_type=user")
        .await;
    assert!(audit.contains(&format!("/admin/users/{id}")));
    assert_eq!(audit_rows(&app).await, 1);
}

#[tokio::test]
async fn a_password_change_through_the_api_ends_the_console_session() {
    let app = spawn().await;
    let (console, _) = staff(&app, "keyholder", Role::Moderator).await;
    assert_eq!(console.get("/admin/").await.0, StatusCode::OK);
    let (_, t) = app.log_in("keyholder", PASSWORD).await;
    let token = t["access_token"].as_str().unwrap();
    app.change_password(token, "another-password-3").await;
    let (s, _) = console.get("/admin/").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "the console session ended");
}

#[tokio::test]
async fn a_back_address_that_cannot_be_a_location_leads_to_the_list() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let a = app.new_post(&admin, cat, "돌아가기", "내용").await;
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;
    let a_id = a.to_string();
    for back in [
        "/admin/posts\u{7}",
        "/admin/posts\r\nSet-Cookie: x=1",
        "https://elsewhere.example/",
    ] {
        let action = if app
            .count("SELECT COUNT(*) FROM posts WHERE deleted_at IS NULL")
            .await
            == 1
        {
            "delete_posts"
        } else {
            "restore_posts"
        };
        let form = [
            ("action", action),
            ("stage", "apply"),
            ("ids", a_id.as_str()),
            ("back", back),
        ];
        let (s, _, to) = mod1.post("/admin/posts/action", &form, true).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(to.as_deref(), Some("/admin/posts?done=1"), "{back:?}");
    }
    assert_eq!(
        audit_rows(&app).await,
        3,
        "each change applied once and audited"
    );
}

#[tokio::test]
async fn restoring_a_post_brings_back_its_category_count_and_lists_filter_by_state() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let a = app.new_post(&admin, cat, "첫째", "내용").await;
    let b = app.new_post(&admin, cat, "둘째", "내용").await;
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;
    let count = || app.count("SELECT MAX(post_count) FROM categories");
    assert_eq!(count().await, 2);
    let (a_id, b_id) = (a.to_string(), b.to_string());
    let del = [
        ("action", "delete_posts"),
        ("stage", "apply"),
        ("ids", a_id.as_str()),
        ("ids", b_id.as_str()),
        ("back", "/admin/posts?status=active"),
    ];
    let (s, _, to) = mod1.post("/admin/posts/action", &del, true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/admin/posts?status=active&done=2"));
    assert_eq!(count().await, 0);

    let (_, deleted) = mod1
        .get(&format!("/admin/posts?status=deleted&category={cat}"))
        .await;
    assert!(
        deleted.contains(&format!("data-id=\"{a}\""))
            && deleted.contains(&format!("data-id=\"{b}\""))
    );
    assert!(deleted.contains("class=\"total\">2 "), "a total of two");
    let (_, active) = mod1.get("/admin/posts?status=active").await;
    assert!(!active.contains(&format!("data-id=\"{a}\"")));

    let restore = [
        ("action", "restore_posts"),
        ("stage", "apply"),
        ("ids", a_id.as_str()),
    ];
    let (s, _, _) = mod1.post("/admin/posts/action", &restore, true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(count().await, 1);
    let (s, _) = app.get(&format!("/api/v1/posts/{a}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(audit_rows(&app).await, 3);

    // A post search reads the selection's first posts (a bound it says), with the
    // filters applied first.
    let (s, found) = mod1
        .get(&format!(
            "/admin/posts?q=%EC%B2%AB%EC%A7%B8&category={cat}&status=active"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(found.contains(&format!("data-id=\"{a}\"")), "{found}");
    assert!(!found.contains(&format!("data-id=\"{b}\"")));
    assert!(found.contains("class=\"total\">1 "));
    assert!(found.contains("search-bound"));
    let (_, none) = mod1
        .get("/admin/posts?q=%EC%B2%AB%EC%A7%B8&status=deleted")
        .await;
    assert!(none.contains("class=\"total\">0 "), "{none}");

    // Lists refuse what their spec does not offer, as a page.
    let (s, page) = mod1.get("/admin/posts?password=1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("<html"));
    let (s, _) = mod1.get("/admin/posts?p=99999").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn admins_change_seminar_settings_by_the_seminar_rules_and_moderators_cannot() {
    let app = spawn().await;
    let teacher = with_role(&app, "teacher", "instructor").await;
    let sem = seminar(&app, &teacher, "Rust 입문", 3).await;
    for name in ["pupil1", "pupil2"] {
        let p = with_role(&app, name, "participant").await;
        assert_eq!(join(&app, &p, sem).await.0, StatusCode::CREATED);
    }
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;
    let (boss, _) = staff(&app, "boss", Role::Admin).await;
    let page_path = format!("/admin/seminars/{sem}");
    let edit = format!("{page_path}/edit");

    // The list links to the change page, which lists the members; a moderator sees
    // it read-only and is refused the form if it is forged.
    let (_, list) = mod1.get("/admin/seminars?capacity=under_30").await;
    assert!(list.contains(&format!("href=\"{page_path}\"")), "{list}");
    let (s, page) = mod1.get(&page_path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("pupil1") && page.contains("teacher"));
    assert!(!page.contains(&edit), "no settings form for a moderator");
    let fields = [
        ("name", "Rust 심화"),
        ("capacity", "40"),
        ("count", "6"),
        ("time", "20:00"),
        ("online", "no"),
    ];
    let (s, _, _) = mod1.post(&edit, &fields, true).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = boss.post(&edit, &fields, false).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF token");

    // The API's rules, each message beside its field, and nothing written.
    let (_, page) = boss.get(&page_path).await;
    assert!(page.contains(&format!("action=\"{edit}\"")));
    let (s, page, _) = boss
        .post(
            &edit,
            &[
                ("name", " "),
                ("capacity", ""),
                ("count", "many"),
                ("time", "25:00"),
                ("online", "yes"),
            ],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    for field in ["name", "count", "time"] {
        assert!(
            page.contains(&format!("id=\"e-{field}\"")),
            "{field}: {page}"
        );
    }
    assert!(page.contains("count must be a whole number"));
    assert!(
        page.contains("value=\"many\""),
        "the form keeps what was sent"
    );
    let (s, page, _) = boss
        .post(
            &edit,
            &[&fields[..1], &[("capacity", "1")], &fields[2..]].concat(),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"e-capacity\""), "{page}");
    assert!(page.contains("capacity cannot go below the 2 active participants"));
    let (_, api) = app.get(&format!("/api/v1/seminars/{sem}"), None).await;
    assert_eq!(
        (api["name"].as_str(), api["capacity"].as_i64()),
        (Some("Rust 입문"), Some(3))
    );
    assert_eq!(audit_rows(&app).await, 0);

    // A valid change is saved, seen by the API at once (the seminar list is cached),
    // and audited field by field.
    let (s, _, to) = boss.post(&edit, &fields, true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some(page_path.as_str()));
    let (_, api) = app.get(&format!("/api/v1/seminars/{sem}"), None).await;
    assert_eq!(api["capacity"], 40);
    assert_eq!(api["count"], 6);
    assert_eq!(api["time"], "20:00");
    assert_eq!(api["online"], false);
    let (_, listed) = app.get("/api/v1/seminars", None).await;
    assert_eq!(listed["data"][0]["name"], "Rust 심화");
    assert_eq!(audit_rows(&app).await, 1);
    let (_, history) = boss.get(&format!("{page_path}/history")).await;
    assert!(history.contains("3 → 40"), "{history}");
    assert!(history.contains("19:30 → 20:00"));
    let (_, audit) = boss.get("/admin/audit?object_type=seminar").await;
    assert!(audit.contains(&format!("href=\"{page_path}\"")));
    // Saving the same settings again changes nothing and logs nothing.
    let (s, _, _) = boss.post(&edit, &fields, true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(audit_rows(&app).await, 1);

    // The enrolments of this seminar alone, from its page.
    let (s, enrolled) = boss.get(&format!("/admin/enrolments?seminar={sem}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(enrolled.contains("pupil2") && enrolled.contains("class=\"total\">3 "));
}

#[tokio::test]
async fn list_pages_follow_their_order_and_the_total_counts_every_page() {
    let app = spawn().await;
    let (admin, cat) = app.board().await;
    let mut ids = Vec::new();
    for i in 0..53 {
        ids.push(app.new_post(&admin, cat, &format!("글 {i}"), "내용").await);
    }
    let (mod1, _) = staff(&app, "mod1", Role::Moderator).await;
    let shown = |page: &str| {
        let mut out = Vec::new();
        let mut rest = page;
        while let Some(i) = rest.find("data-id=\"") {
            rest = &rest[i + 9..];
            out.push(rest.split('"').next().unwrap().parse::<i64>().unwrap());
        }
        out
    };
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    let (_, p1) = mod1.get("/admin/posts").await;
    let (_, p2) = mod1.get("/admin/posts?p=2").await;
    assert_eq!(shown(&p1), newest_first[..50]);
    assert_eq!(shown(&p2), newest_first[50..]);
    assert!(p2.contains("class=\"total\">53 "));
    let (_, oldest) = mod1.get("/admin/posts?o=created_at&p=2").await;
    assert_eq!(shown(&oldest), ids[50..]);
    // The dashboard counts today afresh each time (the days before are cached).
    let today = |page: &str| -> Vec<i64> {
        let body = &page[..page.find("</tbody>").unwrap()];
        let row = &body[body.rfind("<tr><th>").unwrap()..];
        row.split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().parse().unwrap())
            .collect()
    };
    let (_, before) = mod1.get("/admin/").await;
    assert_eq!(today(&before)[1], 53, "posts created today");
    app.new_post(&admin, cat, "하나 더", "내용").await;
    let (_, after) = mod1.get("/admin/").await;
    assert_eq!(today(&after)[1], 54);

    // A search pages through its matches the same way.
    let (_, s2) = mod1.get("/admin/posts?q=%EA%B8%80&p=2").await;
    assert_eq!(shown(&s2), newest_first[50..]);
    assert!(s2.contains("class=\"total\">53 "));
}
