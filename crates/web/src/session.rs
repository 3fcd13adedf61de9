//! Who is asking: the member behind the session cookie (if any), the language, the
//! CSRF token the page's forms carry, and the cookies that hold them.
//!
//! A member's forms carry their session's token. A visitor's (sign-up, log-in) carry
//! a random token that is also in an HttpOnly cookie (double submit), set by
//! [`form_token`] on the first page they open.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use cookie::{Cookie, SameSite};
use madang_domain::accounts::ClientInfo;
use madang_domain::web_sessions::SignedIn;
use madang_http::extract::Client;
use madang_http::middleware::RequestFacts;
use madang_http::pages::{Lang, cookie, over_tls};

use crate::WebState;
use crate::pages::Failure;

pub const SESSION_COOKIE: &str = "madang_session";
pub const FORM_COOKIE: &str = "madang_form";

/// A `Set-Cookie` value for the web app: path `/`, SameSite=Lax (links from other
/// sites arrive signed in; their forms do not), Secure over TLS; `max_age` in
/// seconds (0 removes it).
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: i64,
    tls: bool,
    http_only: bool,
) -> HeaderValue {
    let c = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(http_only)
        .same_site(SameSite::Lax)
        .secure(tls)
        .max_age(time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The site's address: the configured public URL, else the request's host.
pub fn origin(settings: &crate::WebSettings, headers: &axum::http::HeaderMap) -> String {
    if let Some(u) = &settings.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = if over_tls(headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// The visitor's form token when it was made for this request.
#[derive(Clone)]
struct FreshFormToken(String);

/// Gives a visitor without a form token one, in a cookie, so that the forms of the
/// page being rendered can carry it.
pub async fn form_token(State(state): State<WebState>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    if cookie(headers, FORM_COOKIE).is_some_and(|t| !t.is_empty()) {
        return next.run(req).await;
    }
    let tls = over_tls(headers);
    let token = state.sessions.new_form_token();
    req.extensions_mut().insert(FreshFormToken(token.clone()));
    let mut res = next.run(req).await;
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, &token, 365 * 86_400, tls, true),
    );
    res
}

/// Whoever sent the request, signed in or not.
pub struct Visitor {
    pub lang: Lang,
    pub tls: bool,
    /// The path and query, for the language toggle and log-in to come back to.
    pub here: String,
    pub member: Option<SignedIn>,
    /// Whether the request carried a session cookie (live or not).
    pub had_session: bool,
    /// What this request's forms must send back as `csrf`.
    pub csrf: String,
    pub client: ClientInfo,
    /// The site's address, for canonical links.
    pub origin: String,
}

impl Visitor {
    /// The token a submitted form must carry: the session's for a member, the form
    /// cookie's for a visitor.
    pub fn check_csrf(&self, sent: &str) -> Result<(), madang_domain::Error> {
        madang_domain::web_sessions::check_form_token(sent, &self.csrf)
    }
}

impl FromRequestParts<WebState> for Visitor {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let lang = Lang::of_request(&parts.headers);
        let tls = over_tls(&parts.headers);
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let session_cookie = cookie(&parts.headers, SESSION_COOKIE);
        let had_session = session_cookie.is_some();
        let member = match session_cookie {
            Some(token) => state
                .sessions
                .signed_in(&token)
                .await
                .map_err(|e| Failure::new(e, lang))?,
            None => None,
        };
        if let (Some(m), Some(f)) = (&member, parts.extensions.get::<RequestFacts>()) {
            f.set_user(m.user.id);
        }
        let csrf = match &member {
            Some(m) => m.csrf.clone(),
            None => parts
                .extensions
                .get::<FreshFormToken>()
                .map(|t| t.0.clone())
                .or_else(|| cookie(&parts.headers, FORM_COOKIE))
                .unwrap_or_default(),
        };
        let client = Client::from_request_parts(parts, state)
            .await
            .map(|c| c.0)
            .unwrap_or_default();
        Ok(Visitor {
            lang,
            tls,
            here,
            member,
            had_session,
            csrf,
            client,
            origin: origin(&state.settings, &parts.headers),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_cookies_are_lax_http_only_and_secure_over_tls() {
        let v = set_cookie(SESSION_COOKIE, "x", 60, true, true);
        let s = v.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
        assert!(
            !set_cookie(SESSION_COOKIE, "x", 60, false, true)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }
}
