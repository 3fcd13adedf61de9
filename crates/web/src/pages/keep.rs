//! What a member keeps and staff pin from a post page, bookmarks (스크랩) and pinned
//! notices (공지), and whom a member blocks (차단) from a profile.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{Failure, PageResult, form, path_id, see};
use crate::WebState;
use crate::pages::posts::to_login;
use crate::session::Visitor;

/// `POST /posts/{id}/bookmark` with `on=1` (add) or `on=0` (remove).
pub async fn bookmark(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let Some(m) = &v.member else {
        return Ok(to_login(&format!("/posts/{id}")));
    };
    let f = form(&body, &v)?;
    let on = f.get("on") != Some("0");
    state
        .app
        .posts
        .bookmark(&m.actor(), id, on)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    Ok(see(&format!("/posts/{id}")))
}

/// `POST /posts/{id}/pin` with `scope=board|site` (pin) or an empty scope (unpin).
pub async fn pin(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let Some(m) = &v.member else {
        return Ok(to_login(&format!("/posts/{id}")));
    };
    let f = form(&body, &v)?;
    let posts = &state.app.posts;
    match f.get("scope").filter(|s| !s.is_empty()) {
        Some(scope) => posts.pin(&m.actor(), id, Some(scope)).await,
        None => posts.unpin(&m.actor(), id).await,
    }
    .map_err(|e| Failure::new(e, v.lang))?;
    Ok(see(&format!("/posts/{id}")))
}

/// `POST /users/{id}/block` with `on=1` (block) or `on=0` (unblock).
pub async fn block(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let Some(m) = &v.member else {
        return Ok(to_login(&format!("/users/{id}")));
    };
    let f = form(&body, &v)?;
    let on = f.get("on") != Some("0");
    state
        .app
        .blocks
        .set(&m.actor(), id, on)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    Ok(see(&format!("/users/{id}")))
}
