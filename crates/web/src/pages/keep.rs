//! What a member keeps and staff pin from a post page, bookmarks (스크랩) and pinned
//! notices (공지), and whom a member blocks (차단) from a profile.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{Failure, PageResult, member_form, see};
use crate::WebState;
use crate::session::Visitor;

/// `POST /posts/{id}/bookmark` with `on=1` (add) or `on=0` (remove).
pub async fn bookmark(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let (id, m, f) = match member_form(&v, &raw_id, &body, "/posts")? {
        Ok(sent) => sent,
        Err(log_in) => return Ok(log_in),
    };
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
    let (id, m, f) = match member_form(&v, &raw_id, &body, "/posts")? {
        Ok(sent) => sent,
        Err(log_in) => return Ok(log_in),
    };
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
    let (id, m, f) = match member_form(&v, &raw_id, &body, "/users")? {
        Ok(sent) => sent,
        Err(log_in) => return Ok(log_in),
    };
    let on = f.get("on") != Some("0");
    state
        .app
        .blocks
        .set(&m.actor(), id, on)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    Ok(see(&format!("/users/{id}")))
}
