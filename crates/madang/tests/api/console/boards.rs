//! A board's prefixes (말머리) from the console: added, made required and removed by an
//! admin, each change audited; refused for a moderator; a refused form comes back
//! with what was typed.

use madang_domain::users::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{audit_rows, staff};
use crate::helpers::{TestApp, spawn};

async fn board(app: &TestApp, id: i64) -> Value {
    let (_, tree) = app.get("/api/v1/categories", None).await;
    tree.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn admins_manage_a_boards_prefixes_and_every_change_is_audited() {
    let app = spawn().await;
    let (api_admin, cat) = app.board().await;
    let other = app.category(&api_admin, "질문게시판", None).await;
    let (boss, _) = staff(&app, "boss", Role::Admin).await;
    let edit = format!("/admin/categories/{cat}/edit");

    let (s, page) = boss.get(&format!("/admin/categories/{cat}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("value=\"add_prefix\""), "{page}");
    assert!(
        !page.contains("value=\"delete_prefix\""),
        "nothing to remove yet"
    );

    let (s, _, to) = boss
        .post(&edit, &[("op", "add_prefix"), ("name", "[질문]")], true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.unwrap().ends_with(&format!("/admin/categories/{cat}")));
    let b = board(&app, cat).await;
    assert_eq!(b["prefixes"][0]["name"], "질문");
    let question = b["prefixes"][0]["id"].as_i64().unwrap();
    assert_eq!(audit_rows(&app).await, 1);

    // The same name again (any case, brackets or not): refused beside the field, kept.
    let (s, page, _) = boss
        .post(&edit, &[("op", "add_prefix"), ("name", "질문")], true)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("value=\"질문\""), "{page}");
    assert_eq!(audit_rows(&app).await, 1);

    // Required: posts through the API must now name one.
    let (s, _, _) = boss
        .post(
            &edit,
            &[("op", "prefix_required"), ("prefix_required", "yes")],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(board(&app, cat).await["prefix_required"], true);
    let (s, body) = app
        .post(
            "/api/v1/posts",
            Some(&api_admin.token),
            json!({"category_id": cat, "title": "말머리 없음", "content": "본문"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Setting what is already set writes nothing.
    boss.post(
        &edit,
        &[("op", "prefix_required"), ("prefix_required", "yes")],
        true,
    )
    .await;
    assert_eq!(audit_rows(&app).await, 2);
    let (s, _, _) = boss
        .post(
            &edit,
            &[("op", "prefix_required"), ("prefix_required", "maybe")],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Another board's prefix is not this board's to remove.
    let (_, b) = app
        .post(
            &format!("/api/v1/categories/{other}/prefixes"),
            Some(&api_admin.token),
            json!({"name": "기타"}),
        )
        .await;
    let foreign = b["prefixes"][0]["id"].as_i64().unwrap().to_string();
    let (s, _, _) = boss
        .post(
            &edit,
            &[("op", "delete_prefix"), ("prefix", &foreign)],
            true,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(board(&app, other).await["prefixes"][0]["name"], "기타");

    let id = question.to_string();
    let (s, _, _) = boss
        .post(&edit, &[("op", "delete_prefix"), ("prefix", &id)], true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(board(&app, cat).await["prefixes"], json!([]));
    assert_eq!(audit_rows(&app).await, 3);
    let (_, log) = boss.get("/admin/audit").await;
    assert!(log.contains("질문"), "the log names the prefix: {log}");

    // A moderator may not.
    let (moderator, _) = staff(&app, "mod1", Role::Moderator).await;
    let (s, _, _) = moderator
        .post(&edit, &[("op", "add_prefix"), ("name", "잡담")], true)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(audit_rows(&app).await, 3);
}

#[tokio::test]
async fn moderators_pin_and_unpin_from_the_console_up_to_five_a_board() {
    let app = spawn().await;
    let (api_admin, cat) = app.board().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            app.new_post(&api_admin, cat, &format!("공지 후보 {i}"), "본문")
                .await
                .to_string(),
        );
    }
    let (moderator, _) = staff(&app, "mod1", Role::Moderator).await;
    let pin = |stage: &'static str, ids: &[String], scope: &'static str| {
        let mut f: Vec<(&str, String)> = vec![
            ("action", "pin_posts".into()),
            ("stage", stage.into()),
            ("scope", scope.into()),
        ];
        f.extend(ids.iter().map(|i| ("ids", i.clone())));
        f
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let moderator = &moderator;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            moderator.post("/admin/posts/action", &f, true).await
        }
    };

    // Review first: what changes, then the confirm button.
    let (s, page, _) = send(pin("review", &ids[..5], "board")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("value=\"apply\""), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM post_pins").await, 0);
    let (s, _, to) = send(pin("apply", &ids[..5], "board")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.unwrap().ends_with("done=5"));
    let (_, list) = app
        .get(&format!("/api/v1/posts?category_id={cat}"), None)
        .await;
    let pinned = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pinned"] == true)
        .count();
    assert_eq!(pinned, 5);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'pin'")
            .await,
        5
    );

    // A sixth in the board is refused, saying why, and nothing is written.
    let (s, page, _) = send(pin("apply", &ids[5..6], "board")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("at most 5 pinned posts"), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM post_pins").await, 5);
    // A scope that is neither is refused beside its field.
    let (s, page, _) = send(pin("apply", &ids[5..6], "everywhere")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("scope"), "{page}");

    // A deleted post is not offered for pinning.
    let (s, _) = app
        .delete(
            &format!("/api/v1/posts/{}", ids[6]),
            Some(&api_admin.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, page, _) = send(pin("review", &ids[6..7], "site")).await;
    assert!(!page.contains("value=\"apply\""), "{page}");

    // The post's page offers unpinning; unpinning twice changes nothing the second time.
    let (_, page) = moderator.get(&format!("/admin/posts/{}", ids[0])).await;
    assert!(page.contains("value=\"unpin_posts\""), "{page}");
    let unpin = [
        ("action", "unpin_posts"),
        ("stage", "apply"),
        ("ids", ids[0].as_str()),
    ];
    let (_, _, to) = moderator.post("/admin/posts/action", &unpin, true).await;
    assert!(to.unwrap().ends_with("done=1"));
    let (_, _, to) = moderator.post("/admin/posts/action", &unpin, true).await;
    assert!(to.unwrap().ends_with("done=0"));
    assert_eq!(app.count("SELECT COUNT(*) FROM post_pins").await, 4);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'unpin'")
            .await,
        1
    );
}
