//! Replies (대댓글) in the web app: a reply form under each comment, replies shown under
//! their comment, and a deleted comment with replies kept as "삭제된 댓글입니다".

use reqwest::StatusCode;

use super::Browser;
use crate::helpers::spawn;

#[tokio::test]
async fn a_member_replies_under_a_comment_and_a_deleted_one_reads_as_a_placeholder() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("글쓴이").await;
    let id = b.write(board, "질문", "내용").await;
    b.submit(
        &format!("/posts/{id}"),
        &format!("/posts/{id}/comments"),
        &[("content", "원댓글")],
    )
    .await;
    let top: i64 = app.count("SELECT MAX(id) FROM comments").await;
    let page = b.get(&format!("/posts/{id}")).await;
    assert!(
        page.has(&format!("name=\"parent_id\" value=\"{top}\"")),
        "a reply form"
    );
    assert!(page.has("<summary>답글</summary>"));

    let top_s = top.to_string();
    let sent = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/comments"),
            &[("content", "답글입니다"), ("parent_id", &top_s)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let page = b.get(&format!("/posts/{id}")).await;
    let (at_top, at_reply) = (
        page.html.find("원댓글").unwrap(),
        page.html.find("답글입니다").unwrap(),
    );
    assert!(at_top < at_reply, "the reply follows its comment");
    assert!(page.has("class=\"comment reply\""), "marked as a reply");

    // An empty reply comes back with the message and stays a reply.
    let refused = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/comments"),
            &[("content", " "), ("parent_id", &top_s)],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.has(&format!("name=\"parent_id\" value=\"{top}\"")));
    assert!(refused.has("답글 쓰기"));

    let (s, _) = app
        .req(
            reqwest::Method::DELETE,
            &format!("/api/v1/comments/{top}"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE comments SET deleted_at = 1 WHERE id = {top}"
    )))
    .execute(&app.db)
    .await
    .unwrap();
    app.maintenance.reconcile().await.unwrap();
    let page = b.get(&format!("/posts/{id}")).await;
    assert!(page.has("삭제된 댓글입니다."), "{}", page.html);
    assert!(!page.has("원댓글"));
    assert!(page.has("답글입니다"));
}

#[tokio::test]
async fn a_mention_links_to_the_members_profile_and_the_rest_stays_text() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("글쓴이").await;
    let id = b.write(board, "질문", "내용").await;
    let other = app.member("답변자").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/posts/{id}/comments"),
            Some(&other.token),
            serde_json::json!({"content": "@글쓴이님 <b>확인</b> 부탁드려요 @없는이름"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let me = b.get("/me").await;
    let my_id = super::hidden_user_id(&me.html);
    let page = b.get(&format!("/posts/{id}")).await;
    assert!(
        page.has(&format!(
            "<a class=\"mention\" href=\"/users/{my_id}\">@글쓴이</a>님 &lt;b&gt;확인&lt;/b&gt;"
        )),
        "{}",
        page.html
    );
    assert!(page.has("@없는이름"), "an unknown name stays text");
}
