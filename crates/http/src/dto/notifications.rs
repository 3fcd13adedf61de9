//! Requests and answers of notifications (알림).

use madang_domain::notifications::{Kind, Notification, Preferences};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AuthorView, rfc3339};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    /// Items per page, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub size: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Only the unread ones.
    pub unread: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// `comment` (on your post), `reply` (to your comment), `mention` (of you, in a
    /// post or a comment), `removed` (a moderator
    /// removed your post or comment; `reason` says why) or `report_decided` (a report
    /// of yours was decided; `reason` is the outcome).
    pub kind: &'static str,
    /// Who did it; `null` for a moderator, who is never named.
    pub actor: Option<AuthorView>,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub reason: Option<String>,
    pub read: bool,
    pub created_at: String,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind.as_str(),
            actor: n.actor.map(|a| AuthorView {
                id: a.id,
                name: a.name,
            }),
            post_id: n.post_id,
            comment_id: n.comment_id,
            reason: n.reason,
            read: n.read,
            created_at: rfc3339(n.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadView {
    pub unread: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedView {
    /// How many were unread and are read now.
    pub marked: u64,
}

/// Each kind and whether you get it. A `PUT` names the kinds to change.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    pub comment: Option<bool>,
    pub reply: Option<bool>,
    pub mention: Option<bool>,
    pub removed: Option<bool>,
    pub report_decided: Option<bool>,
}

impl NotificationSettings {
    pub fn changes(&self) -> Vec<(String, bool)> {
        [
            (Kind::Comment, self.comment),
            (Kind::Reply, self.reply),
            (Kind::Mention, self.mention),
            (Kind::Removed, self.removed),
            (Kind::ReportDecided, self.report_decided),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|on| (k.as_str().to_owned(), on)))
        .collect()
    }
}

impl From<Preferences> for NotificationSettings {
    fn from(p: Preferences) -> Self {
        let on = |k| p.iter().find(|(x, _)| *x == k).map(|(_, on)| *on);
        Self {
            comment: on(Kind::Comment),
            reply: on(Kind::Reply),
            mention: on(Kind::Mention),
            removed: on(Kind::Removed),
            report_decided: on(Kind::ReportDecided),
        }
    }
}
