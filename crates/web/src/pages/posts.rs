//! A post: reading it with its comments, voting, commenting, writing, editing,
//! deleting, and its history with the changes between versions.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use madang_domain::Error;
use madang_domain::comments::CommentView;
use madang_domain::limits::Action;
use madang_domain::listing::{Page, PageRequest};
use madang_domain::posts::{PostDetail, PostInput, PrefixRef};
use madang_http::pages::FormData;

use super::{
    Chrome, Failure, FieldErrors, NavItem, PageResult, form, form_status, html, limit, ok, path_id,
    query, see, with_retry_after, within_limit,
};
use crate::WebState;
use crate::i18n::{Lang, Words};
use crate::session::Visitor;
use crate::view::{Pager, When, enc, linked_text_with};

/// The members a text mentions, as its rendering links them.
fn mentions(m: &[madang_domain::users::AuthorRef]) -> Vec<(i64, String)> {
    m.iter().map(|a| (a.id, a.name.clone())).collect()
}

/// Comments per page of a post.
pub const COMMENT_PAGE: u32 = 50;

pub struct PostView {
    pub id: i64,
    pub title: String,
    pub content_html: String,
    pub board: (i64, String),
    pub author: Option<(i64, String)>,
    pub created: When,
    pub updated: Option<When>,
    pub votes: i64,
    pub voted: bool,
    pub comment_count: i64,
    pub mine: bool,
    pub deleted: bool,
    pub prefix: Option<String>,
    pub views: i64,
    /// `board` or `site` when pinned.
    pub pin: Option<&'static str>,
    pub bookmarked: bool,
    /// Whether the reader may pin it (moderators and admins).
    pub staff: bool,
}

pub struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    /// A reply, shown under its thread's comment.
    pub reply: bool,
    /// A deleted comment kept for its replies: shown as "삭제된 댓글입니다".
    pub deleted: bool,
    /// By a member the reader blocks, kept for its replies.
    pub blocked: bool,
    /// A best comment heading the first page.
    pub best: bool,
    pub author: Option<(i64, String)>,
    pub content_html: String,
    pub when: When,
    pub edited: bool,
    pub votes: i64,
}

impl CommentRow {
    pub fn new(c: &CommentView, now: madang_domain::Timestamp, lang: Lang) -> Self {
        let c = &c.0;
        Self {
            id: c.id,
            post_id: c.post_id,
            reply: c.parent_id.is_some(),
            deleted: c.deleted,
            blocked: c.blocked,
            best: c.best,
            author: c.author.as_ref().map(|a| (a.id, a.name.clone())),
            content_html: linked_text_with(&c.content, &mentions(&c.mentions)),
            when: When::new(c.created_at, now, lang),
            edited: c.version > 1,
            votes: c.vote_count,
        }
    }
}

#[derive(Template)]
#[template(path = "post.html")]
pub struct PostPage {
    pub c: Chrome,
    pub p: PostView,
    pub comments: Vec<CommentRow>,
    pub pager: Pager,
    pub draft: String,
    pub errors: FieldErrors,
    /// The comment form sends a reply to this comment (a refused reply shown again).
    pub parent: Option<i64>,
}

#[derive(Template)]
#[template(path = "comment.html")]
pub struct CommentFragment {
    pub c: Chrome,
    pub r: CommentRow,
}

#[derive(Template)]
#[template(path = "write.html")]
pub struct WritePage {
    pub c: Chrome,
    pub heading: &'static str,
    pub action: String,
    pub boards: Vec<NavItem>,
    pub category_id: Option<i64>,
    /// The boards that offer prefixes, and theirs.
    pub prefix_groups: Vec<(String, Vec<PrefixRef>)>,
    pub prefix_id: Option<i64>,
    pub title: String,
    pub content: String,
    pub errors: FieldErrors,
    pub cancel: String,
}

fn post_view(
    p: &PostDetail,
    voted: Option<bool>,
    v: &Visitor,
    now: madang_domain::Timestamp,
) -> PostView {
    PostView {
        id: p.id,
        title: p.title.clone(),
        content_html: linked_text_with(&p.content, &mentions(&p.mentions)),
        board: (p.category.id, p.category.name.clone()),
        author: p.author.as_ref().map(|a| (a.id, a.name.clone())),
        created: When::new(p.created_at, now, v.lang),
        updated: (p.version > 1).then(|| When::new(p.updated_at, now, v.lang)),
        votes: p.vote_count,
        voted: voted.unwrap_or(false),
        comment_count: p.comment_count,
        mine: v
            .member
            .as_ref()
            .is_some_and(|m| p.author.as_ref().is_some_and(|a| a.id == m.user.id)),
        deleted: p.deleted_at.is_some(),
        prefix: p.prefix.as_ref().map(|x| x.name.clone()),
        views: p.view_count,
        pin: p.pin.map(|s| s.as_str()),
        bookmarked: false,
        staff: v.member.as_ref().is_some_and(|m| m.user.role.is_staff()),
    }
}

/// An excerpt of plain text for a meta description.
fn describe(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(150).collect();
    if one_line.chars().count() > 150 {
        out.push('…');
    }
    out
}

/// What the comment form of a post page holds: the member's text, and why it was
/// refused.
pub(crate) struct CommentForm {
    pub draft: String,
    pub errors: FieldErrors,
    /// The comment a refused reply answered, so the form sends it again as a reply.
    pub parent: Option<i64>,
}

impl CommentForm {
    pub(crate) fn empty() -> Self {
        Self::kept(String::new())
    }

    pub(crate) fn kept(draft: String) -> Self {
        Self {
            draft,
            errors: FieldErrors::none(),
            parent: None,
        }
    }
}

/// Renders a post page with its comment form, and a notice above it if any.
pub(crate) async fn post_page(
    state: &WebState,
    v: &Visitor,
    id: i64,
    cpage: u32,
    CommentForm {
        draft,
        errors,
        parent,
    }: CommentForm,
    status: StatusCode,
    notice: Option<&'static str>,
) -> PageResult {
    let actor = v.member.as_ref().map(|m| m.actor());
    let (post, voted) = state
        .app
        .posts
        .view(id, actor.as_ref(), &v.client)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let bookmarked = match &actor {
        Some(a) => state
            .app
            .posts
            .bookmarked(a, id)
            .await
            .map_err(|e| Failure::new(e, v.lang))?,
        None => false,
    };
    let req = PageRequest {
        page: cpage,
        size: COMMENT_PAGE,
        after: None,
    };
    let comments: Page<CommentView> = if post.deleted_at.is_some() {
        Page::from_rows(
            Vec::new(),
            &req,
            "comments.post",
            0,
            false,
            |c: &CommentView| c.0.key(),
        )
    } else {
        state
            .app
            .comments
            .of_post(id, &req, actor.as_ref())
            .await
            .map_err(|e| Failure::new(e, v.lang))?
    };
    let now = state.app.accounts.now();
    let (mut c, _) = Chrome::with_nav(state, v, post.title.clone(), Some(post.category.id)).await?;
    c.description = describe(&post.content);
    c.canonical = Some(format!("/posts/{id}"));
    c.og_type = "article";
    c.notice = notice;
    let rows = comments
        .items
        .iter()
        .map(|cv| CommentRow::new(cv, now, v.lang))
        .collect();
    let mut pager = Pager::numbered(
        &format!("/posts/{id}?"),
        "cpage",
        comments.current_page,
        u32::try_from(comments.total_pages()).unwrap_or(u32::MAX),
    );
    for l in pager.numbers.iter_mut() {
        l.href.push_str("#comments");
    }
    for h in [&mut pager.prev, &mut pager.next].into_iter().flatten() {
        h.push_str("#comments");
    }
    let page = PostPage {
        p: PostView {
            bookmarked,
            ..post_view(&post, voted, v, now)
        },
        comments: rows,
        pager,
        draft,
        errors,
        parent,
        c,
    };
    Ok(html(status, &page))
}

/// `/posts/{id}`
pub async fn show(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let q = query(raw.as_deref(), v.lang)?;
    let cpage = match q.get("cpage").filter(|p| !p.is_empty()) {
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                Failure::new(
                    Error::invalid("cpage", "range", "cpage must be a page number"),
                    v.lang,
                )
            })?,
        None => 1,
    };
    post_page(
        &state,
        &v,
        id,
        cpage,
        CommentForm::empty(),
        StatusCode::OK,
        (q.get("reported") == Some("1")).then_some("reported"),
    )
    .await
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("application/json"))
}

/// A form sent without a live session. When the session ended while the member
/// wrote (the request still carried its cookie), the text rides along through the
/// log-in; a form from elsewhere, without one, is only sent to the log-in page.
fn signed_out(v: &Visitor, draft_to: &str, raw: &FormData) -> Response {
    if v.had_session {
        super::account::login_with_draft(v, draft_to, raw)
    } else {
        to_login(draft_to.trim_end_matches("/comments"))
    }
}

/// The log-in page for a visitor who must sign in first, coming back to `next`.
pub(crate) fn to_login(next: &str) -> Response {
    Redirect::to(&format!("/login?next={}", enc(next))).into_response()
}

/// `POST /posts/{id}/vote` (`on=1` likes, `on=0` takes it back). The script asks
/// for JSON; a plain form comes back to the post.
pub async fn vote(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let Some(m) = &v.member else {
        return Ok(to_login(&format!("/posts/{id}")));
    };
    let f = form(&body, &v)?;
    let on = f.get("on") != Some("0");
    limit(&state, &v, Action::Vote)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let state_after = state
        .app
        .posts
        .vote(&m.actor(), id, on)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({
            "vote_count": state_after.vote_count,
            "voted": state_after.voted,
        }))
        .into_response());
    }
    Ok(see(&format!("/posts/{id}")))
}

/// `POST /posts/{id}/comments`. A failed comment comes back in its form with the
/// text kept; the script posts in place and receives the new comment's HTML.
pub async fn comment(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let raw = FormData::parse(&body).map_err(|e| Failure::new(e, v.lang))?;
    let Some(m) = &v.member else {
        return Ok(signed_out(&v, &format!("/posts/{id}/comments"), &raw));
    };
    let f = form(&body, &v)?;
    let content = f.get("content").unwrap_or("");
    let parent = f.get("parent_id").filter(|p| !p.is_empty());
    let parent_id = parent.and_then(|p| p.parse::<i64>().ok());
    // The post page again, with the member's text and why it was refused.
    let refused = |errors, status| {
        let form = CommentForm {
            draft: content.to_owned(),
            errors,
            parent: parent_id,
        };
        post_page(&state, &v, id, 1, form, status, None)
    };
    if let Some(errors) = restricted(&v) {
        return refused(errors, StatusCode::FORBIDDEN).await;
    }
    if parent.is_some() && parent_id.is_none() {
        let e = Error::invalid("parent_id", "integer", "parent_id must be a comment id");
        let errors = FieldErrors::from_error(e, &["content"], v.lang)?;
        return refused(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let actor = m.actor();
    let comment = state
        .app
        .comments
        .create(&actor, id, Some(content), parent_id);
    let created = within_limit(&state, &v, Action::Comment, comment).await;
    match created {
        Ok(view) if headers.contains_key("x-madang-fragment") => {
            let now = state.app.accounts.now();
            let frag = CommentFragment {
                c: Chrome::new(&v, ""),
                r: CommentRow::new(&view, now, v.lang),
            };
            Ok(html(StatusCode::CREATED, &frag))
        }
        Ok(view) => Ok(see(&format!("/posts/{id}#comment-{}", view.0.id))),
        Err(e) => {
            let errors = FieldErrors::from_error(e, &["content"], v.lang)?;
            let (status, wait) = (form_status(&errors), errors.retry_after_secs);
            refused(errors, status)
                .await
                .map(|res| with_retry_after(res, wait))
        }
    }
}

/// Why the member may not write now (suspended or banned), as the form's message.
fn restricted(v: &Visitor) -> Option<FieldErrors> {
    let m = v.member.as_ref()?;
    super::restriction(&m.user.state, v.lang).map(|r| FieldErrors {
        retry_after_secs: None,
        items: Vec::new(),
        general: Some(r),
    })
}

/// The write form, for a new post or an edit.
pub async fn write_form(
    state: &WebState,
    v: &Visitor,
    editing: Option<i64>,
    input: &PostInput,
    errors: FieldErrors,
) -> Result<WritePage, Failure> {
    let heading = if editing.is_some() {
        "edit_post"
    } else {
        "new_post"
    };
    let (c, tree) = Chrome::with_nav(state, v, v.lang.t(heading), input.category_id).await?;
    let (action, cancel) = match editing {
        Some(id) => (format!("/posts/{id}/edit"), format!("/posts/{id}")),
        None => (
            "/write".to_owned(),
            input
                .category_id
                .map_or_else(|| "/".to_owned(), |b| format!("/boards/{b}")),
        ),
    };
    Ok(WritePage {
        heading: v.lang.t(heading),
        action,
        prefix_groups: super::all_boards(&tree)
            .iter()
            .filter_map(|b| {
                let c = tree.get(b.id)?;
                (!c.prefixes.is_empty()).then(|| (c.name.clone(), c.prefixes.clone()))
            })
            .collect(),
        prefix_id: input.prefix_id.flatten(),
        boards: super::all_boards(&tree),
        category_id: input.category_id,
        title: input.title.clone().unwrap_or_default(),
        content: input.content.clone().unwrap_or_default(),
        errors,
        cancel,
        c,
    })
}

/// The post fields of a form; a `category_id` that is not a number is a field error.
pub fn post_input(f: &FormData) -> (PostInput, FieldErrors) {
    let mut errors = FieldErrors::none();
    let category_id = match f.get("category_id").filter(|s| !s.is_empty()) {
        Some(s) => match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.items.push((
                    "category_id".into(),
                    "category_id must be a board's id".into(),
                ));
                None
            }
        },
        None => None,
    };
    // The form always sends the field: empty is no prefix.
    let prefix_id = match f.get("prefix_id") {
        None => None,
        Some("") => Some(None),
        Some(s) => match s.parse::<i64>() {
            Ok(n) => Some(Some(n)),
            Err(_) => {
                errors
                    .items
                    .push(("prefix_id".into(), "prefix_id must be a prefix's id".into()));
                None
            }
        },
    };
    let input = PostInput {
        category_id,
        prefix_id,
        title: f.get("title").map(str::to_owned),
        content: f.get("content").map(str::to_owned),
    };
    (input, errors)
}

/// `GET /write?board={id}`
pub async fn write_page(
    State(state): State<WebState>,
    v: Visitor,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if v.member.is_none() {
        return Ok(to_login(&v.here));
    }
    let q = query(raw.as_deref(), v.lang)?;
    let board = q.get("board").and_then(|b| b.parse::<i64>().ok());
    let input = PostInput {
        category_id: board,
        ..PostInput::default()
    };
    ok(&write_form(&state, &v, None, &input, FieldErrors::none()).await?)
}

pub const POST_FIELDS: &[&str] = &["category_id", "prefix_id", "title", "content"];

/// `POST /write`
pub async fn write(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let raw = FormData::parse(&body).map_err(|e| Failure::new(e, v.lang))?;
    let Some(m) = &v.member else {
        return Ok(signed_out(&v, "/write", &raw));
    };
    let f = form(&body, &v)?;
    let (input, mut errors) = post_input(&f);
    if let Some(r) = restricted(&v) {
        errors = r;
    }
    if !errors.any() {
        let created = within_limit(
            &state,
            &v,
            Action::Post,
            state.app.posts.create(&m.actor(), input.clone()),
        )
        .await;
        match created {
            Ok(p) => return Ok(see(&format!("/posts/{}", p.id))),
            Err(e) => errors = FieldErrors::from_error(e, POST_FIELDS, v.lang)?,
        }
    }
    let (status, wait) = (form_status(&errors), errors.retry_after_secs);
    let page = write_form(&state, &v, None, &input, errors).await?;
    Ok(with_retry_after(html(status, &page), wait))
}

/// The post, if the member may edit it (its author).
pub(crate) async fn own_post(
    state: &WebState,
    v: &Visitor,
    id: i64,
) -> Result<PostDetail, Failure> {
    let actor = v.member.as_ref().map(|m| m.actor());
    let (post, _) = state
        .app
        .posts
        .get(id, actor.as_ref())
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let mine = matches!((&v.member, &post.author), (Some(m), Some(a)) if a.id == m.user.id);
    if !mine || post.deleted_at.is_some() {
        return Err(Failure::new(
            Error::Forbidden("only the author may edit a post".into()),
            v.lang,
        ));
    }
    Ok(post)
}

/// `GET /posts/{id}/edit`
pub async fn edit_page(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    if v.member.is_none() {
        return Ok(to_login(&v.here));
    }
    let post = own_post(&state, &v, id).await?;
    let input = PostInput {
        category_id: Some(post.category.id),
        prefix_id: Some(post.prefix.map(|p| p.id)),
        title: Some(post.title),
        content: Some(post.content),
    };
    ok(&write_form(&state, &v, Some(id), &input, FieldErrors::none()).await?)
}

/// `POST /posts/{id}/edit`
pub async fn edit(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let raw = FormData::parse(&body).map_err(|e| Failure::new(e, v.lang))?;
    let Some(m) = &v.member else {
        return Ok(signed_out(&v, &format!("/posts/{id}/edit"), &raw));
    };
    let f = form(&body, &v)?;
    let (input, mut errors) = post_input(&f);
    if let Some(r) = restricted(&v) {
        errors = r;
    }
    if !errors.any() {
        let edited = within_limit(
            &state,
            &v,
            Action::Edit,
            state.app.posts.edit(&m.actor(), id, input.clone()),
        )
        .await;
        match edited {
            Ok(_) => return Ok(see(&format!("/posts/{id}"))),
            Err(e) => {
                let errors = FieldErrors::from_error(e, POST_FIELDS, v.lang)?;
                let (status, wait) = (form_status(&errors), errors.retry_after_secs);
                let page = write_form(&state, &v, Some(id), &input, errors).await?;
                return Ok(with_retry_after(html(status, &page), wait));
            }
        }
    }
    let page = write_form(&state, &v, Some(id), &input, errors).await?;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /posts/{id}/delete`
pub async fn delete(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let (id, m, _) = match super::member_form(&v, &raw_id, &body, "/posts")? {
        Ok(sent) => sent,
        Err(log_in) => return Ok(log_in),
    };
    let (post, _) = state
        .app
        .posts
        .get(id, Some(&m.actor()))
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    state
        .app
        .posts
        .delete(&m.actor(), id)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    Ok(see(&format!("/boards/{}", post.category.id)))
}
