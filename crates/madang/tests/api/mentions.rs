//! Mentions (`@이름`): stored by member id (case-folded, NFC, the longest known name
//! before a Korean particle), at most 20 a text, carried in responses, surviving renames
//! and edits, and notified once each.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn;
use crate::notifications::{jobs_settled, notified};

fn mentioned(v: &Value) -> Vec<(i64, String)> {
    v["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_i64().unwrap(),
                m["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_mention_is_stored_by_id_survives_a_rename_and_tells_the_member_once() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let cheolsu = app.member("철수").await;
    let minji = app.member("MinJi").await;
    let post = app.new_post(&author, cat, "글", "내용").await;

    // A particle after the name, another case, an unknown name and an email address.
    let text = "@철수님 보셨어요? @minji 도요. @없는사람 a@철수.kr";
    let (s, c) = app
        .post(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&author.token),
            json!({"content": text}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(
        mentioned(&c),
        [
            (cheolsu.id, "철수".to_owned()),
            (minji.id, "MinJi".to_owned())
        ]
    );
    assert_eq!(c["content"], text, "the text is kept as written");
    let id = c["id"].as_i64().unwrap();
    for m in [&cheolsu, &minji] {
        let told = notified(&app, m, |n| !n.is_empty()).await;
        assert_eq!(told[0]["kind"], "mention");
        assert_eq!(told[0]["comment_id"], id);
        assert_eq!(told[0]["actor"]["id"], author.id);
    }

    // A rename keeps the mention: it is by id.
    let (s, b) = app
        .req(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            Some(&cheolsu.token),
            Some(json!({"name": "영희"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, list) = app
        .get(&format!("/api/v1/posts/{post}/comments"), None)
        .await;
    assert_eq!(
        mentioned(&list["data"][0]),
        [
            (cheolsu.id, "영희".to_owned()),
            (minji.id, "MinJi".to_owned())
        ]
    );

    // An edit that adds a mention tells only the member it adds.
    let late = app.member("민수").await;
    let (s, e) = app
        .put(
            &format!("/api/v1/comments/{id}"),
            Some(&author.token),
            Some(json!({"content": format!("{text} @민수")})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        mentioned(&e).len(),
        2,
        "the old name no longer matches: {e}"
    );
    notified(&app, &late, |n| n.len() == 1).await;
    jobs_settled(&app).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notifications WHERE kind = 'mention'")
            .await,
        3
    );
}

#[tokio::test]
async fn a_post_mentions_too_at_most_twenty_and_never_notifies_its_author() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let author = app.member("author").await;
    let mut names = Vec::new();
    for i in 0..22 {
        let name = format!("m{i:02}");
        app.member(&name).await;
        names.push(name);
    }
    // The author first: mentioned, but never told.
    let body: String =
        "@author ".to_owned() + &names.iter().map(|n| format!("@{n} ")).collect::<String>();
    let (s, p) = app
        .post(
            "/api/v1/posts",
            Some(&author.token),
            json!({"category_id": cat, "title": "공지", "content": body}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        p["mentions"].as_array().unwrap().len(),
        20,
        "the rest stay text"
    );
    let id = p["id"].as_i64().unwrap();
    let (_, got) = app.get(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(mentioned(&got), mentioned(&p));
    jobs_settled(&app).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notifications WHERE kind = 'mention' AND post_id IS NOT NULL AND comment_id IS NULL").await,
        19
    );
    let (_, mine) = app.get("/api/v1/notifications", Some(&author.token)).await;
    assert_eq!(
        mine["page_info"]["total_items"], 0,
        "not for mentioning oneself"
    );
}
