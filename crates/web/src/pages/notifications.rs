//! The member's notifications (알림): the list, opening one (which marks it read and
//! goes to what it is about), and marking every one read.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use madang_domain::notifications::{Kind, Notification};

use super::{Chrome, Failure, PageResult, form, ok, path_id, query, see};
use crate::WebState;
use crate::i18n::{Lang, Words};
use crate::pages::posts::to_login;
use crate::session::Visitor;
use crate::view::{Pager, When};

/// Notifications a page of the list shows.
const PER_PAGE: i64 = 30;

pub struct NotificationRow {
    pub id: i64,
    pub text: String,
    pub reason: Option<String>,
    pub read: bool,
    pub when: When,
}

impl NotificationRow {
    fn new(n: &Notification, now: madang_domain::Timestamp, lang: Lang) -> Self {
        let who = n
            .actor
            .as_ref()
            .map_or_else(|| lang.t("someone").to_owned(), |a| a.name.clone());
        let removed_what = if n.comment_id.is_some() {
            "notice_removed_comment"
        } else {
            "notice_removed_post"
        };
        let text = match n.kind {
            Kind::Comment => lang.t("notice_comment").replace("{who}", &who),
            Kind::Reply => lang.t("notice_reply").replace("{who}", &who),
            Kind::Mention => lang.t("notice_mention").replace("{who}", &who),
            Kind::Removed => lang.t(removed_what).to_owned(),
            Kind::ReportDecided => lang.t("notice_report").to_owned(),
        };
        let reason = match (n.kind, &n.reason) {
            (Kind::ReportDecided, Some(outcome)) => {
                Some(lang.t(&format!("outcome_{outcome}")).to_owned())
            }
            (_, r) => r.clone(),
        };
        Self {
            id: n.id,
            text,
            reason,
            read: n.read,
            when: When::new(n.created_at, now, lang),
        }
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub c: Chrome,
    pub rows: Vec<NotificationRow>,
    pub pager: Pager,
    pub unread: i64,
}

/// `/notifications`
pub async fn list(
    State(state): State<WebState>,
    v: Visitor,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let Some(m) = &v.member else {
        return Ok(to_login("/notifications"));
    };
    let q = query(raw.as_deref(), v.lang)?;
    let fail = |e| Failure::new(e, v.lang);
    let page = match q.get("page") {
        Some(p) => Some(p.parse::<i64>().map_err(|_| {
            fail(madang_domain::Error::invalid(
                "page",
                "range",
                "page must be a number",
            ))
        })?),
        None => None,
    };
    let actor = m.actor();
    let n = &state.app.notifications;
    let list = n
        .list(&actor, false, page, Some(PER_PAGE), q.get("cursor"))
        .await
        .map_err(fail)?;
    let (mut c, _) = Chrome::with_nav(&state, &v, v.lang.t("notifications"), None).await?;
    c.noindex = true;
    let now = state.app.accounts.now();
    let pager = Pager::new(
        "/notifications?",
        list.current_page,
        list.total_pages(),
        list.next_cursor.as_ref().map(|c| c.encode()),
    );
    ok(&NotificationsPage {
        unread: c.unread,
        rows: list
            .items
            .iter()
            .map(|x| NotificationRow::new(x, now, v.lang))
            .collect(),
        pager,
        c,
    })
}

/// `POST /notifications/{id}/open`: marks it read and goes to what it is about.
pub async fn open(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let Some(m) = &v.member else {
        // Back to the list after logging in (a notification has no page of its own).
        return Ok(to_login("/notifications"));
    };
    form(&body, &v)?;
    let actor = m.actor();
    let fail = |e| Failure::new(e, v.lang);
    let n = &state.app.notifications;
    let target = n.get(&actor, id).await.map_err(fail)?;
    n.read(&actor, id).await.map_err(fail)?;
    Ok(see(&match (target.post_id, target.comment_id) {
        (Some(p), Some(c)) => format!("/posts/{p}#comment-{c}"),
        (Some(p), None) => format!("/posts/{p}"),
        _ => "/notifications".to_owned(),
    }))
}

/// `POST /notifications/read-all`
pub async fn read_all(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let Some(m) = &v.member else {
        return Ok(to_login("/notifications"));
    };
    form(&body, &v)?;
    state
        .app
        .notifications
        .read_all(&m.actor())
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    Ok(see("/notifications"))
}
