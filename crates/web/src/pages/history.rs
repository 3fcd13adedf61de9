//! A post's history: its versions, newest first, ten a page, each with the words
//! changed since the one before.
//!
//! A diff costs CPU in proportion to the text: a page holds at most ten, each with a
//! time budget, and they are worked out off the async workers. Search engines are
//! asked not to index the page.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use madang_domain::posts::PostVersion;

use super::{Chrome, Failure, PageResult, ok, path_id, query};
use crate::WebState;
use crate::diff;
use crate::i18n::{Lang, Words};
use crate::session::Visitor;
use crate::view::{Pager, When};

/// Versions per page of the history.
pub const VERSIONS_PAGE: usize = 10;

pub struct VersionView {
    pub version: i64,
    pub title: String,
    pub when: When,
    pub title_diff: Option<String>,
    pub body_html: String,
    pub added: usize,
    pub removed: usize,
    pub first: bool,
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub c: Chrome,
    pub id: i64,
    pub title: String,
    pub versions: Vec<VersionView>,
    pub pager: Pager,
}

/// The versions `shown` (indexes into `all`, oldest first) with their diffs.
fn views(
    all: &[PostVersion],
    shown: std::ops::Range<usize>,
    now: madang_domain::Timestamp,
    lang: Lang,
) -> Vec<VersionView> {
    let mut out = Vec::with_capacity(shown.len());
    for i in shown {
        let ver = &all[i];
        let prev = i.checked_sub(1).map(|j| &all[j]);
        let (body_html, added, removed, title_diff) = match prev {
            Some(p) => {
                let d = diff::words(&p.content, &ver.content);
                let t = (p.title != ver.title).then(|| diff::words(&p.title, &ver.title).html);
                (d.html, d.added, d.removed, t)
            }
            None => (crate::view::escape(&ver.content), 0, 0, None),
        };
        out.push(VersionView {
            version: ver.version,
            title: ver.title.clone(),
            when: When::new(ver.created_at, now, lang),
            title_diff,
            body_html,
            added,
            removed,
            first: prev.is_none(),
        });
    }
    out.reverse();
    out
}

/// `/posts/{id}/history?page=`: ten versions, newest first, each with its changes
/// from the one before.
pub async fn history(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let actor = v.member.as_ref().map(|m| m.actor());
    let (post, _) = state
        .app
        .posts
        .get(id, actor.as_ref())
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let mut versions = state
        .app
        .posts
        .versions(id, actor.as_ref())
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    versions.sort_by_key(|x| x.version);
    let q = query(raw.as_deref(), v.lang)?;
    let pages = versions.len().div_ceil(VERSIONS_PAGE).max(1);
    let page = match q.get("page").filter(|p| !p.is_empty()) {
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=pages).contains(n))
            .ok_or_else(|| Failure::not_found(v.lang))?,
        None => 1,
    };
    // Page 1 holds the newest versions.
    let end = versions.len().saturating_sub((page - 1) * VERSIONS_PAGE);
    let shown = end.saturating_sub(VERSIONS_PAGE)..end;
    let now = state.app.accounts.now();
    let lang = v.lang;
    let out = tokio::task::spawn_blocking(move || views(&versions, shown, now, lang))
        .await
        .map_err(|e| Failure::new(madang_domain::Error::internal(e), lang))?;
    let (mut c, _) = Chrome::with_nav(
        &state,
        &v,
        format!("{} · {}", post.title, v.lang.t("history")),
        Some(post.category.id),
    )
    .await?;
    c.canonical = Some(format!("/posts/{id}/history"));
    c.noindex = true;
    let pager = Pager::numbered(
        &format!("/posts/{id}/history?"),
        "page",
        page as u32,
        pages as u32,
    );
    ok(&HistoryPage {
        c,
        id,
        title: post.title,
        versions: out,
        pager,
    })
}
