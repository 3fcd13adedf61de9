//! Madang's member web app: server-rendered pages at `/` over the same use cases as
//! the API, Korean first, working without JavaScript.
//!
//! Sessions are stored rows behind an HttpOnly, SameSite=Lax cookie (Secure when the
//! request came over TLS). Every form carries a CSRF token. Every response carries a
//! Content-Security-Policy that allows only the app's own stylesheet and script,
//! served from fingerprinted paths with long cache lifetimes.

mod assets;
mod diff;
mod i18n;
mod pages;
mod session;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use madang_domain::web_sessions::MemberSessions;
use madang_http::AppState;

pub use i18n::Lang;

/// Web app settings.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// The board's public address (`https://board.example`), for canonical URLs,
    /// feeds and the sitemap; without it the request's `Host` is used.
    pub public_url: Option<String>,
}

/// What the web app's handlers hold: the use cases, never an adapter.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub sessions: Arc<MemberSessions>,
    pub settings: Arc<WebSettings>,
}

/// The web app's routes, at `/`.
pub fn router(state: WebState) -> Router {
    use pages::{account, boards, feeds, history, posts, seminars};
    let pages = Router::new()
        .route("/", get(boards::home))
        .route("/boards/{id}", get(boards::board))
        .route("/search", get(boards::search))
        .route("/write", get(posts::write_page).post(posts::write))
        .route("/posts/{id}", get(posts::show))
        .route("/posts/{id}/edit", get(posts::edit_page).post(posts::edit))
        .route("/posts/{id}/delete", post(posts::delete))
        .route("/posts/{id}/vote", post(posts::vote))
        .route("/posts/{id}/bookmark", post(pages::keep::bookmark))
        .route("/posts/{id}/pin", post(pages::keep::pin))
        .route("/posts/{id}/report", post(pages::reports::report_post))
        .route(
            "/comments/{id}/report",
            post(pages::reports::report_comment),
        )
        .route("/notifications", get(pages::notifications::list))
        .route(
            "/notifications/read-all",
            post(pages::notifications::read_all),
        )
        .route("/notifications/{id}/open", post(pages::notifications::open))
        .route("/posts/{id}/comments", post(posts::comment))
        .route("/posts/{id}/history", get(history::history))
        .route("/signup", get(account::signup_page).post(account::signup))
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/me", get(account::me))
        .route("/me/password", post(account::change_password))
        .route(
            "/me/resign",
            get(account::resign_page).post(account::resign),
        )
        .route("/users/{id}", get(account::user))
        .route("/users/{id}/block", post(pages::keep::block))
        .route("/lang", get(account::set_lang))
        .route("/seminars", get(seminars::list))
        .route(
            "/seminars/new",
            get(seminars::new_page).post(seminars::create),
        )
        .route("/seminars/profile", post(seminars::add_profile))
        .route("/seminars/{id}", get(seminars::show))
        .route("/seminars/{id}/join", post(seminars::join))
        .route("/seminars/{id}/drop", post(seminars::drop_out))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::form_token,
        ));
    Router::new()
        .merge(pages)
        .route("/robots.txt", get(feeds::robots))
        .route("/sitemap.xml", get(feeds::sitemap_index))
        .route("/sitemap/{file}", get(feeds::sitemap_posts))
        .route("/feed.atom", get(feeds::site_feed))
        .route("/boards/{id}/feed.atom", get(feeds::board_feed))
        .route("/static/{file}", get(assets::serve))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// How an error without a body becomes a page (405, 413, a timeout), for the HTTP
/// layer's error renderer: in the request's language, in the app's layout.
pub fn error_page(status: StatusCode, headers: &HeaderMap) -> Response {
    let mut res = pages::Failure::status(status, Lang::of_request(headers)).render();
    add_security_headers(res.headers_mut());
    res
}

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    add_security_headers(res.headers_mut());
    res
}

/// No framing, a strict CSP, no sniffing, no referrer beyond the site's origin, and
/// pages kept out of shared caches (they carry CSRF tokens and members' own data).
fn add_security_headers(h: &mut HeaderMap) {
    let html = h
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
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
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
}
