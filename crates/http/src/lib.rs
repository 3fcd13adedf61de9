//! Madang's HTTP API: routes, request and response types, extractors, the error
//! shape, middleware and the OpenAPI document.

pub mod dto;
pub mod error;
pub mod extract;
pub mod middleware;
mod openapi;
pub mod routes;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use madang_domain::accounts::Accounts;
use madang_domain::categories::Categories;
use madang_domain::comments::Comments;
use madang_domain::ports::Probe;
use madang_domain::posts::Posts;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::ApiError;
pub use crate::openapi::ApiDoc;

/// Everything a handler may use: the use cases, never an adapter.
#[derive(Clone)]
pub struct AppState {
    pub accounts: Arc<Accounts>,
    pub categories: Arc<Categories>,
    pub posts: Arc<Posts>,
    pub comments: Arc<Comments>,
    /// Backends checked by `/health/ready`.
    pub probes: Arc<Vec<Arc<dyn Probe>>>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route")
}

/// The `/api/v1` routes.
fn api() -> Router<AppState> {
    use routes::{categories, comments, posts, users};
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
        .route("/users/{id}", get(users::profile))
        .route("/users/{id}/posts", get(users::user_posts))
        .route("/users/{id}/comments", get(users::user_comments))
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
}

/// The whole HTTP application.
///
/// Layers, outermost first: request id and access log, error rendering, panic
/// catching, body limit; then routing.
pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    Router::new()
        .nest("/api/v1", api())
        .route("/health/live", get(routes::ops::live))
        .route("/health/ready", get(routes::ops::ready))
        .merge(openapi::docs())
        .fallback(no_route)
        .route_layer(axum::middleware::from_fn(middleware::record_route))
        .with_state(state)
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn(error::render_errors))
        .layer(axum::middleware::from_fn(middleware::request_context))
}
