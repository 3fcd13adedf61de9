//! Pinned notices and bookmarks.

use axum::Json;
use axum::extract::State;

use crate::AppState;
use crate::dto::{BookmarkItemView, BookmarkView, PageParams, Paged, PinRequest, PostView};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, OptionalJson, QueryParams};

#[utoipa::path(put, path = "/api/v1/posts/{id}/pin", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body(content = Option<PinRequest>, description = "the scope; empty pins in the board"),
    responses((status = 200, body = PostView, description = "pinned (again: no change)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not a moderator or admin"),
        (status = 404, body = ErrorBody, description = "no such post, or it is deleted"),
        (status = 409, body = ErrorBody, description = "the board (or the site) holds 5 pins already"),
        (status = 422, body = ErrorBody)))]
pub async fn pin(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
    OptionalJson(b): OptionalJson<PinRequest>,
) -> ApiResult<Json<PostView>> {
    let scope = b.and_then(|b| b.scope);
    let post = s.posts.pin(&actor, id, scope.as_deref()).await?;
    Ok(Json(PostView::new(post, None)))
}

#[utoipa::path(delete, path = "/api/v1/posts/{id}/pin", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PostView, description = "not pinned (any more)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unpin(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<Json<PostView>> {
    let post = s.posts.unpin(&actor, id).await?;
    Ok(Json(PostView::new(post, None)))
}

#[utoipa::path(put, path = "/api/v1/posts/{id}/bookmark", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = BookmarkView, description = "bookmarked (again: no change)"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "no such post, or it is deleted")))]
pub async fn bookmark(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<Json<BookmarkView>> {
    let bookmarked = s.posts.bookmark(&actor, id, true).await?;
    Ok(Json(BookmarkView { bookmarked }))
}

#[utoipa::path(delete, path = "/api/v1/posts/{id}/bookmark", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = BookmarkView, description = "not bookmarked (any more)"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unbookmark(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<Json<BookmarkView>> {
    let bookmarked = s.posts.bookmark(&actor, id, false).await?;
    Ok(Json(BookmarkView { bookmarked }))
}

#[utoipa::path(get, path = "/api/v1/users/me/bookmarks", tag = "users", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Paged<BookmarkItemView>, description = "newest bookmark first; deleted posts left out"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn my_bookmarks(
    State(s): State<AppState>,
    Auth(actor): Auth,
    QueryParams(q): QueryParams<PageParams>,
) -> ApiResult<Json<Paged<BookmarkItemView>>> {
    let page = s
        .posts
        .bookmarks(&actor, q.page, q.size, q.cursor.as_deref())
        .await?;
    Ok(Json(Paged::new(page, Into::into)))
}
