//! A post's history: every version, with the words changed since the one before.

use askama::Template;
use axum::extract::{Path, State};

use super::{Chrome, Failure, PageResult, ok, path_id};
use crate::WebState;
use crate::diff;
use crate::i18n::Words;
use crate::session::Visitor;
use crate::view::When;

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
}

/// `/posts/{id}/history`: every version, newest first, each with its changes from
/// the one before.
pub async fn history(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
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
    let now = state.app.accounts.now();
    let mut out = Vec::with_capacity(versions.len());
    for (i, ver) in versions.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| &versions[j]);
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
            when: When::new(ver.created_at, now, v.lang),
            title_diff,
            body_html,
            added,
            removed,
            first: prev.is_none(),
        });
    }
    out.reverse();
    let (mut c, _) = Chrome::with_nav(
        &state,
        &v,
        format!("{} · {}", post.title, v.lang.t("history")),
        Some(post.category.id),
    )
    .await?;
    c.canonical = Some(format!("/posts/{id}/history"));
    ok(&HistoryPage {
        c,
        id,
        title: post.title,
        versions: out,
    })
}
