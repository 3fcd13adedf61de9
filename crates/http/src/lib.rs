//! Madang's HTTP API: routes, request and response types, extractors, the error
//! shape, middleware and the OpenAPI document.

pub mod body;
pub mod dto;
pub mod error;
pub mod extract;
pub mod middleware;
mod openapi;
pub mod pages;
pub mod routes;
pub mod server;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use madang_domain::accounts::Accounts;
use madang_domain::categories::Categories;
use madang_domain::comments::Comments;
use madang_domain::ports::Probe;
use madang_domain::posts::Posts;
use madang_domain::seminars::Seminars;
use madang_domain::sentiment::Sentiments;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::error::ApiError;
pub use crate::openapi::ApiDoc;

/// Everything a handler may use: the use cases, never an adapter.
#[derive(Clone)]
pub struct AppState {
    pub accounts: Arc<Accounts>,
    pub categories: Arc<Categories>,
    pub posts: Arc<Posts>,
    pub comments: Arc<Comments>,
    pub seminars: Arc<Seminars>,
    pub reports: Arc<madang_domain::reports::Reports>,
    pub notifications: Arc<madang_domain::notifications::Notifications>,
    pub blocks: Arc<madang_domain::blocks::Blocks>,
    pub sentiments: Arc<Sentiments>,
    pub maintenance: Arc<madang_domain::maintenance::Maintenance>,
    pub limits: Arc<madang_domain::limits::Limits>,
    /// Backends checked by `/health/ready`.
    pub probes: Arc<Vec<Arc<dyn Probe>>>,
    /// Renders the Prometheus text exposition for `/metrics`.
    pub metrics: Arc<dyn Fn() -> String + Send + Sync>,
}

#[derive(Clone)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Longest a request may take before it is answered 503.
    pub request_timeout: std::time::Duration,
    /// API requests served at once; more are answered 503 at once rather than queued.
    pub max_concurrent_requests: usize,
    /// Serve `/metrics` on the API's listener (false when it has a listener of its own).
    pub metrics_on_main: bool,
    /// Peers whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: middleware::TrustedProxies,
    /// Run around every request (read routing, when replicas are configured).
    pub around: Option<Arc<dyn middleware::Around>>,
    /// Serve admitted requests on this runtime rather than on the one holding the
    /// connections (see [`middleware::hand_over`]).
    pub work_runtime: Option<middleware::WorkRuntime>,
    /// Renders an error without a body as a page, outside the API (the web app's
    /// error pages); `None` renders every error in the API's shape.
    pub page_errors: Option<error::PageErrors>,
    /// How long a request body may take to arrive, before it takes a slot: this,
    /// plus a second for every `body_min_bytes_per_sec` received.
    pub body_timeout: std::time::Duration,
    pub body_min_bytes_per_sec: u64,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("body_limit", &self.body_limit)
            .field("request_timeout", &self.request_timeout)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("metrics_on_main", &self.metrics_on_main)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("around", &self.around.is_some())
            .field("work_runtime", &self.work_runtime.is_some())
            .field("page_errors", &self.page_errors.is_some())
            .field("body_timeout", &self.body_timeout)
            .field("body_min_bytes_per_sec", &self.body_min_bytes_per_sec)
            .finish()
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            request_timeout: std::time::Duration::from_secs(30),
            max_concurrent_requests: 1024,
            metrics_on_main: true,
            trusted_proxies: middleware::TrustedProxies::default(),
            around: None,
            work_runtime: None,
            page_errors: None,
            body_timeout: std::time::Duration::from_secs(10),
            body_min_bytes_per_sec: 16 * 1024,
        }
    }
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route")
}

/// Sign-up, tokens and the member's own account. Their answers carry tokens or
/// personal data, so no cache may keep them (`Cache-Control: no-store`, as RFC 6749
/// §5.1 asks of token responses).
fn accounts() -> Router<AppState> {
    use routes::users;
    Router::new()
        .route("/users", post(users::sign_up))
        .route("/auth/token", post(users::token))
        .route("/auth/refresh", post(users::refresh))
        .route("/auth/logout", post(users::logout))
        .route(
            "/users/me",
            get(users::me).patch(users::update_me).delete(users::resign),
        )
        .route("/users/me/password", put(users::change_password))
        .route("/users/me/logins", get(users::logins))
        .layer(axum::middleware::map_response(no_store))
}

async fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    res
}

/// The `/api/v1` routes.
fn api() -> Router<AppState> {
    use routes::{board, categories, comments, posts, seminars};
    Router::new()
        .merge(accounts())
        .route("/users/{id}", get(routes::users::profile))
        .route("/users/{id}/posts", get(routes::users::user_posts))
        .route("/users/{id}/comments", get(routes::users::user_comments))
        .route(
            "/categories",
            get(categories::tree).post(categories::create),
        )
        .route(
            "/categories/{id}",
            axum::routing::patch(categories::update).delete(categories::delete),
        )
        .route("/posts", get(posts::list).post(posts::create))
        .route(
            "/posts/{id}",
            get(posts::get).put(posts::edit).delete(posts::delete),
        )
        .route("/posts/{id}/versions", get(posts::versions))
        .route("/posts/{id}/versions.csv", get(posts::versions_csv))
        .route("/posts/{id}/vote", put(posts::vote).delete(posts::unvote))
        .route("/posts/{id}/pin", put(board::pin).delete(board::unpin))
        .route(
            "/posts/{id}/bookmark",
            put(board::bookmark).delete(board::unbookmark),
        )
        .route("/users/me/bookmarks", get(board::my_bookmarks))
        .route("/posts/{id}/reports", post(routes::reports::report_post))
        .route(
            "/comments/{id}/reports",
            post(routes::reports::report_comment),
        )
        .route("/users/me/reports", get(routes::reports::my_reports))
        .route("/modlog", get(routes::reports::modlog))
        .route("/notifications", get(routes::notifications::list))
        .route(
            "/notifications/unread-count",
            get(routes::notifications::unread_count),
        )
        .route(
            "/notifications/read-all",
            post(routes::notifications::read_all),
        )
        .route(
            "/notifications/{id}/read",
            post(routes::notifications::read),
        )
        .route(
            "/users/{id}/block",
            put(routes::blocks::block).delete(routes::blocks::unblock),
        )
        .route("/users/me/blocks", get(routes::blocks::mine))
        .route(
            "/users/me/notification-settings",
            get(routes::notifications::settings).put(routes::notifications::set_settings),
        )
        .route("/categories/{id}/prefixes", post(categories::add_prefix))
        .route(
            "/prefixes/{id}",
            axum::routing::delete(categories::delete_prefix),
        )
        .route(
            "/posts/{id}/comments",
            get(comments::of_post).post(comments::create),
        )
        .route(
            "/comments/{id}",
            put(comments::edit).delete(comments::delete),
        )
        .route("/comments/{id}/versions", get(comments::versions))
        .route(
            "/comments/{id}/vote",
            put(comments::vote).delete(comments::unvote),
        )
        .route("/users/me/roles", post(seminars::add_role))
        .route("/sentiment", post(routes::sentiment::analyse))
        .route("/stats/daily", get(routes::stats::daily))
        .route("/seminars", get(seminars::list).post(seminars::create))
        .route("/seminars/{id}", get(seminars::get).patch(seminars::update))
        .route("/seminars/{id}/participants", post(seminars::join))
        .route(
            "/seminars/{id}/participants/me",
            axum::routing::delete(seminars::drop_out),
        )
}

/// The whole HTTP application.
pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    router_with(state, settings, Router::new())
}

/// The HTTP application with more routes beside the API (the staff console), behind
/// the same layers.
pub fn router_with(state: AppState, settings: &HttpSettings, more: Router) -> Router {
    let mut routes = Router::new()
        .nest("/api/v1", api())
        .route("/health/live", get(routes::ops::live))
        .route("/health/ready", get(routes::ops::ready))
        .merge(openapi::docs());
    if settings.metrics_on_main {
        routes = routes.route("/metrics", get(routes::ops::metrics));
    }
    with_layers(routes.with_state(state).merge(more), settings)
}

/// `/metrics` alone, for a listener of its own (`MADANG_METRICS_LISTEN`), so the
/// scrape endpoint can stay off the public address.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(routes::ops::metrics))
        .with_state(state)
}

/// The layers every route sits behind. Outermost first: reading the body under its
/// deadline ([`body::read_within`]), load shedding, the hand-over to the work runtime
/// (if any), the client's address, request id and access log, error rendering, the
/// time limit, the wiring's [`middleware::Around`] (if any), the refusal of an
/// oversized request head (414, 431), the answer to a body that could not be read,
/// the refusal of declared oversized bodies, panic catching, body
/// limit; then routing, with unknown routes answered in the error shape.
pub fn with_layers(routes: Router, settings: &HttpSettings) -> Router {
    let mut routes = routes
        .fallback(no_route)
        .route_layer(axum::middleware::from_fn(middleware::record_route))
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            middleware::BodyLimit(settings.body_limit),
            middleware::refuse_oversized,
        ))
        .layer(axum::middleware::from_fn(body::answer_failed_body))
        .layer(axum::middleware::from_fn(middleware::refuse_oversized_head));
    if let Some(around) = &settings.around {
        routes = routes.layer(axum::middleware::from_fn_with_state(
            middleware::AroundLayer(around.clone()),
            middleware::run_around,
        ));
    }
    routes = routes
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            settings.page_errors.clone(),
            error::render_errors,
        ))
        .layer(axum::middleware::from_fn(middleware::request_context))
        .layer(axum::middleware::from_fn_with_state(
            settings.trusted_proxies.clone(),
            middleware::client_addr,
        ));
    if let Some(rt) = &settings.work_runtime {
        routes = routes.layer(axum::middleware::from_fn_with_state(
            rt.clone(),
            middleware::hand_over,
        ));
    }
    routes
        .layer(axum::middleware::from_fn_with_state(
            middleware::ConcurrencyBound::new(settings.max_concurrent_requests),
            middleware::shed_load,
        ))
        .layer(axum::middleware::from_fn_with_state(
            body::BodyDeadline {
                limit: settings.body_limit,
                base: settings.body_timeout,
                min_bytes_per_sec: settings.body_min_bytes_per_sec,
            },
            body::read_within,
        ))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn boom() -> &'static str {
        panic!("secret panic detail")
    }

    #[tokio::test]
    async fn a_panic_is_a_generic_500_in_the_error_shape() {
        let app = with_layers(
            Router::new().route("/boom", get(boom)),
            &HttpSettings::default(),
        );
        let res = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        assert_eq!(v["error"]["message"], "internal server error");
        assert_eq!(v["error"]["request_id"], id.as_str());
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
    }

    async fn thread_name() -> String {
        std::thread::current().name().unwrap_or("").to_owned()
    }

    fn on_work_runtime(rt: &tokio::runtime::Runtime) -> Router {
        let settings = HttpSettings {
            work_runtime: Some(middleware::WorkRuntime(rt.handle().clone())),
            ..HttpSettings::default()
        };
        with_layers(
            Router::new()
                .route("/api/where", get(thread_name))
                .route("/api/boom", get(boom)),
            &settings,
        )
    }

    async fn body_of(res: axum::response::Response) -> String {
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn admitted_requests_are_served_on_the_work_runtime() {
        let work = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("madang-work-test")
            .enable_all()
            .build()
            .unwrap();
        let app = on_work_runtime(&work);
        let res = app
            .clone()
            .oneshot(Request::get("/api/where").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().contains_key("x-request-id"));
        assert_eq!(body_of(res).await, "madang-work-test");
        // A handler's panic is still caught and answered in the error shape.
        let res = app
            .oneshot(Request::get("/api/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body_of(res).await.contains(r#""code":"internal""#));
        work.shutdown_background();
    }

    #[tokio::test]
    async fn a_request_the_stopped_work_runtime_cannot_take_is_503_unavailable() {
        let work = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let app = on_work_runtime(&work);
        work.shutdown_background();
        let res = app
            .oneshot(
                Request::get("/api/where")
                    .header("x-request-id", "stopped-1")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()["retry-after"], "1");
        let v: serde_json::Value = serde_json::from_str(&body_of(res).await).unwrap();
        assert_eq!(v["error"]["code"], "unavailable");
        assert_eq!(v["error"]["request_id"], "stopped-1");
    }
}
