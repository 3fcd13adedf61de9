//! Accounts in the browser: sign-up, log-in (and back to unsent work), log-out,
//! my page (profile, password, log-in history, resignation), public profiles, and
//! the language toggle.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use madang_domain::accounts::{PasswordChange, SignUp};
use madang_domain::limits::Action;
use madang_domain::listing::PageRequest;
use madang_domain::posts::PostQuery;
use madang_domain::users::Role;
use madang_domain::web_sessions::SignedIn;
use madang_http::pages::{FormData, LANG_COOKIE, Lang};

use super::boards::PostRow;
use super::posts::{self, CommentRow};
use super::{
    Chrome, Failure, FieldErrors, PageResult, form, form_status, html, ok, path_id, query, see,
    with_retry_after, within_limit,
};
use crate::WebState;
use crate::i18n::Words;
use crate::session::{SESSION_COOKIE, Visitor, set_cookie};
use crate::view::{When, safe_next};

/// The fields of unsent work a log-in carries through: a post's (a comment's is
/// `content`).
const DRAFT_FIELDS: &[&str] = posts::POST_FIELDS;

fn drafts(f: &FormData) -> Vec<(String, String)> {
    DRAFT_FIELDS
        .iter()
        .filter_map(|k| f.get(k).map(|val| ((*k).to_owned(), val.to_owned())))
        .collect()
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub username: String,
    pub next: String,
    pub drafts: Vec<(String, String)>,
    pub draft_to: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage {
    pub c: Chrome,
    pub name: String,
    pub email: String,
    pub next: String,
    pub errors: FieldErrors,
}

fn next_of(f: &FormData) -> String {
    f.get("next").and_then(safe_next).unwrap_or("/").to_owned()
}

/// `GET /login?next=`
pub async fn login_page(v: Visitor, RawQuery(raw): RawQuery) -> PageResult {
    let q = query(raw.as_deref(), v.lang)?;
    if v.member.is_some() {
        return Ok(see(&next_of(&q)));
    }
    ok(&LoginPage {
        c: Chrome::new(&v, v.lang.t("log_in")),
        username: String::new(),
        next: next_of(&q),
        drafts: Vec::new(),
        draft_to: String::new(),
        errors: FieldErrors::none(),
    })
}

/// The log-in page for unsent work whose session had ended: the work rides along
/// in hidden fields and comes back in its form after the log-in.
pub fn login_with_draft(v: &Visitor, draft_to: &str, raw: &FormData) -> Response {
    let drafts = drafts(raw);
    let mut c = Chrome::new(v, v.lang.t("log_in"));
    c.notice = Some("draft_kept");
    let page = LoginPage {
        c,
        username: String::new(),
        next: draft_to.trim_end_matches("/comments").to_owned(),
        drafts,
        draft_to: draft_to.to_owned(),
        errors: FieldErrors::none(),
    };
    html(StatusCode::UNAUTHORIZED, &page)
}

/// The visitor as they are once `member` has signed in.
fn signed_in_visitor(v: Visitor, member: SignedIn) -> Visitor {
    Visitor {
        csrf: member.csrf.clone(),
        member: Some(member),
        ..v
    }
}

fn with_session(mut res: Response, token: &str, ttl: i64, tls: bool) -> Response {
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, token, ttl, tls, true),
    );
    res
}

/// `POST /login`
pub async fn login(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let f = form(&body, &v)?;
    let username = f.get("username").unwrap_or("").to_owned();
    let password = f.get("password").unwrap_or("");
    let draft_to = f
        .get("draft_to")
        .and_then(safe_next)
        .unwrap_or("")
        .to_owned();
    match state.sessions.log_in(&username, password, &v.client).await {
        Ok((token, member)) => {
            let (ttl, tls) = (state.sessions.ttl_secs(), v.tls);
            let next = next_of(&f);
            let v = signed_in_visitor(v, member);
            // Signed in whatever the form's fate: the cookie goes with any answer.
            let res = if draft_to.is_empty() {
                see(&next)
            } else {
                resume(&state, &v, &draft_to, &f)
                    .await
                    .unwrap_or_else(Failure::render)
            };
            Ok(with_session(res, &token, ttl, tls))
        }
        Err(e) => {
            let status = match &e {
                madang_domain::Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                madang_domain::Error::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            let restricted = matches!(e, madang_domain::Error::Forbidden(_));
            let mut errors = FieldErrors::from_error(e, &[], v.lang)?;
            if restricted {
                // The password was right: say why this member may not sign in, and
                // until when, in the page's language.
                if let Ok(user) = state.app.accounts.find(&username).await {
                    let now = state.app.accounts.now();
                    errors.general = super::restriction(user.state.at(now), v.lang);
                }
            }
            let drafts = drafts(&f);
            let page = LoginPage {
                c: Chrome::new(&v, v.lang.t("log_in")),
                username,
                next: next_of(&f),
                drafts,
                draft_to,
                errors,
            };
            Ok(html(status, &page))
        }
    }
}

/// Shows unsent work in its form again, for the member to check and send.
async fn resume(state: &WebState, v: &Visitor, draft_to: &str, f: &FormData) -> PageResult {
    let mut parts = draft_to.trim_start_matches('/').split('/');
    let (input, _) = posts::post_input(f);
    match (parts.next(), parts.next(), parts.next()) {
        (Some("write"), None, None) => {
            let mut page = posts::write_form(state, v, None, &input, FieldErrors::none()).await?;
            page.c.notice = Some("draft_back");
            ok(&page)
        }
        (Some("posts"), Some(id), Some("edit")) => {
            let id = path_id(id, v.lang)?;
            posts::own_post(state, v, id).await?;
            let mut page =
                posts::write_form(state, v, Some(id), &input, FieldErrors::none()).await?;
            page.c.notice = Some("draft_back");
            ok(&page)
        }
        (Some("posts"), Some(id), Some("comments")) => {
            let id = path_id(id, v.lang)?;
            let content = f.get("content").unwrap_or("").to_owned();
            posts::post_page(
                state,
                v,
                id,
                1,
                posts::CommentForm::kept(content),
                StatusCode::OK,
                None,
            )
            .await
        }
        _ => Ok(see("/")),
    }
}

/// `POST /logout`
pub async fn logout(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    if let Some(m) = &v.member {
        form(&body, &v)?;
        state
            .sessions
            .log_out(m)
            .await
            .map_err(|e| Failure::new(e, v.lang))?;
    }
    let mut res = see("/");
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, v.tls, true),
    );
    Ok(res)
}

/// `GET /signup`
pub async fn signup_page(v: Visitor, RawQuery(raw): RawQuery) -> PageResult {
    let q = query(raw.as_deref(), v.lang)?;
    ok(&SignupPage {
        c: Chrome::new(&v, v.lang.t("sign_up")),
        name: String::new(),
        email: String::new(),
        next: next_of(&q),
        errors: FieldErrors::none(),
    })
}

/// `POST /signup`: the new member is signed in at once.
pub async fn signup(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let f = form(&body, &v)?;
    let get = |k: &str| f.get(k).map(str::to_owned);
    let input = SignUp {
        name: get("name"),
        email: get("email"),
        password1: get("password1"),
        password2: get("password2"),
    };
    let signed_up = within_limit(
        &state,
        &v,
        Action::SignUp,
        state.app.accounts.sign_up(input, Role::User),
    )
    .await;
    match signed_up {
        Ok(user) => {
            let (token, _) = state
                .sessions
                .open(user)
                .await
                .map_err(|e| Failure::new(e, v.lang))?;
            Ok(with_session(
                see(&next_of(&f)),
                &token,
                state.sessions.ttl_secs(),
                v.tls,
            ))
        }
        Err(e) => {
            let errors =
                FieldErrors::from_error(e, &["name", "email", "password1", "password2"], v.lang)?;
            let (status, wait) = (form_status(&errors), errors.retry_after_secs);
            let page = SignupPage {
                c: Chrome::new(&v, v.lang.t("sign_up")),
                name: get("name").unwrap_or_default(),
                email: get("email").unwrap_or_default(),
                next: next_of(&f),
                errors,
            };
            Ok(with_retry_after(html(status, &page), wait))
        }
    }
}

pub struct LoginRow {
    pub when: When,
    pub ok: bool,
    pub ip: String,
    pub agent: String,
}

#[derive(Template)]
#[template(path = "me.html")]
pub struct MePage {
    pub c: Chrome,
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub state: &'static str,
    pub joined: When,
    pub logins: Vec<LoginRow>,
    /// The member's newest bookmarks (스크랩), as links.
    pub bookmarks: Vec<BookmarkRow>,
    pub errors: FieldErrors,
    pub changed: bool,
}

pub struct BookmarkRow {
    pub id: i64,
    pub prefix: Option<String>,
    pub title: String,
    pub board: String,
    pub when: When,
}

/// The signed-in member, or the way to the log-in page and back to `back` (the page
/// that holds the form).
fn require<'v>(v: &'v Visitor, back: &str) -> Result<&'v SignedIn, Box<Response>> {
    v.member.as_ref().ok_or_else(|| {
        Box::new(Redirect::to(&format!("/login?next={}", crate::view::enc(back))).into_response())
    })
}

async fn me_page(
    state: &WebState,
    v: &Visitor,
    errors: FieldErrors,
    changed: bool,
) -> Result<MePage, Failure> {
    let Some(m) = &v.member else {
        return Err(Failure::status(StatusCode::UNAUTHORIZED, v.lang));
    };
    let actor = m.actor();
    let user = state
        .app
        .accounts
        .me(&actor)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let logins = state
        .app
        .accounts
        .logins(&actor, &PageRequest::first(20))
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let bookmarks = state
        .app
        .posts
        .bookmarks(&actor, None, Some(20), None)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let now = state.app.accounts.now();
    Ok(MePage {
        c: Chrome::new(v, v.lang.t("my_page")),
        id: user.id,
        name: user.name,
        email: user.email,
        role: user.role.as_str(),
        state: m.user.state.kind(),
        joined: When::new(user.created_at, now, v.lang),
        logins: logins
            .items
            .into_iter()
            .map(|l| LoginRow {
                when: When::new(l.created_at, now, v.lang),
                ok: l.succeeded,
                ip: l.ip.unwrap_or_default(),
                agent: l.user_agent.unwrap_or_default(),
            })
            .collect(),
        bookmarks: bookmarks
            .items
            .into_iter()
            .map(|b| BookmarkRow {
                id: b.post.id,
                prefix: b.post.prefix.map(|p| p.name),
                title: b.post.title,
                board: b.post.category.name,
                when: When::new(b.bookmarked_at, now, v.lang),
            })
            .collect(),
        errors,
        changed,
    })
}

/// `GET /me`
pub async fn me(State(state): State<WebState>, v: Visitor, RawQuery(raw): RawQuery) -> PageResult {
    if let Err(to_login) = require(&v, &v.here) {
        return Ok(*to_login);
    }
    let q = query(raw.as_deref(), v.lang)?;
    ok(&me_page(&state, &v, FieldErrors::none(), q.get("changed").is_some()).await?)
}

/// `POST /me/password`
pub async fn change_password(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let m = match require(&v, "/me") {
        Ok(m) => m,
        Err(to_login) => return Ok(*to_login),
    };
    let f = form(&body, &v)?;
    let get = |k: &str| f.get(k).map(str::to_owned);
    let input = PasswordChange {
        current_password: get("current_password"),
        password1: get("password1"),
        password2: get("password2"),
    };
    match state.sessions.change_password(m, input).await {
        Ok(()) => Ok(see("/me?changed=1#password")),
        Err(e) => {
            let errors = FieldErrors::from_error(
                e,
                &["current_password", "password1", "password2"],
                v.lang,
            )?;
            let page = me_page(&state, &v, errors, false).await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "resign.html")]
pub struct ResignPage {
    pub c: Chrome,
    pub errors: FieldErrors,
    pub done: bool,
}

/// `GET /me/resign`: the confirmation.
pub async fn resign_page(v: Visitor) -> PageResult {
    if let Err(to_login) = require(&v, &v.here) {
        return Ok(*to_login);
    }
    ok(&ResignPage {
        c: Chrome::new(&v, v.lang.t("resign")),
        errors: FieldErrors::none(),
        done: false,
    })
}

/// `POST /me/resign` (the password confirms it)
pub async fn resign(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let m = match require(&v, "/me/resign") {
        Ok(m) => m,
        Err(to_login) => return Ok(*to_login),
    };
    let f = form(&body, &v)?;
    match state.sessions.resign(m, f.get("password")).await {
        Ok(()) => {
            let mut c = Chrome::new(&v, v.lang.t("resign"));
            c.member = None;
            let mut res = html(
                StatusCode::OK,
                &ResignPage {
                    c,
                    errors: FieldErrors::none(),
                    done: true,
                },
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, "", 0, v.tls, true),
            );
            Ok(res)
        }
        Err(e) => {
            let errors = FieldErrors::from_error(e, &["password"], v.lang)?;
            let page = ResignPage {
                c: Chrome::new(&v, v.lang.t("resign")),
                errors,
                done: false,
            };
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "user.html")]
pub struct UserPage {
    pub c: Chrome,
    pub id: i64,
    /// The reader blocks this member (`None`: the reader cannot, being a visitor or them).
    pub blocked: Option<bool>,
    pub name: String,
    pub joined: When,
    pub post_count: i64,
    pub comment_count: i64,
    pub posts: Vec<PostRow>,
    pub comments: Vec<(i64, CommentRow)>,
}

/// `/users/{id}`: the public profile with the member's newest posts and comments.
pub async fn user(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let fail = |e| Failure::new(e, v.lang);
    let profile = state.app.accounts.profile(id).await.map_err(fail)?;
    let actor = v.member.as_ref().map(|m| m.actor());
    let posts = state
        .app
        .posts
        .list(
            PostQuery {
                author_id: Some(id),
                size: Some(10),
                ..PostQuery::default()
            },
            actor.as_ref(),
        )
        .await
        .map_err(fail)?;
    let comments = state
        .app
        .comments
        .of_user(id, &PageRequest::first(10))
        .await
        .map_err(fail)?;
    let blocked = match &actor {
        Some(a) if a.id != id => {
            let mine = state.app.blocks.of(Some(a)).await.map_err(fail)?;
            Some(mine.contains(&id))
        }
        _ => None,
    };
    let now = state.app.accounts.now();
    let mut c = Chrome::new(&v, profile.name.clone());
    c.canonical = Some(format!("/users/{id}"));
    c.og_type = "profile";
    ok(&UserPage {
        c,
        id,
        blocked,
        name: profile.name,
        joined: When::new(profile.created_at, now, v.lang),
        post_count: profile.post_count,
        comment_count: profile.comment_count,
        posts: posts
            .items
            .iter()
            .map(|p| PostRow::new(p, now, v.lang))
            .collect(),
        comments: comments
            .items
            .into_iter()
            .map(|cm| (cm.post_id, CommentRow::new(&(cm, None), now, v.lang)))
            .collect(),
    })
}

/// `GET /lang?to=ko|en&next=`: the toggle, remembered for a year.
pub async fn set_lang(v: Visitor, RawQuery(raw): RawQuery) -> PageResult {
    let q = query(raw.as_deref(), v.lang)?;
    let lang = q.get("to").and_then(Lang::parse).unwrap_or(v.lang);
    let mut res = see(&next_of(&q));
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, lang.code(), 365 * 86_400, v.tls, true),
    );
    Ok(res)
}
