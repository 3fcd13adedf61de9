//! Health endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::dto::{HealthCheckView, HealthView};
use crate::error::{ApiError, ErrorBody, ErrorDetail};

/// How long a readiness probe waits for one backend.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, body = HealthView)))]
pub async fn live() -> Json<HealthView> {
    Json(HealthView {
        status: "ok",
        checks: vec![],
    })
}

#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses((status = 200, body = HealthView),
        (status = 503, body = ErrorBody, description = "a backend is unreachable; `details` names each failing part")))]
pub async fn ready(State(s): State<AppState>) -> Response {
    let mut checks = Vec::with_capacity(s.probes.len());
    for p in s.probes.iter() {
        let r = match tokio::time::timeout(PROBE_TIMEOUT, p.check()).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("timed out".to_owned()),
        };
        checks.push(HealthCheckView {
            name: p.name(),
            ok: r.is_none(),
            error: r,
        });
    }
    let failing: Vec<ErrorDetail> = checks
        .iter()
        .filter_map(|c| {
            c.error.as_ref().map(|e| ErrorDetail {
                field: c.name.to_owned(),
                constraint: "reachable".to_owned(),
                message: format!("{}: {e}", c.name),
            })
        })
        .collect();
    if failing.is_empty() {
        return Json(HealthView {
            status: "ok",
            checks,
        })
        .into_response();
    }
    let names: Vec<&str> = failing.iter().map(|d| d.field.as_str()).collect();
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("not ready: {} unreachable", names.join(", ")),
    );
    err.details = failing;
    err.into_response()
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String, description = "Prometheus text format")))]
pub async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        (s.metrics)(),
    )
        .into_response()
}
