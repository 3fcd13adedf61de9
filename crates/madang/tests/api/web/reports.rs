//! Reporting (신고) from the web app: the button for members other than the author, on
//! a post and on each comment, and the notice that the report was received.

use reqwest::StatusCode;

use super::Browser;
use crate::helpers::spawn;

#[tokio::test]
async fn a_member_reports_a_post_and_a_comment_from_their_page_and_the_author_sees_no_button() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut author = Browser::new(&app, "ko");
    author.sign_up("글쓴이").await;
    let id = author.write(board, "광고 글", "싸게 팝니다").await;
    let commented = author
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/comments"),
            &[("content", "댓글도 광고")],
        )
        .await;
    assert_eq!(
        commented.status,
        StatusCode::SEE_OTHER,
        "{}",
        commented.html
    );
    let own = author.get(&format!("/posts/{id}")).await;
    assert!(
        !own.has("/report\""),
        "no report button on one's own content"
    );

    let mut reader = Browser::new(&app, "ko");
    reader.sign_up("독자").await;
    let page = reader.get(&format!("/posts/{id}")).await;
    assert!(page.has(&format!("action=\"/posts/{id}/report\"")));
    assert!(page.has("<summary>신고</summary>"));
    let comment: i64 = app.count("SELECT MAX(id) FROM comments").await;
    assert!(page.has(&format!("action=\"/comments/{comment}/report\"")));

    let sent = reader
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/report"),
            &[("reason", "spam"), ("detail", "같은 글 반복")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let back = sent.location.unwrap();
    assert_eq!(back, format!("/posts/{id}?reported=1"));
    let shown = reader.get(&back).await;
    assert!(shown.has("신고가 접수되었습니다"), "{}", shown.html);

    let sent = reader
        .submit(
            &format!("/posts/{id}"),
            &format!("/comments/{comment}/report"),
            &[("reason", "abuse")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 2);

    // A reason from outside the form's choices comes back as a page in the layout.
    let bad = reader
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/report"),
            &[("reason", "boring")],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "a page of the 400 kind"
    );
    assert!(bad.has("<html"), "an HTML page, never JSON");
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 2);
}
