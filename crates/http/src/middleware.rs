//! Request ids and the access log.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served: the client's `X-Request-Id` when it is
/// sensible, a new ULID otherwise.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Facts learnt while serving a request, for its access-log line: the caller (set
/// by the auth extractor) and the route template (set once routing has matched).
#[derive(Debug, Clone, Default)]
pub struct RequestFacts(Arc<Facts>);

#[derive(Debug, Default)]
struct Facts {
    user_id: OnceLock<i64>,
    route: OnceLock<String>,
}

impl RequestFacts {
    pub fn set_user(&self, id: i64) {
        let _ = self.0.user_id.set(id);
    }

    pub fn user_id(&self) -> Option<i64> {
        self.0.user_id.get().copied()
    }

    pub fn route(&self) -> Option<&str> {
        self.0.route.get().map(String::as_str)
    }
}

/// A route layer: records the matched route template.
pub async fn record_route(req: Request, next: Next) -> Response {
    if let (Some(facts), Some(path)) = (
        req.extensions().get::<RequestFacts>(),
        req.extensions().get::<MatchedPath>(),
    ) {
        let _ = facts.0.route.set(path.as_str().to_owned());
    }
    next.run(req).await
}

fn acceptable_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| s.to_owned())
}

/// Assigns the request id, times the request and writes one access-log line.
///
/// The line holds method, route template, path, status, duration, request id and
/// user id — never headers, query values that could hold secrets, or bodies.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(acceptable_id)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let facts = RequestFacts::default();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(facts.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let in_flight = metrics::gauge!("http_requests_in_flight");
    in_flight.increment(1.0);

    let mut res = next.run(req).await;
    in_flight.decrement(1.0);

    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    let route = facts.route().unwrap_or("unmatched");
    let user_id = facts.user_id();
    // Labelled by route template, never by raw path: the label set stays bounded.
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(duration_ms / 1000.0);
    tracing::info!(
        target: "madang::access",
        method = %method,
        route,
        path,
        status,
        duration_ms,
        request_id = %id,
        user_id,
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    res
}

/// The bound on API requests served at once.
#[derive(Clone)]
pub struct ConcurrencyBound(Arc<tokio::sync::Semaphore>);

impl ConcurrencyBound {
    pub fn new(max: usize) -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(max.max(1))))
    }
}

/// Sheds load: past the bound an API request is answered 503 with `Retry-After`
/// immediately, instead of waiting in an unbounded queue and timing out for everyone.
///
/// This is the outermost layer, so a refusal costs as little as possible — no access
/// log line, no per-route metrics, a body written in place — and leaves the CPU to the
/// requests that were admitted. Health, metrics and docs are outside the bound. (Written
/// here rather than with tower's `ConcurrencyLimit` + `LoadShed` because the answer
/// must be the API's error shape, which this does in a few lines.)
pub async fn shed_load(
    axum::extract::State(bound): axum::extract::State<ConcurrencyBound>,
    req: Request,
    next: Next,
) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let Ok(permit) = bound.0.clone().try_acquire_owned() else {
        metrics::counter!("http_requests_shed_total").increment(1);
        let id = req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(acceptable_id)
            .unwrap_or_else(|| ulid::Ulid::new().to_string());
        let body = serde_json::json!({"error": {
            "code": "unavailable", "message": "the server is busy; retry shortly", "request_id": id}});
        let mut res = (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(body),
        )
            .into_response();
        let headers = res.headers_mut();
        headers.insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from_static("1"),
        );
        if let Ok(v) = HeaderValue::from_str(&id) {
            headers.insert(REQUEST_ID_HEADER, v);
        }
        return res;
    };
    let res = next.run(req).await;
    drop(permit);
    res
}
