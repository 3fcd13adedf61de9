//! Categories: the public tree and its admin-only changes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use madang_domain::categories::CategoryInput;
use madang_domain::users::Role;

use crate::AppState;
use crate::dto::{CategoryRequest, CategoryView, PrefixRequest};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, JsonBody};

#[utoipa::path(get, path = "/api/v1/categories", tag = "categories", responses((status = 200, body = Vec<CategoryView>)))]
pub async fn tree(State(s): State<AppState>) -> ApiResult<Json<Vec<CategoryView>>> {
    Ok(Json(
        s.categories
            .tree()
            .await?
            .roots()
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/categories", tag = "categories", security(("bearer" = [])),
    request_body = CategoryRequest,
    responses((status = 201, body = CategoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<CategoryRequest>,
) -> ApiResult<(StatusCode, Json<CategoryView>)> {
    actor.ensure_role(Role::Admin)?;
    actor.ensure_can_write()?;
    let node = s
        .categories
        .create(CategoryInput {
            name: b.name,
            parent_id: b.parent_id,
            prefix_required: b.prefix_required,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(node.into())))
}

#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "categories", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CategoryRequest,
    responses((status = 200, body = CategoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
    JsonBody(b): JsonBody<CategoryRequest>,
) -> ApiResult<Json<CategoryView>> {
    actor.ensure_role(Role::Admin)?;
    actor.ensure_can_write()?;
    let node = s
        .categories
        .update(
            id,
            CategoryInput {
                name: b.name,
                parent_id: b.parent_id,
                prefix_required: b.prefix_required,
            },
        )
        .await?;
    Ok(Json(node.into()))
}

#[utoipa::path(delete, path = "/api/v1/categories/{id}", tag = "categories", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    actor.ensure_role(Role::Admin)?;
    actor.ensure_can_write()?;
    s.categories.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/categories/{id}/prefixes", tag = "categories", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PrefixRequest,
    responses((status = 201, body = CategoryView, description = "the board with its prefixes"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the board has a prefix of this name"), (status = 422, body = ErrorBody)))]
pub async fn add_prefix(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
    JsonBody(b): JsonBody<PrefixRequest>,
) -> ApiResult<(StatusCode, Json<CategoryView>)> {
    actor.ensure_role(Role::Admin)?;
    actor.ensure_can_write()?;
    let Some(name) = b.name else {
        return Err(madang_domain::Error::invalid("name", "required", "name is required").into());
    };
    let node = s.categories.add_prefix(id, &name).await?;
    Ok((StatusCode::CREATED, Json(node.into())))
}

#[utoipa::path(delete, path = "/api/v1/prefixes/{id}", tag = "categories", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "deleted; the posts that carried it carry none"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_prefix(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    actor.ensure_role(Role::Admin)?;
    actor.ensure_can_write()?;
    s.categories.delete_prefix(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
