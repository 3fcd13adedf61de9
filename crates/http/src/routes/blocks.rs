//! Blocking (차단) members.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::dto::AuthorView;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id};

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockView {
    pub blocked: bool,
}

#[utoipa::path(put, path = "/api/v1/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = BlockView, description = "blocked (again: no change): their posts and comments leave your lists, and they never notify you"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "no such member"),
        (status = 422, body = ErrorBody, description = "yourself, or past 1,000 blocks")))]
pub async fn block(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<Json<BlockView>> {
    let blocked = s.blocks.set(&actor, id, true).await?;
    Ok(Json(BlockView { blocked }))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = BlockView, description = "not blocked (any more)"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unblock(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<Json<BlockView>> {
    let blocked = s.blocks.set(&actor, id, false).await?;
    Ok(Json(BlockView { blocked }))
}

#[utoipa::path(get, path = "/api/v1/users/me/blocks", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<AuthorView>, description = "the members you block, most recent first"),
        (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<AuthorView>>> {
    let list = s.blocks.list(&actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|a| AuthorView {
                id: a.id,
                name: a.name,
            })
            .collect(),
    ))
}
