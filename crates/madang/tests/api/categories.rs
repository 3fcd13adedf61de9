use madang_domain::users::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, detail_fields, spawn};

#[tokio::test]
async fn only_admins_change_categories() {
    let app = spawn().await;
    let m = app.member("plain").await;
    let moderator = app.staff("moder", Role::Moderator).await;
    let (s, b) = app
        .post("/api/v1/categories", Some(&m.token), json!({"name": "x"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&b, "forbidden");
    assert_eq!(
        app.post(
            "/api/v1/categories",
            Some(&moderator.token),
            json!({"name": "x"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/v1/categories", None, json!({"name": "x"}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM categories").await, 0);
}

#[tokio::test]
async fn the_tree_nests_with_tiers_and_renames_and_moves() {
    let app = spawn().await;
    let admin = app.staff("admin", Role::Admin).await;
    let root = app.category(&admin, "개발", None).await;
    let child = app.category(&admin, "Rust", Some(root)).await;
    let grandchild = app.category(&admin, "async", Some(child)).await;
    let other = app.category(&admin, "잡담", None).await;

    let (s, tree) = app.get("/api/v1/categories", None).await;
    assert_eq!(s, StatusCode::OK);
    let roots = tree.as_array().unwrap();
    assert_eq!(roots.len(), 2);
    let dev = roots.iter().find(|c| c["id"] == root).unwrap();
    assert_eq!(dev["tier"], 1);
    assert_eq!(dev["children"][0]["name"], "Rust");
    assert_eq!(dev["children"][0]["tier"], 2);
    assert_eq!(dev["children"][0]["children"][0]["id"], grandchild);
    assert_eq!(dev["children"][0]["children"][0]["tier"], 3);

    let (s, c) = app
        .req(
            Method::PATCH,
            &format!("/api/v1/categories/{child}"),
            Some(&admin.token),
            Some(json!({"name": "러스트"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["name"], "러스트");
    assert_eq!(c["parent_id"], root);

    // Moving below its own descendant would make a cycle.
    let (s, b) = app
        .req(
            Method::PATCH,
            &format!("/api/v1/categories/{root}"),
            Some(&admin.token),
            Some(json!({"parent_id": grandchild})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["details"][0]["constraint"], "no_cycle");
    let (s, b) = app
        .req(
            Method::PATCH,
            &format!("/api/v1/categories/{root}"),
            Some(&admin.token),
            Some(json!({"parent_id": root})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    let (s, c) = app
        .req(
            Method::PATCH,
            &format!("/api/v1/categories/{child}"),
            Some(&admin.token),
            Some(json!({"parent_id": other})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["parent_id"], other);
    assert_eq!(c["children"][0]["tier"], 3);
    let (s, c) = app
        .req(
            Method::PATCH,
            &format!("/api/v1/categories/{child}"),
            Some(&admin.token),
            Some(json!({"parent_id": null})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["tier"], 1);

    let (s, _) = app
        .req(
            Method::PATCH,
            "/api/v1/categories/999999",
            Some(&admin.token),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sibling_names_are_unique_and_input_is_checked() {
    let app = spawn().await;
    let admin = app.staff("admin", Role::Admin).await;
    let root = app.category(&admin, "공지", None).await;
    let (s, b) = app
        .post(
            "/api/v1/categories",
            Some(&admin.token),
            json!({"name": "공지"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(detail_fields(&b), ["name"]);
    // The same name under another parent is fine.
    app.category(&admin, "공지", Some(root)).await;
    let (s, b) = app
        .post(
            "/api/v1/categories",
            Some(&admin.token),
            json!({"name": "  ", "parent_id": 424242}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = detail_fields(&b);
    f.sort();
    assert_eq!(f, ["name", "parent_id"]);
    let (s, _) = app
        .post(
            "/api/v1/categories",
            Some(&admin.token),
            json!({"name": "x".repeat(51)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_category_with_posts_or_children_is_not_deleted() {
    let app = spawn().await;
    let admin = app.staff("admin", Role::Admin).await;
    let root = app.category(&admin, "root", None).await;
    let leaf = app.category(&admin, "leaf", Some(root)).await;
    let empty = app.category(&admin, "empty", None).await;
    app.new_post(&admin, leaf, "t", "c").await;

    let (s, b) = app
        .delete(
            &format!("/api/v1/categories/{root}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_error(&b, "conflict");
    assert_eq!(
        app.delete(
            &format!("/api/v1/categories/{leaf}"),
            Some(&admin.token),
            None
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.delete(
            &format!("/api/v1/categories/{empty}"),
            Some(&admin.token),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(
            &format!("/api/v1/categories/{empty}"),
            Some(&admin.token),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM categories").await, 2);
}
