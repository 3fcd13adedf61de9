//! The pages: what every page shares (the layout's facts, field errors, failures)
//! and one module per area.

pub mod account;
pub mod boards;
pub mod feeds;
pub mod history;
pub mod keep;
pub mod notifications;
pub mod posts;
pub mod reports;
pub mod seminars;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use madang_domain::Error;
use madang_domain::categories::{CategoryNode, CategoryTree};
use madang_domain::error::Violation;
use madang_domain::users::UserState;

use crate::WebState;
use crate::i18n::{Lang, Words};
use crate::session::Visitor;
use crate::view::{When, enc};

/// A board in the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub id: i64,
    pub name: String,
    pub depth: u32,
    pub current: bool,
}

/// The boards as the navigation lists them: the top level, and the boards below
/// each board on the way to the current one (a deep tree stays a short list).
fn flatten(nodes: &[CategoryNode], open: &[i64], current: Option<i64>, out: &mut Vec<NavItem>) {
    for n in nodes {
        out.push(NavItem {
            id: n.id,
            name: n.name.clone(),
            depth: n.tier.saturating_sub(1),
            current: current == Some(n.id),
        });
        if open.contains(&n.id) {
            flatten(&n.children, open, current, out);
        }
    }
}

/// Every board, indented by depth (for the board choosers of forms).
pub fn all_boards(tree: &CategoryTree) -> Vec<NavItem> {
    fn walk(nodes: &[CategoryNode], out: &mut Vec<NavItem>) {
        for n in nodes {
            out.push(NavItem {
                id: n.id,
                name: n.name.clone(),
                depth: n.tier.saturating_sub(1),
                current: false,
            });
            walk(&n.children, out);
        }
    }
    let mut out = Vec::new();
    walk(&tree.roots(), &mut out);
    out
}

/// A board and the boards above it, from the top.
pub fn board_path(tree: &CategoryTree, id: i64) -> Vec<(i64, String)> {
    let mut path = Vec::new();
    let mut cur = tree.get(id);
    while let Some(c) = cur {
        if path.iter().any(|(i, _)| *i == c.id) {
            break; // a cycle in stored data: never loop forever
        }
        path.push((c.id, c.name.clone()));
        cur = c.parent_id.and_then(|p| tree.get(p));
    }
    path.reverse();
    path
}

/// What the layout shows on every page.
pub struct Chrome {
    pub lang: Lang,
    pub member: Option<(i64, String)>,
    /// Why the member may not write, when they may not.
    pub restriction: Option<String>,
    pub csrf: String,
    pub title: String,
    pub description: String,
    pub canonical: Option<String>,
    /// The site's address, before canonical paths.
    pub origin: String,
    pub og_type: &'static str,
    pub nav: Vec<NavItem>,
    pub board: Option<i64>,
    /// The current board and the boards above it.
    pub crumbs: Vec<(i64, String)>,
    pub q: String,
    pub lang_ko: String,
    pub lang_en: String,
    pub css: &'static str,
    pub js: &'static str,
    pub notice: Option<&'static str>,
    /// The member's unread notifications, for the bell (pages with the navigation).
    pub unread: i64,
    /// Asks search engines not to index the page.
    pub noindex: bool,
}

impl Chrome {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// Whether the reader may report content by `author`: a member, not its author.
    pub fn may_report(&self, author: Option<&(i64, String)>) -> bool {
        match &self.member {
            Some((me, _)) => author.map(|a| a.0) != Some(*me),
            None => false,
        }
    }

    /// A page for a request, without the boards in the navigation.
    pub fn new(v: &Visitor, title: impl Into<String>) -> Self {
        let next = enc(&v.here);
        let restriction = v
            .member
            .as_ref()
            .and_then(|m| restriction(&m.user.state, v.lang));
        Self {
            lang: v.lang,
            member: v.member.as_ref().map(|m| (m.user.id, m.user.name.clone())),
            restriction,
            csrf: v.csrf.clone(),
            title: title.into(),
            description: v.lang.t("tagline").to_owned(),
            canonical: None,
            origin: v.origin.clone(),
            og_type: "website",
            nav: Vec::new(),
            board: None,
            crumbs: Vec::new(),
            q: String::new(),
            lang_ko: format!("/lang?to=ko&next={next}"),
            lang_en: format!("/lang?to=en&next={next}"),
            css: crate::assets::css_path(),
            js: crate::assets::js_path(),
            notice: None,
            unread: 0,
            noindex: false,
        }
    }

    /// A page with the boards in the navigation, `board` marked as the current one.
    pub async fn with_nav(
        state: &WebState,
        v: &Visitor,
        title: impl Into<String>,
        board: Option<i64>,
    ) -> Result<(Self, CategoryTree), Failure> {
        let tree = state
            .app
            .categories
            .tree()
            .await
            .map_err(|e| Failure::new(e, v.lang))?;
        let mut c = Self::new(v, title);
        if let Some(m) = &v.member {
            c.unread = state
                .app
                .notifications
                .unread_count(&m.actor())
                .await
                .map_err(|e| Failure::new(e, v.lang))?;
        }
        c.crumbs = board.map(|b| board_path(&tree, b)).unwrap_or_default();
        let open: Vec<i64> = c.crumbs.iter().map(|(id, _)| *id).collect();
        flatten(&tree.roots(), &open, board, &mut c.nav);
        c.board = board;
        Ok((c, tree))
    }

    /// A bare page, for failures met before the request was understood.
    pub fn bare(lang: Lang, title: impl Into<String>) -> Self {
        Self {
            lang,
            member: None,
            restriction: None,
            csrf: String::new(),
            title: title.into(),
            description: lang.t("tagline").to_owned(),
            canonical: None,
            origin: String::new(),
            og_type: "website",
            nav: Vec::new(),
            board: None,
            crumbs: Vec::new(),
            q: String::new(),
            lang_ko: "/lang?to=ko&next=%2F".to_owned(),
            lang_en: "/lang?to=en&next=%2F".to_owned(),
            css: crate::assets::css_path(),
            js: crate::assets::js_path(),
            notice: None,
            unread: 0,
            noindex: false,
        }
    }
}

/// What a suspended or banned member is told on every page.
pub fn restriction(state: &UserState, lang: Lang) -> Option<String> {
    match state {
        UserState::Active => None,
        UserState::Suspended { until, reason } => {
            let when = When::new(*until, *until, lang).full;
            Some(format!(
                "{} {when}. {}: {reason}",
                lang.t("suspended_until"),
                lang.t("reason")
            ))
        }
        UserState::Banned { reason } => Some(format!(
            "{} {}: {reason}",
            lang.t("banned_note"),
            lang.t("reason")
        )),
    }
}

/// The messages of a form's failed fields.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    pub items: Vec<(String, String)>,
    /// A message not about one field.
    pub general: Option<String>,
    /// Set when a rate limit refused the form: the seconds until it may be sent again.
    pub retry_after_secs: Option<u64>,
}

impl FieldErrors {
    pub fn none() -> Self {
        Self::default()
    }

    /// The message beside `field`, if it failed.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn any(&self) -> bool {
        !self.items.is_empty() || self.general.is_some()
    }

    /// Splits a use case's error into field messages, or leaves it a failure.
    pub fn from_error(e: Error, fields: &[&str], lang: Lang) -> Result<Self, Failure> {
        match e {
            Error::Validation(vs) => {
                let mut out = Self::default();
                for Violation {
                    field,
                    constraint,
                    message,
                } in vs
                {
                    let said = crate::i18n::field_message(lang, &field, constraint, &message);
                    if fields.contains(&field.as_str()) {
                        out.items.push((field, said));
                    } else {
                        out.general = Some(said);
                    }
                }
                Ok(out)
            }
            Error::Conflict {
                field: Some(field),
                message,
            } if fields.contains(&field) => Ok(Self {
                items: vec![(
                    field.to_owned(),
                    crate::i18n::field_message(lang, field, "taken", &message),
                )],
                general: None,
                retry_after_secs: None,
            }),
            Error::Unauthorized(_) => Ok(Self {
                items: Vec::new(),
                general: Some(lang.t("bad_login").to_owned()),
                retry_after_secs: None,
            }),
            Error::RateLimited {
                retry_after_secs, ..
            } => Ok(Self {
                items: Vec::new(),
                general: Some(lang.t("error_429").to_owned()),
                retry_after_secs: Some(retry_after_secs),
            }),
            Error::Forbidden(m) | Error::BadRequest(m) => Ok(Self {
                items: Vec::new(),
                general: Some(m),
                retry_after_secs: None,
            }),
            e => Err(Failure::new(e, lang)),
        }
    }
}

/// The status of a form page that comes back with its errors: 429 when a rate limit
/// refused it, 422 otherwise.
pub fn form_status(errors: &FieldErrors) -> StatusCode {
    if errors.retry_after_secs.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Adds `Retry-After` to a form page a rate limit refused.
pub fn with_retry_after(mut res: Response, secs: Option<u64>) -> Response {
    if let Some(secs) = secs {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// Renders a template, or a plain error page if the template fails.
pub fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "web template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()),
            )
                .into_response()
        }
    }
}

pub type PageResult = Result<Response, Failure>;

pub fn ok(t: &impl Template) -> PageResult {
    Ok(html(StatusCode::OK, t))
}

/// After a successful form: see the result (303, so a reload does not resend it).
pub fn see(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub code: u16,
    pub message: String,
}

/// A failed request, shown as a page in the layout and the request's language.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub lang: Lang,
    /// Said beside the status's own words (a reason from the use case).
    pub detail: Option<String>,
}

impl Failure {
    pub fn new(e: Error, lang: Lang) -> Self {
        let status = match &e {
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Validation(_) | Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Internal(cause) => {
                tracing::error!(error = %cause, "web request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let detail = match e {
            // The status's own words say all of it (and in the page's language).
            Error::Internal(_)
            | Error::Unavailable(_)
            | Error::NotFound(_)
            | Error::RateLimited { .. } => None,
            Error::Validation(vs) => Some(
                vs.iter()
                    .map(|v| v.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            e => Some(e.to_string()),
        };
        Self {
            status,
            lang,
            detail,
        }
    }

    pub fn status(status: StatusCode, lang: Lang) -> Self {
        Self {
            status,
            lang,
            detail: None,
        }
    }

    pub fn not_found(lang: Lang) -> Self {
        Self::status(StatusCode::NOT_FOUND, lang)
    }

    pub fn render(self) -> Response {
        let key = match self.status.as_u16() {
            c @ (400 | 401 | 403 | 404 | 409 | 413 | 429 | 503) => format!("error_{c}"),
            400..=499 => "error_400".to_owned(),
            _ => "error_500".to_owned(),
        };
        let mut message = self.lang.t(&key).to_owned();
        if let Some(d) = self.detail.filter(|d| !d.is_empty()) {
            message = format!("{message} ({d})");
        }
        let page = ErrorPage {
            c: Chrome::bare(self.lang, self.lang.t(&key)),
            code: self.status.as_u16(),
            message,
        };
        let mut res = html(self.status, &page);
        if matches!(
            self.status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
        ) {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        self.render()
    }
}

/// A positive id from the path; anything else is a page that does not exist.
pub fn path_id(raw: &str, lang: Lang) -> Result<i64, Failure> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(Failure::not_found(lang)),
    }
}

/// A member's form about the object at `{under}/{id}`: its id, the member and the
/// form's fields, or (`Err`) the log-in page for a visitor, coming back to the object.
pub fn member_form<'v>(
    v: &'v Visitor,
    raw_id: &str,
    body: &[u8],
    under: &str,
) -> Result<
    Result<
        (
            i64,
            &'v madang_domain::web_sessions::SignedIn,
            madang_http::pages::FormData,
        ),
        Response,
    >,
    Failure,
> {
    let id = path_id(raw_id, v.lang)?;
    let Some(m) = &v.member else {
        return Ok(Err(posts::to_login(&format!("{under}/{id}"))));
    };
    Ok(Ok((id, m, form(body, v)?)))
}

/// The query string's pairs (a malformed one is a 400 page).
pub fn query(raw: Option<&str>, lang: Lang) -> Result<madang_http::pages::FormData, Failure> {
    madang_http::pages::FormData::parse(raw.unwrap_or("").as_bytes())
        .map_err(|e| Failure::new(e, lang))
}

/// A form body's pairs, with its CSRF token checked.
pub fn form(body: &[u8], v: &Visitor) -> Result<madang_http::pages::FormData, Failure> {
    let f = madang_http::pages::FormData::parse(body).map_err(|e| Failure::new(e, v.lang))?;
    v.check_csrf(f.csrf())
        .map_err(|e| Failure::new(e, v.lang))?;
    Ok(f)
}

/// Runs `work` once the visitor's allowance for `action` lets it (see [`limit`]).
pub async fn within_limit<T>(
    state: &WebState,
    v: &Visitor,
    action: madang_domain::limits::Action,
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    limit(state, v, action).await?;
    work.await
}

/// Takes one `action` from the visitor's allowances, as the API does for the same
/// action (see `madang_domain::limits`).
pub async fn limit(
    state: &WebState,
    v: &Visitor,
    action: madang_domain::limits::Action,
) -> Result<(), Error> {
    let actor = v.member.as_ref().map(|m| m.actor());
    state
        .app
        .limits
        .check(action, actor.as_ref(), &v.client)
        .await
}
