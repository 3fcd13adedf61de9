//! The error shape of every failure, rendered in one place.
//!
//! Handlers and extractors return [`ApiError`]; its `IntoResponse` only sets the
//! status and stashes the error in the response. The [`render_errors`] middleware,
//! which knows the request id, then writes the body. It also gives the same shape to
//! error responses that did not come from Madang's code (the router's 405, the body
//! limit's 413, a caught panic's 500).

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use madang_domain::{Error, Violation};
use serde::Serialize;
use utoipa::ToSchema;

use crate::middleware::RequestId;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub field: String,
    pub constraint: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorInfo {
    /// Machine-readable code, e.g. `validation_failed`.
    pub code: &'static str,
    pub message: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

/// An error on its way out: status, code, client-safe message and details.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub details: Vec<ErrorDetail>,
    /// Seconds to send in `Retry-After` (429 and 503 get a default without it).
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A body over the limit, however it was found out.
    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            default_message(StatusCode::PAYLOAD_TOO_LARGE),
        )
    }

    pub fn validation(violations: Vec<Violation>) -> Self {
        let message = Error::Validation(violations.clone()).to_string();
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
            details: violations
                .into_iter()
                .map(|v| ErrorDetail {
                    field: v.field,
                    constraint: v.constraint.to_owned(),
                    message: v.message,
                })
                .collect(),
            retry_after_secs: None,
        }
    }
}

/// The code of each status, the one table of API.md.
pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        503 => "unavailable",
        500..=599 => "internal",
        _ => "bad_request",
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Validation(v) => Self::validation(v),
            Error::BadRequest(m) => Self::new(StatusCode::BAD_REQUEST, m),
            Error::Unauthorized(m) => Self::new(StatusCode::UNAUTHORIZED, m),
            Error::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, m),
            Error::NotFound(what) => Self::new(StatusCode::NOT_FOUND, format!("{what} not found")),
            Error::RateLimited {
                message,
                retry_after_secs,
            } => Self {
                retry_after_secs: Some(retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, message)
            },
            Error::Conflict { field, message } => Self {
                status: StatusCode::CONFLICT,
                details: field
                    .map(|f| ErrorDetail {
                        field: f.to_owned(),
                        constraint: "unique".to_owned(),
                        message: message.clone(),
                    })
                    .into_iter()
                    .collect(),
                message,
                retry_after_secs: None,
            },
            Error::Unavailable(m) => {
                tracing::warn!(error = %m, "backend unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, m)
            }
            Error::Internal(cause) => {
                tracing::error!(error = %cause, error_chain = ?cause, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// Seconds a client should wait before retrying a 503 or 429.
const RETRY_AFTER_SECS: &str = "5";

/// Renders a bare error status as a page for a request outside the API.
pub type PageErrors = std::sync::Arc<dyn Fn(StatusCode, &HeaderMap) -> Response + Send + Sync>;

/// Paths whose errors are always in the API's shape.
fn is_api_path(path: &str) -> bool {
    [
        "/api/",
        "/health/",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/admin",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// Writes the JSON error body of every error response, with the request's id; or,
/// outside the API and with `pages` set, the page for its status.
pub async fn render_errors(
    axum::extract::State(pages): axum::extract::State<Option<PageErrors>>,
    req: Request,
    next: Next,
) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let page = pages
        .filter(|_| !is_api_path(req.uri().path()))
        .map(|render| (render, req.headers().clone()));
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    // Outside the API, an error that is not a page yet (an unknown path, 405, 413,
    // a timeout) becomes one.
    if let Some((render, headers)) = page.filter(|_| !is_html) {
        let mut out = render(status, &headers);
        for (k, v) in parts.headers.iter() {
            if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                out.headers_mut().insert(k.clone(), v.clone());
            }
        }
        return out;
    }
    let err = match parts.extensions.remove::<ApiError>() {
        Some(e) => e,
        // Already rendered as JSON by some handler that knows the shape, or as a page
        // by the staff console: keep it.
        None if is_html
            || parts
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/json")) =>
        {
            return Response::from_parts(parts, body);
        }
        None => ApiError::new(status, default_message(status)),
    };
    if let Some(secs) = err.retry_after_secs {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    let body = ErrorBody {
        error: ErrorInfo {
            code: code_for(status),
            message: err.message,
            request_id,
            details: err.details,
        },
    };
    if matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
    ) && !parts.headers.contains_key(header::RETRY_AFTER)
    {
        parts.headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut out = (status, Json(body)).into_response();
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

fn default_message(status: StatusCode) -> String {
    match status.as_u16() {
        404 => "no such route".to_owned(),
        405 => "method not allowed on this route".to_owned(),
        413 => "request body is too large".to_owned(),
        408 => "the request took too long".to_owned(),
        500..=599 => "internal server error".to_owned(),
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
    }
}

/// The response of a caught panic; the panic message goes to the log only.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let msg = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = msg, "handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
}

pub type ApiResult<T> = Result<T, ApiError>;
