//! Requests and answers of reports (신고) and the public moderation log.

use madang_domain::reports::{ModlogEntry, Report};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rfc3339;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReportRequest {
    #[schema(value_type = Option<ReportReasonParam>, required = true, nullable = false)]
    pub reason: Option<String>,
    /// What a moderator should know; up to 1,000 characters, empty is none.
    #[schema(max_length = 1000)]
    pub detail: Option<String>,
}

/// Why content is reported (documentation only: the domain parses the value).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ReportReasonParam {
    Spam,
    Abuse,
    Illegal,
    Other,
}

/// What a report is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportTargetView {
    /// `post` or `comment`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    /// The post the content is (or is in).
    pub post_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub target: ReportTargetView,
    /// `spam`, `abuse`, `illegal` or `other`.
    pub reason: &'static str,
    pub detail: Option<String>,
    /// `open` until a moderator decides, then `resolved`.
    pub status: &'static str,
    /// `dismissed`, `removed`, `suspended` (removed, author suspended) or `banned`
    /// (removed, author banned); `null` while open.
    pub outcome: Option<&'static str>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

impl From<Report> for ReportView {
    fn from(r: Report) -> Self {
        Self {
            id: r.id,
            target: ReportTargetView {
                kind: r.kind.as_str(),
                id: r.target_id,
                post_id: r.post_id,
            },
            reason: r.reason.as_str(),
            detail: r.detail,
            status: if r.outcome.is_some() {
                "resolved"
            } else {
                "open"
            },
            outcome: r.outcome.map(|o| o.as_str()),
            created_at: rfc3339(r.created_at),
            resolved_at: r.resolved_at.map(rfc3339),
        }
    }
}

/// What a moderation-log entry is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModlogTargetView {
    /// `post`, `comment` or `user`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModlogEntryView {
    pub id: i64,
    /// `delete`, `restore`, `dismiss` (reports dismissed), `remove` (removed on
    /// reports), `suspend`, `ban` or `reinstate`.
    pub action: String,
    pub target: ModlogTargetView,
    pub reason: Option<String>,
    /// `moderator` or `admin`; never who.
    pub moderator_role: Option<&'static str>,
    pub created_at: String,
}

impl From<ModlogEntry> for ModlogEntryView {
    fn from(e: ModlogEntry) -> Self {
        Self {
            id: e.id,
            action: e.action,
            target: ModlogTargetView {
                kind: e.object_type,
                id: e.object_id,
            },
            reason: e.reason,
            moderator_role: e.moderator_role.map(|r| r.as_str()),
            created_at: rfc3339(e.at),
        }
    }
}
