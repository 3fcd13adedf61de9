//! Request ids and the access log.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

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

/// The address of the client a request came from: the peer, or — when the peer is a
/// trusted proxy — the nearest address in `X-Forwarded-For` that is not one.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// The proxies whose `X-Forwarded-For` is believed (`MADANG_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and networks (`10.0.0.0/8, ::1`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is not an IP address or network"))?;
            nets.push(net);
        }
        Ok(Self(Arc::new(nets)))
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client behind `peer`, reading `X-Forwarded-For` right to left through
    /// trusted hops only. A client cannot forge its way past the first untrusted hop:
    /// addresses to the left of it are whatever the client chose to send.
    pub fn client(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// Records the [`ClientAddr`] of the request.
pub async fn client_addr(
    axum::extract::State(trusted): axum::extract::State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let client = trusted.client(peer, req.headers());
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

/// Work the wiring does around every request, inside the time limit and outside the
/// handler: deciding where the request's database reads may go, for one. Handlers
/// know nothing of it.
#[async_trait::async_trait]
pub trait Around: Send + Sync {
    async fn around(&self, req: Request, next: Next) -> Response;
}

#[derive(Clone)]
pub(crate) struct AroundLayer(pub(crate) Arc<dyn Around>);

pub(crate) async fn run_around(
    axum::extract::State(a): axum::extract::State<AroundLayer>,
    req: Request,
    next: Next,
) -> Response {
    a.0.around(req, next).await
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
    let client_ip = req.extensions().get::<ClientAddr>().map(|c| c.0);
    let started = Instant::now();
    let in_flight = metrics::gauge!("http_requests_in_flight");
    in_flight.increment(1.0);

    // Everything logged while the request is served (an internal error's cause above
    // all) carries the request's id. The span is at error level, so that it is there
    // whatever the log filter lets through.
    let span = tracing::error_span!("request", request_id = %id);
    let mut res = tracing::Instrument::instrument(next.run(req), span).await;
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
        client_ip = client_ip.map(tracing::field::display),
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    // No response is to be sniffed into another type than it says it is.
    res.headers_mut()
        .entry(axum::http::header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
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
        return busy(req.headers().get(REQUEST_ID_HEADER));
    };
    let res = next.run(req).await;
    drop(permit);
    res
}

/// The refusal of a request Madang cannot take now: 503 `unavailable` with
/// `Retry-After`, in the error shape, built in place (no access log, no routing).
fn busy(request_id: Option<&HeaderValue>) -> Response {
    let id = request_id
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
    res
}

/// The body limit, for [`refuse_oversized`].
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

/// How long an oversized body is read, at most, before it is answered.
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Answers a request whose declared body is over the limit with 413, without
/// handing the body to anything — but reads it (up to 16 times the limit, for at most
/// five seconds) and throws it away first. Answering while the client is still
/// sending and closing with its bytes unread makes the kernel reset the connection,
/// and the client sees a broken pipe instead of the 413; this is nginx's "lingering
/// close". A body larger than that still gets the 413, but may lose it to the reset.
pub async fn refuse_oversized(
    State(limit): State<BodyLimit>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = limit.0 as u64;
    match declared {
        Some(n) if n > limit => {
            if n <= limit.saturating_mul(16) {
                use futures::StreamExt;
                let mut body = req.into_body().into_data_stream();
                let _ = tokio::time::timeout(DRAIN_FOR, async {
                    while let Some(Ok(_)) = body.next().await {}
                })
                .await;
            }
            crate::error::ApiError::too_large().into_response()
        }
        _ => next.run(req).await,
    }
}

/// The longest request target (path and query) and request head Madang reads, and
/// the most header fields. Past them the answer is 414 or 431 in the error shape.
/// (hyper refuses heads past its own buffer, about 400 KiB, with a bare 431 before
/// any of Madang's code runs; these limits sit well under that so the error shape is
/// what clients meet.)
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
pub const MAX_HEADERS: usize = 100;

/// Answers an over-long request target with 414 and oversized headers with 431.
pub async fn refuse_oversized_head(req: Request, next: Next) -> Response {
    use crate::error::ApiError;
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_TARGET_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("the request target is over {MAX_TARGET_BYTES} bytes"),
        )
        .into_response();
    }
    let head: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if head > MAX_HEAD_BYTES || req.headers().len() > MAX_HEADERS {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request headers are over {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} fields"),
        )
        .into_response();
    }
    next.run(req).await
}

/// The runtime admitted requests are served on, when it is not the one that holds
/// the connections (see [`hand_over`]).
#[derive(Clone)]
pub struct WorkRuntime(pub tokio::runtime::Handle);

/// Serves the rest of the request — everything inside the load-shedding layer — as a
/// task on the work runtime, while the connection stays on the runtime that accepted
/// it.
///
/// Why: a refusal is only worth having if it is prompt. On one runtime, a request
/// that will be refused waits in the same run queue as the admitted requests' work,
/// so under CPU saturation the refusals queue behind the very work they protect, and
/// the admitted requests queue behind the refusals. With the connections on a thread
/// of their own, which needs little CPU and is mostly asleep, the kernel runs it as
/// soon as bytes arrive: new requests are parsed and refused at once, and the work
/// runtime's share goes to the requests it admitted.
///
/// The task is aborted if the connection goes away first, as a handler future is
/// dropped when it runs inline.
pub async fn hand_over(State(rt): State<WorkRuntime>, req: Request, next: Next) -> Response {
    let request_id = req.headers().get(REQUEST_ID_HEADER).cloned();
    let task = tokio_util::task::AbortOnDropHandle::new(rt.0.spawn(next.run(req)));
    match task.await {
        Ok(res) => res,
        // Handlers' panics are caught further in; this is one in a layer around them.
        Err(e) if e.is_panic() => crate::error::panic_response(e.into_panic()),
        // Cancelled: the work runtime is shutting down.
        Err(_) => busy(request_id.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    use super::*;

    fn forwarded(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        // From a trusted proxy: the nearest untrusted hop is the client; what the
        // client wrote further left is ignored.
        let h = forwarded("6.6.6.6, 203.0.113.7, 10.1.2.3");
        assert_eq!(trusted.client(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // From anyone else: the header is the client's own claim.
        assert_eq!(trusted.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // No header, or garbage in it: the peer, or the last hop that parsed.
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &HeaderMap::new()),
            ip("10.0.0.5")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &forwarded("nonsense, 10.9.9.9")),
            ip("10.9.9.9")
        );
        // Nobody trusted by default.
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &h),
            ip("127.0.0.1")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
    }
}
