//! Comments on posts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use madang_domain::comments::ORDER_OF_POST;
use madang_domain::limits::Action;
use madang_domain::listing::PageRequest;

use crate::AppState;
use crate::dto::{
    CommentRequest, CommentVersionView, CommentView, NewCommentRequest, PageParams, Paged,
    VoteView, rfc3339,
};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Client, Id, JsonBody, MaybeAuth, QueryParams};

#[utoipa::path(get, path = "/api/v1/posts/{id}/comments", tag = "comments", params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Paged<CommentView>), (status = 404, body = ErrorBody)))]
pub async fn of_post(
    State(s): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Id(id): Id,
    QueryParams(q): QueryParams<PageParams>,
) -> ApiResult<Json<Paged<CommentView>>> {
    let page = PageRequest::parse(q.page, q.size, q.cursor.as_deref(), ORDER_OF_POST)?;
    let page = s.comments.of_post(id, &page, viewer.as_ref()).await?;
    Ok(Json(Paged::new(page, |(c, voted)| {
        CommentView::new(c, voted)
    })))
}

#[utoipa::path(post, path = "/api/v1/posts/{id}/comments", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewCommentRequest,
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 201, body = CommentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid content, or a parent_id that names no live comment of this post")))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
    JsonBody(b): JsonBody<NewCommentRequest>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    s.limits
        .check(Action::Comment, Some(&actor), &client)
        .await?;
    let (c, voted) = s
        .comments
        .create(&actor, id, b.content.as_deref(), b.parent_id)
        .await?;
    Ok((StatusCode::CREATED, Json(CommentView::new(c, voted))))
}

#[utoipa::path(put, path = "/api/v1/comments/{id}", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CommentRequest,
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = CommentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
    JsonBody(b): JsonBody<CommentRequest>,
) -> ApiResult<Json<CommentView>> {
    s.limits.check(Action::Edit, Some(&actor), &client).await?;
    let (c, voted) = s.comments.edit(&actor, id, b.content.as_deref()).await?;
    Ok(Json(CommentView::new(c, voted)))
}

#[utoipa::path(get, path = "/api/v1/comments/{id}/versions", tag = "comments", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CommentVersionView>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    Id(id): Id,
) -> ApiResult<Json<Vec<CommentVersionView>>> {
    let versions = s.comments.versions(id).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|v| CommentVersionView {
                version: v.version,
                content: v.content,
                created_at: rfc3339(v.created_at),
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    s.comments.delete(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/comments/{id}/vote", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = VoteView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn vote(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
) -> ApiResult<Json<VoteView>> {
    s.limits.check(Action::Vote, Some(&actor), &client).await?;
    let v = s.comments.vote(&actor, id, true).await?;
    Ok(Json(VoteView {
        vote_count: v.vote_count,
        voted: v.voted,
    }))
}

#[utoipa::path(delete, path = "/api/v1/comments/{id}/vote", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = VoteView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unvote(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
) -> ApiResult<Json<VoteView>> {
    s.limits.check(Action::Vote, Some(&actor), &client).await?;
    let v = s.comments.vote(&actor, id, false).await?;
    Ok(Json(VoteView {
        vote_count: v.vote_count,
        voted: v.voted,
    }))
}
