//! Reporting (신고) a post or a comment from its page: a reason and an optional
//! detail, under the same rate limit as the API's reports.

use axum::body::Bytes;
use axum::extract::{Path, State};
use madang_domain::limits::Action;
use madang_domain::reports::TargetKind;

use super::{Failure, PageResult, form, path_id, see, within_limit};
use crate::WebState;
use crate::pages::posts::to_login;
use crate::session::Visitor;

/// `POST /posts/{id}/report`
pub async fn report_post(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    file(&state, &v, TargetKind::Post, &raw_id, &body).await
}

/// `POST /comments/{id}/report`
pub async fn report_comment(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    file(&state, &v, TargetKind::Comment, &raw_id, &body).await
}

/// Files the report and goes back to the post, which says it was received (a repeat
/// says the same: the member's open report stands).
async fn file(
    state: &WebState,
    v: &Visitor,
    kind: TargetKind,
    raw_id: &str,
    body: &[u8],
) -> PageResult {
    let id = path_id(raw_id, v.lang)?;
    let Some(m) = &v.member else {
        let back = match kind {
            TargetKind::Post => format!("/posts/{id}"),
            TargetKind::Comment => "/".to_owned(),
        };
        return Ok(to_login(&back));
    };
    let f = form(body, v)?;
    let actor = m.actor();
    let filing = state
        .app
        .reports
        .file(&actor, kind, id, f.get("reason"), f.get("detail"));
    let (report, _) = within_limit(state, v, Action::Report, filing)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    Ok(see(&format!("/posts/{}?reported=1", report.post_id)))
}
