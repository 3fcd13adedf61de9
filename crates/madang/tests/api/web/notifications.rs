//! Notifications (알림) in the web app: the bell's unread count, the list, opening one
//! (read, and on to the comment), and marking all read.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::Browser;
use crate::helpers::spawn;

#[tokio::test]
async fn the_bell_counts_unread_notifications_and_opening_one_goes_to_the_comment() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("글쓴이").await;
    let id = b.write(board, "질문 있어요", "내용").await;
    let page = b.get("/notifications").await;
    assert!(page.has("아직 알림이 없습니다."));

    let other = app.member("답변자").await;
    for text in ["첫 답변", "둘째 답변"] {
        let (s, _) = app
            .post(
                &format!("/api/v1/posts/{id}/comments"),
                Some(&other.token),
                json!({"content": text}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let home = loop {
        let home = b.get("/").await;
        if home.has("<span class=\"count\">2</span>") {
            break home;
        }
        assert!(
            Instant::now() < deadline,
            "the bell never counted: {}",
            home.html
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(home.has("href=\"/notifications\""));
    let list = b.get("/notifications").await;
    assert!(
        list.has("답변자님이 내 글에 댓글을 남겼습니다."),
        "{}",
        list.html
    );
    assert!(list.has("class=\"notification unread\""));
    let newest: i64 = app.count("SELECT MAX(id) FROM notifications").await;
    let comment: i64 = app.count("SELECT MAX(id) FROM comments").await;
    let opened = b
        .submit(
            "/notifications",
            &format!("/notifications/{newest}/open"),
            &[],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.html);
    assert_eq!(
        opened.location.as_deref(),
        Some(format!("/posts/{id}#comment-{comment}").as_str())
    );
    assert!(b.get("/").await.has("<span class=\"count\">1</span>"));
    let done = b
        .submit("/notifications", "/notifications/read-all", &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let list = b.get("/notifications").await;
    assert!(!list.has("class=\"notification unread\""));
    assert!(!list.has("class=\"count\""));
    // Someone else's notification cannot be opened.
    let mut stranger = Browser::new(&app, "ko");
    stranger.sign_up("낯선이").await;
    let refused = stranger
        .submit(
            "/notifications",
            &format!("/notifications/{newest}/open"),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_member_blocks_another_from_their_profile_and_their_posts_leave_the_home_page() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let pest = app.member("광고꾼").await;
    app.new_post(&pest, board, "광고 글입니다", "싸요").await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("독자").await;
    assert!(b.get("/").await.has("광고 글입니다"));
    let profile = format!("/users/{}", pest.id);
    let page = b.get(&profile).await;
    assert!(page.has(&format!("action=\"/users/{}/block\"", pest.id)));
    let done = b
        .submit(
            &profile,
            &format!("/users/{}/block", pest.id),
            &[("on", "1")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let page = b.get(&profile).await;
    assert!(
        page.has("차단 해제") && page.has("차단한 회원입니다."),
        "{}",
        page.html
    );
    assert!(
        page.has("광고 글입니다"),
        "the profile still lists their posts"
    );
    assert!(
        !b.get("/").await.has("광고 글입니다"),
        "the home page does not"
    );
    b.submit(
        &profile,
        &format!("/users/{}/block", pest.id),
        &[("on", "0")],
    )
    .await;
    assert!(b.get("/").await.has("광고 글입니다"));
    // Nobody is offered to block themselves.
    let me = b.get("/me").await;
    let own = super::hidden_user_id(&me.html);
    assert!(!b.get(&format!("/users/{own}")).await.has("/block\""));
}
