//! Notifications (알림): the member's list, the unread count, marking read, and which
//! kinds they get.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::dto::{
    MarkedView, NotificationParams, NotificationSettings, NotificationView, Paged, UnreadView,
};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, JsonBody, QueryParams};

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationParams),
    responses((status = 200, body = Paged<NotificationView>, description = "newest first"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    QueryParams(q): QueryParams<NotificationParams>,
) -> ApiResult<Json<Paged<NotificationView>>> {
    let page = s
        .notifications
        .list(
            &actor,
            q.unread.unwrap_or(false),
            q.page,
            q.size,
            q.cursor.as_deref(),
        )
        .await?;
    Ok(Json(Paged::new(page, Into::into)))
}

#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = UnreadView), (status = 401, body = ErrorBody)))]
pub async fn unread_count(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<UnreadView>> {
    let unread = s.notifications.unread_count(&actor).await?;
    Ok(Json(UnreadView { unread }))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "read (again: no change)"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such notification of yours")))]
pub async fn read(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    s.notifications.read(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedView), (status = 401, body = ErrorBody)))]
pub async fn read_all(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<MarkedView>> {
    let marked = s.notifications.read_all(&actor).await?;
    Ok(Json(MarkedView { marked }))
}

#[utoipa::path(get, path = "/api/v1/users/me/notification-settings", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = ErrorBody)))]
pub async fn settings(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<NotificationSettings>> {
    let p = s.notifications.preferences(&actor).await?;
    Ok(Json(p.into()))
}

#[utoipa::path(put, path = "/api/v1/users/me/notification-settings", tag = "notifications", security(("bearer" = [])),
    request_body(content = NotificationSettings, description = "the kinds to turn on (true) or off (false); the others stay"),
    responses((status = 200, body = NotificationSettings), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    State(s): State<AppState>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<NotificationSettings>,
) -> ApiResult<Json<NotificationSettings>> {
    let p = s
        .notifications
        .set_preferences(&actor, &b.changes())
        .await?;
    Ok(Json(p.into()))
}
