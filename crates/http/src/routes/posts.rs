//! Posts, their versions and votes.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use madang_domain::limits::Action;
use madang_domain::posts::{PostInput, PostQuery};

use crate::AppState;
use crate::dto::{
    NewPostRequest, Paged, PostItemView, PostListParams, PostRequest, PostView, VersionView,
    VoteView, rfc3339,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, Client, Id, JsonBody, MaybeAuth, QueryParams};

#[utoipa::path(get, path = "/api/v1/posts", tag = "posts", params(PostListParams),
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = Paged<PostItemView>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "sentiment filter without the moderator role"), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "a keyword search while this node's search index is being built or catching up; with Retry-After")))]
pub async fn list(
    State(s): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Client(client): Client,
    QueryParams(q): QueryParams<PostListParams>,
) -> ApiResult<Json<Paged<PostItemView>>> {
    if q.keyword.as_deref().is_some_and(|k| !k.trim().is_empty()) {
        s.limits
            .check(Action::Search, viewer.as_ref(), &client)
            .await?;
    }
    let query = PostQuery {
        category_id: q.category_id,
        keyword: q.keyword,
        author_id: q.author_id,
        prefix_id: q.prefix_id,
        sort: q.sort,
        sentiment: q.sentiment,
        page: q.page,
        size: q.size,
        cursor: q.cursor,
    };
    Ok(Json(Paged::new(
        s.posts.list(query, viewer.as_ref()).await?,
        Into::into,
    )))
}

fn input(b: PostRequest) -> PostInput {
    PostInput {
        category_id: b.category_id,
        prefix_id: b.prefix_id,
        title: b.title,
        content: b.content,
    }
}

#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", security(("bearer" = [])), request_body = NewPostRequest,
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 201, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    JsonBody(b): JsonBody<PostRequest>,
) -> ApiResult<(StatusCode, Json<PostView>)> {
    s.limits.check(Action::Post, Some(&actor), &client).await?;
    let post = s.posts.create(&actor, input(b)).await?;
    Ok((StatusCode::CREATED, Json(PostView::new(post, Some(false)))))
}

#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Client(client): Client,
    Id(id): Id,
) -> ApiResult<Json<PostView>> {
    let (post, voted) = s.posts.view(id, viewer.as_ref(), &client).await?;
    Ok(Json(PostView::new(post, voted)))
}

#[utoipa::path(put, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = PostRequest,
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
    JsonBody(b): JsonBody<PostRequest>,
) -> ApiResult<Json<PostView>> {
    s.limits.check(Action::Edit, Some(&actor), &client).await?;
    let (post, voted) = s.posts.edit(&actor, id, input(b)).await?;
    Ok(Json(PostView::new(post, Some(voted))))
}

#[utoipa::path(get, path = "/api/v1/posts/{id}/versions", tag = "posts", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<VersionView>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Id(id): Id,
) -> ApiResult<Json<Vec<VersionView>>> {
    Ok(Json(
        s.posts
            .versions(id, viewer.as_ref())
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/posts/{id}/versions.csv", tag = "posts", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String,
        description = "`version,created_at,title,content`, one row per version, newest first"),
        (status = 404, body = ErrorBody)))]
pub async fn versions_csv(
    State(s): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    let versions = s.posts.versions(id, viewer.as_ref()).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| ApiError::from(madang_domain::Error::internal(e));
    w.write_record(["version", "created_at", "title", "content"])
        .map_err(internal)?;
    for v in versions {
        w.write_record([
            v.version.to_string(),
            rfc3339(v.created_at),
            spreadsheet_safe(v.title),
            spreadsheet_safe(v.content),
        ])
        .map_err(internal)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::from(madang_domain::Error::internal(e.to_string())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"post-{id}-versions.csv\""),
            ),
        ],
        body,
    ))
}

/// A member's text as a CSV cell a spreadsheet shows rather than evaluates: a cell
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
/// LibreOffice and Sheets, so it gets a leading `'` (OWASP's advice for CSV injection).
fn spreadsheet_safe(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    s.posts.delete(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/posts/{id}/vote", tag = "posts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = VoteView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn vote(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
) -> ApiResult<Json<VoteView>> {
    s.limits.check(Action::Vote, Some(&actor), &client).await?;
    let v = s.posts.vote(&actor, id, true).await?;
    Ok(Json(VoteView {
        vote_count: v.vote_count,
        voted: v.voted,
    }))
}

#[utoipa::path(delete, path = "/api/v1/posts/{id}/vote", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = VoteView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unvote(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
) -> ApiResult<Json<VoteView>> {
    s.limits.check(Action::Vote, Some(&actor), &client).await?;
    let v = s.posts.vote(&actor, id, false).await?;
    Ok(Json(VoteView {
        vote_count: v.vote_count,
        voted: v.voted,
    }))
}
