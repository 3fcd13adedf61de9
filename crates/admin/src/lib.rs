//! Madang's staff console: server-rendered pages at `/admin` for moderators and
//! admins, over the same use cases as the API.
//!
//! Sessions are server-side rows behind an HttpOnly, SameSite=Strict cookie (Secure
//! when the request came over TLS), separate from the API's bearer tokens. Every
//! state-changing form carries the session's CSRF token. Every response forbids
//! framing and carries a Content-Security-Policy that allows only the console's own
//! stylesheet and script, which Madang serves itself.

mod i18n;
mod pages;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use madang_domain::console::Console;

pub use i18n::Lang;

/// What the console's handlers hold.
#[derive(Clone)]
pub struct AdminState {
    pub console: Arc<Console>,
}

/// The console's routes, under `/admin`.
pub fn router(console: Arc<Console>) -> Router {
    let state = AdminState { console };
    Router::new()
        .route("/admin", get(pages::to_dashboard))
        .route("/admin/", get(pages::dashboard))
        .route(
            "/admin/login",
            get(pages::login_form_page).post(pages::log_in),
        )
        .route("/admin/logout", post(pages::log_out))
        .route(
            "/admin/password",
            get(pages::password_form_page).post(pages::change_password),
        )
        .route("/admin/lang", get(pages::set_lang))
        .route("/admin/static/admin.css", get(css))
        .route("/admin/static/admin.js", get(js))
        .route("/admin/{model}", get(pages::list))
        .route("/admin/{model}/action", post(pages::action))
        .route("/admin/{model}/{id}", get(pages::detail))
        .route("/admin/{model}/{id}/edit", post(pages::edit))
        .route("/admin/{model}/{id}/history", get(pages::history))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

/// Headers on every console response: no framing, a strict CSP, no sniffing, no
/// caching of staff pages, no referrer leaving the site.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

static CSS: &str = include_str!("../static/admin.css");
static JS: &str = include_str!("../static/admin.js");

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
}
