//! Reports (신고) and the public moderation log.
//!
//! A member reports a post or a comment once: while their report is open, reporting
//! the same content again answers the same report. Reports are grouped by their
//! content (a report target, one row per post or comment), and that group is what the
//! console's queue shows and what a moderator decides on. Content that enough distinct
//! members report is held (블라인드): it leaves every list like a deletion, so every
//! count stays exact, until a moderator dismisses the reports (it comes back) or
//! removes it. The moderator's decision is in `console`, where every staff write is.

use std::sync::Arc;

use async_trait::async_trait;

use crate::accounts::Actor;
use crate::cache::scope;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest};
use crate::ports::Cache;
use crate::time::{Clock, Timestamp};
use crate::users::Role;
use crate::validate::{Violations, char_len};

/// Longest detail a report may carry, in characters.
pub const DETAIL_MAX: usize = 1000;

/// Distinct members whose open reports hold content, unless configured.
pub const DEFAULT_HIDE_THRESHOLD: u32 = 5;

/// Why a member reports content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportReason {
    Spam,
    Abuse,
    Illegal,
    Other,
}

impl ReportReason {
    pub const ALL: [ReportReason; 4] = [Self::Spam, Self::Abuse, Self::Illegal, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Abuse => "abuse",
            Self::Illegal => "illegal",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Post,
    Comment,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Comment => "comment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "post" => Some(Self::Post),
            "comment" => Some(Self::Comment),
            _ => None,
        }
    }
}

/// How a moderator decided on a target's reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing wrong: the content stays (or comes back, if it was held).
    Dismissed,
    /// The content is removed.
    Removed,
    /// The content is removed and its author suspended.
    Suspended,
    /// The content is removed and its author banned.
    Banned,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Self::Dismissed,
        Self::Removed,
        Self::Suspended,
        Self::Banned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dismissed => "dismissed",
            Self::Removed => "removed",
            Self::Suspended => "suspended",
            Self::Banned => "banned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Whether this decision removes the content.
    pub fn removes(self) -> bool {
        self != Self::Dismissed
    }
}

/// One member's report, as that member sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub kind: TargetKind,
    pub target_id: i64,
    /// The post the target is (or is in).
    pub post_id: i64,
    pub reason: ReportReason,
    pub detail: Option<String>,
    /// `None` while the report is open.
    pub outcome: Option<Outcome>,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

/// The reports of one post or comment, as a moderator decides on them.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTarget {
    pub id: i64,
    pub kind: TargetKind,
    pub target_id: i64,
    pub post_id: i64,
    pub author_id: Option<i64>,
    /// Distinct members with an open report on it.
    pub reporters: i64,
    /// Held from the lists by the reports (not yet decided on).
    pub held: bool,
    /// `None` while reports are open.
    pub outcome: Option<Outcome>,
    pub first_at: Timestamp,
}

/// One report of a target, as the console's change page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportEntry {
    pub id: i64,
    pub reporter_id: i64,
    pub reporter_name: String,
    pub reason: ReportReason,
    pub detail: Option<String>,
    pub outcome: Option<Outcome>,
    pub created_at: Timestamp,
}

/// A report to file, as checked.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub reporter_id: i64,
    pub kind: TargetKind,
    pub target_id: i64,
    pub reason: ReportReason,
    pub detail: Option<String>,
    pub now: Timestamp,
    /// Hold the target once this many distinct members report it.
    pub hold_at: u32,
}

/// What filing a report did.
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// `created` is false when the member's open report on it was answered again.
    /// `held` is true when this report held the target.
    Report {
        report: Report,
        created: bool,
        held: bool,
    },
    /// No such content, or it is deleted (or held already).
    Missing,
    /// The member wrote it.
    OwnContent,
}

/// One entry of the public moderation log: what was done to which content, why, and
/// by which role, never by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct ModlogEntry {
    pub id: i64,
    pub action: String,
    pub object_type: String,
    pub object_id: i64,
    pub reason: Option<String>,
    pub moderator_role: Option<Role>,
    pub at: Timestamp,
}

/// The actions the moderation log shows (staff writes about content and members);
/// category, seminar and role changes are the console's own business.
pub const MODLOG_ACTIONS: [&str; 7] = [
    "delete",
    "restore",
    "dismiss",
    "remove",
    "suspend",
    "ban",
    "reinstate",
];

/// Reports, as members file them, and the public log of what moderators did.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Files a report in one transaction: the member's open report on the target is
    /// answered again when there is one (the unique index settles racing repeats), the
    /// target's counts move, and the target is held when `hold_at` distinct members
    /// report it.
    async fn file_report(&self, new: &NewReport) -> Result<Filed>;
    /// The member's reports, newest first.
    async fn reports_of(&self, reporter_id: i64, page: &PageRequest) -> Result<Page<Report>>;
    async fn report_target(&self, id: i64) -> Result<Option<ReportTarget>>;
    /// Every report of a target, newest first (at most `limit`).
    async fn target_reports(&self, id: i64, limit: u32) -> Result<Vec<ReportEntry>>;
    /// Earlier decisions that removed the member's content.
    async fn removals_of(&self, author_id: i64) -> Result<i64>;
    /// The moderation log, newest first.
    async fn modlog(&self, page: &PageRequest) -> Result<Page<ModlogEntry>>;
}

/// The report use cases.
pub struct Reports {
    store: Arc<dyn ReportStore>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    hide_threshold: u32,
}

impl Reports {
    pub fn new(
        store: Arc<dyn ReportStore>,
        cache: Arc<dyn Cache>,
        clock: Arc<dyn Clock>,
        hide_threshold: u32,
    ) -> Self {
        Self {
            store,
            cache,
            clock,
            hide_threshold: hide_threshold.max(1),
        }
    }

    /// Reports a post or a comment. Answers the report and whether it is new (a
    /// repeat answers the member's open report, unchanged).
    #[tracing::instrument(name = "reports.file", skip_all)]
    pub async fn file(
        &self,
        actor: &Actor,
        kind: TargetKind,
        target_id: i64,
        reason: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(Report, bool)> {
        actor.ensure_can_write()?;
        let (reason, detail) = check(reason, detail)?;
        let new = NewReport {
            reporter_id: actor.id,
            kind,
            target_id,
            reason,
            detail,
            now: self.clock.now(),
            hold_at: self.hide_threshold,
        };
        match self.store.file_report(&new).await? {
            Filed::Report {
                report,
                created,
                held,
            } => {
                if held {
                    self.cache.invalidate(&held_scopes(&report)).await;
                }
                Ok((report, created))
            }
            Filed::Missing => Err(Error::NotFound(kind.as_str())),
            Filed::OwnContent => Err(Error::Forbidden(format!(
                "you cannot report your own {}",
                kind.as_str()
            ))),
        }
    }

    /// The member's own reports, newest first, with what became of them.
    #[tracing::instrument(name = "reports.mine", skip_all)]
    pub async fn mine(
        &self,
        actor: &Actor,
        page: Option<i64>,
        size: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<Report>> {
        let page = PageRequest::parse(page, size, cursor, "reports.new")?;
        self.store.reports_of(actor.id, &page).await
    }

    /// The public moderation log, newest first.
    #[tracing::instrument(name = "reports.modlog", skip_all)]
    pub async fn modlog(
        &self,
        page: Option<i64>,
        size: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<ModlogEntry>> {
        let page = PageRequest::parse(page, size, cursor, "modlog.new")?;
        self.store.modlog(&page).await
    }
}

/// The cached read models a held target leaves: its post (and the board counts, for
/// a post).
pub fn held_scopes(r: &Report) -> Vec<String> {
    let mut v = scope::post_changed(r.post_id).to_vec();
    if r.kind == TargetKind::Post {
        v.push(scope::CATEGORIES.to_owned());
    }
    v
}

/// Checks a report's reason and detail (NFC, at most [`DETAIL_MAX`] characters; an
/// empty detail is none).
pub fn check(reason: Option<&str>, detail: Option<&str>) -> Result<(ReportReason, Option<String>)> {
    let mut v = Violations::new();
    let reason = match reason {
        None => {
            v.add("reason", "required", "reason is required");
            None
        }
        Some(r) => {
            let parsed = ReportReason::parse(r);
            if parsed.is_none() {
                v.add(
                    "reason",
                    "choice",
                    "reason must be one of spam, abuse, illegal, other",
                );
            }
            parsed
        }
    };
    let detail = match detail.map(str::trim) {
        None | Some("") => None,
        Some(d) => {
            let d = crate::search::text::nfc(d);
            v.check(crate::validate::no_nul("detail", &d));
            v.check(char_len("detail", &d, 1, DETAIL_MAX));
            Some(d)
        }
    };
    match reason {
        Some(reason) if v.is_empty() => Ok((reason, detail)),
        _ => Err(Error::Validation(v.into_vec())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_one_of_four() {
        assert_eq!(check(Some("spam"), None).unwrap().0, ReportReason::Spam);
        for bad in [None, Some(""), Some("SPAM"), Some("rude")] {
            let Err(Error::Validation(v)) = check(bad, None) else {
                panic!("{bad:?} was taken");
            };
            assert_eq!(v[0].field, "reason");
        }
    }

    #[test]
    fn a_detail_is_nfc_trimmed_and_bounded() {
        let (_, d) = check(Some("other"), Some("  \u{1100}\u{1161}  ")).unwrap();
        assert_eq!(d.as_deref(), Some("가"));
        assert_eq!(check(Some("other"), Some("   ")).unwrap().1, None);
        let long = "가".repeat(DETAIL_MAX + 1);
        assert!(matches!(
            check(Some("other"), Some(&long)),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            check(Some("other"), Some("a\0b")),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn every_outcome_but_dismissal_removes() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(o.removes(), o != Outcome::Dismissed);
        }
    }
}
