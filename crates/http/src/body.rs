//! Request bodies read whole, under a deadline, before the request takes a
//! concurrency slot: a client trickling its body holds a connection (capped per
//! client) but never one of the slots every other request needs.
//!
//! The deadline grows with what has arrived: `base` plus one second for every
//! `min_bytes_per_sec` received. A client sending at least that fast is never cut off;
//! one sending a byte a second is, after `base`. A body that cannot be read (too slow,
//! over the limit, broken off) does not answer here: the request goes on without a
//! body and with a [`BodyFailure`], which [`answer_failed_body`] turns into the error
//! in the API's shape, with the request's id.

use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt as _;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    /// The body limit; a body over it is not read further.
    pub limit: usize,
    pub base: Duration,
    pub min_bytes_per_sec: u64,
}

/// Why a request's body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFailure {
    TooLarge,
    TooSlow,
    Broken,
}

/// Reads the body (see the module's notes).
pub async fn read_within(State(d): State<BodyDeadline>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // No body, or one declared over the limit (answered, and drained, further in).
    if req.body().is_end_stream() || declared.is_some_and(|n| n > d.limit as u64) {
        return next.run(req).await;
    }
    let (mut parts, mut body) = req.into_parts();
    let started = Instant::now();
    let mut buf = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    let failure = loop {
        let allowed =
            d.base + Duration::from_secs_f64(buf.len() as f64 / d.min_bytes_per_sec.max(1) as f64);
        let left = allowed.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, body.frame()).await {
            Err(_) => break Some(BodyFailure::TooSlow),
            Ok(None) => break None,
            Ok(Some(Err(_))) => break Some(BodyFailure::Broken),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                    if buf.len() > d.limit {
                        break Some(BodyFailure::TooLarge);
                    }
                }
            }
        }
    };
    let req = match failure {
        None => Request::from_parts(parts, Body::from(buf)),
        Some(f) => {
            if f == BodyFailure::TooSlow {
                metrics::counter!("madang_http_slow_bodies_total").increment(1);
            }
            parts.extensions.insert(f);
            Request::from_parts(parts, Body::empty())
        }
    };
    next.run(req).await
}

/// Answers a request whose body [`read_within`] could not read, in the error shape.
pub async fn answer_failed_body(req: Request, next: Next) -> Response {
    let Some(failure) = req.extensions().get::<BodyFailure>().copied() else {
        return next.run(req).await;
    };
    let mut res = match failure {
        BodyFailure::TooLarge => ApiError::too_large(),
        BodyFailure::TooSlow => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "the request body arrived too slowly",
        ),
        BodyFailure::Broken => ApiError::bad_request("the request body could not be read"),
    }
    .into_response();
    // The rest of the body is not coming, or not wanted: the connection is done.
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
