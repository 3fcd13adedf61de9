//! The web app's accounts: sessions, CSRF, the ended session that keeps the post,
//! restricted members, throttling, password changes and resignation.

use madang_domain::Timestamp;
use madang_domain::users::UserState;
use reqwest::StatusCode;

use super::{Browser, hidden, hidden_user_id};
use crate::helpers::{PASSWORD, limited, spawn, spawn_with};

#[tokio::test]
async fn forms_without_the_right_csrf_token_change_nothing() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    // A visitor's form token is in a cookie and in the form; both must match.
    let p = b.get("/signup").await;
    assert!(b.cookies.contains_key("madang_form"));
    let page = b
        .post(
            "/signup",
            &[
                ("csrf", "forged"),
                ("name", "위조"),
                ("email", "f@example.com"),
                ("password1", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.starts_with("<!doctype html>"));
    assert!(!p.csrf().is_empty());
    b.sign_up("회원").await;
    let board_s = board.to_string();
    for csrf in ["", "forged"] {
        let page = b
            .post(
                "/write",
                &[
                    ("csrf", csrf),
                    ("category_id", &board_s),
                    ("title", "t"),
                    ("content", "c"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);
    let logout = b.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert!(
        b.get("/me").await.status == StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn an_ended_session_keeps_the_post_through_the_log_in() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("긴글러").await;
    let form = b.get(&format!("/write?board={board}")).await;
    let csrf = form.csrf();
    // A form from another site (no session cookie) keeps nothing: it only leads to
    // the log-in page.
    let mut stranger = Browser::new(&app, "ko");
    let page = stranger
        .post(
            "/write",
            &[
                ("csrf", "x"),
                ("category_id", "1"),
                ("title", "남의 글"),
                ("content", "끼워 넣기"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(!page.has("남의 글"));
    // The session ends on the server while the member writes (a password change on
    // another device, an expiry): the browser still holds its cookie.
    sqlx::query("UPDATE member_sessions SET revoked_at = 1")
        .execute(&app.db)
        .await
        .unwrap();
    let board_s = board.to_string();
    let body = "한 시간 동안 쓴 글\n<b>지워지면 안 됩니다</b>";
    let page = b
        .post(
            "/write",
            &[
                ("csrf", &csrf),
                ("category_id", &board_s),
                ("title", "긴 글"),
                ("content", body),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.has("name=\"draft_to\" value=\"/write\""));
    assert_eq!(hidden(&page.html, "title"), "긴 글");
    let login_csrf = page.csrf();
    let draft_content = hidden(&page.html, "content");
    assert!(draft_content.contains("&#60;b&#62;") || draft_content.contains("&lt;b&gt;"));
    let page = b
        .post(
            "/login",
            &[
                ("csrf", &login_csrf),
                ("username", "긴글러"),
                ("password", PASSWORD),
                ("next", "/write"),
                ("draft_to", "/write"),
                ("category_id", &board_s),
                ("title", "긴 글"),
                ("content", body),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(b.cookies.contains_key("madang_session"));
    assert!(page.has("value=\"긴 글\""));
    assert!(page.has("한 시간 동안 쓴 글"));
    assert!(page.has(&format!("value=\"{board}\" selected")));
    // Sent from the restored form, the post is written.
    let sent = b
        .post(
            "/write",
            &[
                ("csrf", &page.csrf()),
                ("category_id", &board_s),
                ("title", "긴 글"),
                ("content", body),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);
}

#[tokio::test]
async fn a_banned_member_reads_but_cannot_write_and_is_told_why() {
    let app = spawn().await;
    let (admin, board) = app.board().await;
    let id = app.new_post(&admin, board, "공지", "읽을 수 있는 글").await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("정지회원").await;
    let uid = hidden_user_id(&b.get("/me").await.html);
    let until = Timestamp(app.accounts.now().millis() + 3 * 86_400_000);
    app.set_state(
        uid,
        UserState::Suspended {
            until,
            reason: "도배".into(),
        },
    )
    .await;
    let page = b.get(&format!("/posts/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("읽을 수 있는 글"));
    assert!(page.has("class=\"restricted\"") && page.has("도배") && page.has("KST"));
    let page = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/comments"),
            &[("content", "댓글")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.has("role=\"alert\"") || page.has("class=\"error\""),
        "{}",
        page.html
    );
    assert!(page.has(">댓글</textarea>"), "the comment is kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 0);
    let vote = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/vote"),
            &[("on", "1")],
        )
        .await;
    assert_eq!(vote.status, StatusCode::FORBIDDEN);
    // A new log-in is refused with the reason and the end of the suspension.
    b.submit("/", "/logout", &[]).await;
    let page = b.log_in("정지회원", PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("도배") && page.has("정지"), "{}", page.html);
    app.set_state(
        uid,
        UserState::Banned {
            reason: "광고".into(),
        },
    )
    .await;
    let page = b.log_in("정지회원", PASSWORD).await;
    assert!(page.has("광고") && page.has("차단"), "{}", page.html);
}

#[tokio::test]
async fn log_in_is_throttled_after_repeated_failures() {
    let app = spawn_with(limited(&[])).await;
    app.member("표적").await;
    let mut b = Browser::new(&app, "ko");
    for _ in 0..5 {
        let page = b.log_in("표적", "wrong-password").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.has("이름 또는 비밀번호가 맞지 않습니다"));
    }
    let page = b.log_in("표적", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!b.cookies.contains_key("madang_session"));
}

#[tokio::test]
async fn members_change_their_password_and_resign_from_my_page() {
    let app = spawn().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("떠날회원").await;
    let page = b
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", "wrong"),
                ("password1", "new-password-2"),
                ("password2", "new-password-2"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("id=\"cp-error\""));
    let page = b
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", PASSWORD),
                ("password1", "new-password-2"),
                ("password2", "new-password-2"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(b.get("/me?changed=1").await.has("비밀번호를 바꿨습니다"));
    let page = b
        .submit("/me/resign", "/me/resign", &[("password", "wrong")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = b
        .submit(
            "/me/resign",
            "/me/resign",
            &[("password", "new-password-2")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("탈퇴가 끝났습니다"));
    assert!(!b.cookies.contains_key("madang_session"));
    let (s, _) = app.log_in("떠날회원", "new-password-2").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_change_through_the_api_ends_the_web_sessions() {
    let app = spawn().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("두기기").await;
    assert_eq!(b.get("/me").await.status, StatusCode::OK);
    let (_, t) = app.log_in("두기기", PASSWORD).await;
    let token = t["access_token"].as_str().unwrap();
    app.change_password(token, "another-password-3").await;
    let me = b.get("/me").await;
    assert_eq!(me.status, StatusCode::SEE_OTHER, "the web session ended");
    assert!(me.location.unwrap().starts_with("/login"));
    // The API session the change came from stays.
    let (s, _) = app.get("/api/v1/users/me", Some(token)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn ended_sessions_are_purged_a_day_later_and_live_ones_stay() {
    let app = spawn().await;
    let mut gone = Browser::new(&app, "ko");
    gone.sign_up("떠난세션").await;
    gone.submit("/", "/logout", &[]).await;
    let mut live = Browser::new(&app, "ko");
    live.sign_up("남은세션").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM member_sessions").await, 2);
    // The purge keeps a day of ended sessions: age the ended one past that.
    sqlx::query("UPDATE member_sessions SET revoked_at = 1 WHERE revoked_at IS NOT NULL")
        .execute(&app.db)
        .await
        .unwrap();
    let report = app.maintenance.purge().await.unwrap();
    assert_eq!(report.sessions, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM member_sessions").await, 1);
    assert_eq!(live.get("/me").await.status, StatusCode::OK);
}

#[tokio::test]
async fn my_page_lists_what_the_member_bookmarked() {
    let app = spawn().await;
    let (admin, board) = app.board().await;
    let kept = app
        .new_post(&admin, board, "스크랩할 글", "나중에 읽기")
        .await;
    app.new_post(&admin, board, "지나친 글", "본문").await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("스크랩회원").await;
    let me = b.get("/me").await;
    assert!(me.html.contains("스크랩한 글이 없습니다."), "{}", me.html);

    let post = format!("/posts/{kept}");
    let sent = b
        .submit(&post, &format!("{post}/bookmark"), &[("on", "1")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let me = b.get("/me").await.html;
    assert!(me.contains("내 스크랩"), "{me}");
    assert!(
        me.contains(&format!("href=\"/posts/{kept}\">스크랩할 글</a>")),
        "{me}"
    );
    assert!(!me.contains("지나친 글"), "{me}");

    b.submit(&post, &format!("{post}/bookmark"), &[("on", "0")])
        .await;
    assert!(b.get("/me").await.html.contains("스크랩한 글이 없습니다."));
}

#[tokio::test]
async fn a_rate_limited_form_comes_back_429_with_the_message_and_the_text_kept() {
    let app = spawn_with(limited(&[("sign_up_per_client", "1/1h")])).await;
    let mut b = Browser::new(&app, "ko");
    let page = b.sign_up("첫째회원").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut other = Browser::new(&app, "ko");
    let page = other.sign_up("둘째회원").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.has("시도가 너무 많습니다"), "{}", page.html);
    assert!(
        page.has("value=\"둘째회원\""),
        "the name is kept: {}",
        page.html
    );
    assert!(!other.cookies.contains_key("madang_session"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE name = '둘째회원'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_rate_limited_search_page_speaks_the_page_language_only() {
    let app = spawn_with(limited(&[("search_per_client", "1/1h")])).await;
    let mut b = Browser::new(&app, "ko");
    assert_eq!(b.get("/search?q=배우").await.status, StatusCode::OK);
    let page = b.get("/search?q=배우").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.has("시도가 너무 많습니다"), "{}", page.html);
    assert!(!page.has("too many requests"), "{}", page.html);
}
