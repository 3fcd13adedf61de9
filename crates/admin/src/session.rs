//! Console sessions and requests: the session cookie, the language, CSRF, form
//! bodies, and how failures become pages.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use madang_domain::Error;
use madang_domain::console::Staff;

use crate::AdminState;
use crate::i18n::{Lang, Words};

pub const SESSION_COOKIE: &str = "madang_console";
pub const LOGIN_CSRF_COOKIE: &str = "madang_console_csrf";
pub use madang_http::pages::{FormData, LANG_COOKIE, cookie, over_tls};

/// A `Set-Cookie` value for the console: HttpOnly, SameSite=Strict, path `/admin`,
/// Secure over TLS; `max_age` in seconds (0 removes it).
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: i64,
    tls: bool,
    http_only: bool,
) -> HeaderValue {
    let c = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/admin")
        .http_only(http_only)
        .same_site(SameSite::Strict)
        .secure(tls)
        .max_age(time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// What every page knows about its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub tls: bool,
    /// The path and query, for the language toggle to come back to.
    pub here: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx {
            lang: Lang::of_request(&parts.headers),
            tls: over_tls(&parts.headers),
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/admin/".to_owned(), |p| p.as_str().to_owned()),
        })
    }
}

/// A signed-in staff member and the request's context. Without a live session the
/// request is sent to the log-in page (and back here after).
pub struct Session {
    pub staff: Staff,
    pub ctx: Ctx,
}

impl FromRequestParts<AdminState> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
        let to_login = || {
            let next: String = form_urlencoded::byte_serialize(ctx.here.as_bytes()).collect();
            Redirect::to(&format!("/admin/login?next={next}")).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match state.console.staff(&token).await {
            Ok(staff) => Ok(Session { staff, ctx }),
            Err(Error::Unauthorized(_)) => Err(to_login()),
            Err(e) => Err(Failure::from_error(e, ctx.lang).into_response()),
        }
    }
}

/// A failed console request, shown as a page in the request's language.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub lang: Lang,
}

impl Failure {
    pub fn from_error(e: Error, lang: Lang) -> Self {
        let (status, title) = match &e {
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "bad_login"),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Validation(_) | Error::BadRequest(_) | Error::Conflict { .. } => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            Error::Internal(cause) => {
                tracing::error!(error = %cause, "console request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "error")
            }
        };
        let detail = match e {
            Error::Internal(_) | Error::Unavailable(_) => String::new(),
            // A page has no field to show a message beside: it lists them.
            Error::Validation(violations) => violations
                .iter()
                .map(|v| v.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            e => e.to_string(),
        };
        Self {
            status,
            title,
            detail,
            lang,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let page = crate::pages::ErrorPage {
            lang: self.lang,
            title: self.lang.t(self.title),
            detail: self.detail,
        };
        let mut res = crate::pages::html(self.status, &page);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_cookies_are_set_strictly() {
        let v = set_cookie(SESSION_COOKIE, "x", 60, true, true);
        let s = v.to_str().unwrap();
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/admin",
            "Max-Age=60",
        ] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
        let plain = set_cookie(SESSION_COOKIE, "x", 60, false, true);
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }
}
