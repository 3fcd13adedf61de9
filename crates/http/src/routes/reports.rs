//! Reports (신고) and the public moderation log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use madang_domain::limits::Action;
use madang_domain::reports::TargetKind;

use crate::AppState;
use crate::dto::{ModlogEntryView, PageParams, Paged, ReportRequest, ReportView};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Client, Id, JsonBody, QueryParams};

async fn file(
    s: &AppState,
    actor: &madang_domain::accounts::Actor,
    client: &madang_domain::accounts::ClientInfo,
    kind: TargetKind,
    id: i64,
    b: ReportRequest,
) -> ApiResult<(StatusCode, Json<ReportView>)> {
    s.limits.check(Action::Report, Some(actor), client).await?;
    let (report, created) = s
        .reports
        .file(actor, kind, id, b.reason.as_deref(), b.detail.as_deref())
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report.into())))
}

#[utoipa::path(post, path = "/api/v1/posts/{id}/reports", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReportRequest,
    responses((status = 201, body = ReportView, description = "reported"),
        (status = 200, body = ReportView, description = "your open report of this post, unchanged"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "your own post, or you may not write"),
        (status = 404, body = ErrorBody, description = "no such post, or it is deleted or held"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After")))]
pub async fn report_post(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
    JsonBody(b): JsonBody<ReportRequest>,
) -> ApiResult<(StatusCode, Json<ReportView>)> {
    file(&s, &actor, &client, TargetKind::Post, id, b).await
}

#[utoipa::path(post, path = "/api/v1/comments/{id}/reports", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReportRequest,
    responses((status = 201, body = ReportView, description = "reported"),
        (status = 200, body = ReportView, description = "your open report of this comment, unchanged"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "your own comment, or you may not write"),
        (status = 404, body = ErrorBody, description = "no such comment, or it (or its post) is deleted or held"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After")))]
pub async fn report_comment(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Client(client): Client,
    Id(id): Id,
    JsonBody(b): JsonBody<ReportRequest>,
) -> ApiResult<(StatusCode, Json<ReportView>)> {
    file(&s, &actor, &client, TargetKind::Comment, id, b).await
}

#[utoipa::path(get, path = "/api/v1/users/me/reports", tag = "reports", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Paged<ReportView>, description = "your reports, newest first, with what became of them"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn my_reports(
    State(s): State<AppState>,
    Auth(actor): Auth,
    QueryParams(q): QueryParams<PageParams>,
) -> ApiResult<Json<Paged<ReportView>>> {
    let page = s
        .reports
        .mine(&actor, q.page, q.size, q.cursor.as_deref())
        .await?;
    Ok(Json(Paged::new(page, Into::into)))
}

#[utoipa::path(get, path = "/api/v1/modlog", tag = "reports", params(PageParams),
    responses((status = 200, body = Paged<ModlogEntryView>, description = "what moderators did, newest first: the action, its target, the reason and the moderator's role, never the moderator's name"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn modlog(
    State(s): State<AppState>,
    QueryParams(q): QueryParams<PageParams>,
) -> ApiResult<Json<Paged<ModlogEntryView>>> {
    let page = s
        .reports
        .modlog(q.page, q.size, q.cursor.as_deref())
        .await?;
    Ok(Json(Paged::new(page, Into::into)))
}
