//! The reports queue's decisions: dismiss the reports, remove the content, or remove
//! it and suspend or ban its author. One decision resolves every open report on the
//! content, in one transaction with its audit entries.

use super::*;
use crate::reports::{Outcome, ReportEntry, ReportTarget, TargetKind};

/// A decision on one report target, as the store applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The report target's id.
    pub target: i64,
    pub kind: TargetKind,
    pub content_id: i64,
    pub post_id: i64,
    pub outcome: Outcome,
    /// Dismissing brings held content back.
    pub restore: bool,
    /// The author's new state, for a suspension or a ban.
    pub author: Option<AuthorChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthorChange {
    pub user_id: i64,
    pub repr: String,
    pub from: UserState,
    pub to: UserState,
}

/// A report target as its change page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCase {
    pub target: ReportTarget,
    /// The content's title (a post) or text (a comment), and whether it is deleted.
    pub text: String,
    pub deleted: bool,
    pub sentiment: Option<crate::posts::Sentiment>,
    pub author: Option<User>,
    /// Earlier decisions that removed the author's content.
    pub removals: i64,
    pub reports: Vec<ReportEntry>,
}

/// The reports a change page lists.
const REPORTS_SHOWN: u32 = 50;

/// What a report target's content is now.
struct Content {
    repr: String,
    text: String,
    deleted: bool,
    sentiment: Option<crate::posts::Sentiment>,
}

impl Console {
    async fn content(&self, t: &ReportTarget) -> Result<Option<Content>> {
        Ok(match t.kind {
            TargetKind::Post => self.posts.post(t.target_id, true).await?.map(|p| Content {
                repr: format!("#{} {}", p.id, p.title),
                text: format!("{}\n\n{}", p.title, p.content),
                deleted: p.deleted_at.is_some(),
                sentiment: p.sentiment.clone(),
            }),
            TargetKind::Comment => self.store.comment(t.target_id).await?.map(|c| Content {
                repr: comment_repr(&c.comment),
                text: c.comment.content.clone(),
                deleted: c.deleted_at.is_some(),
                sentiment: c.comment.sentiment.clone(),
            }),
        })
    }

    /// One report target with its content, its author's history and its reports.
    pub async fn report_case(&self, id: i64) -> Result<ReportCase> {
        let target = self
            .reports
            .report_target(id)
            .await?
            .ok_or(Error::NotFound("report"))?;
        let content = self.content(&target).await?;
        let author = match target.author_id {
            Some(a) => self.users.user(a).await?,
            None => None,
        };
        let removals = match target.author_id {
            Some(a) => self.reports.removals_of(a).await?,
            None => 0,
        };
        let reports = self.reports.target_reports(id, REPORTS_SHOWN).await?;
        let (text, deleted, sentiment) = match content {
            Some(c) => (c.text, c.deleted, c.sentiment),
            None => (String::new(), true, None),
        };
        Ok(ReportCase {
            target,
            text,
            deleted,
            sentiment,
            author,
            removals,
            reports,
        })
    }

    /// Plans one decision on a report target.
    pub(super) async fn plan_report(
        &self,
        staff: &Staff,
        action: Action,
        target: &Target,
        id: i64,
    ) -> Result<Planned> {
        let Some(t) = self.reports.report_target(id).await? else {
            return Ok(Planned::missing(id));
        };
        let Some(content) = self.content(&t).await? else {
            return Ok(Planned::missing(id));
        };
        let repr = content.repr.clone();
        if t.outcome.is_some() {
            return Ok(Planned::unchanged(id, repr, "already"));
        }
        let (outcome, reason, state) = match (action, target) {
            (Action::DismissReports, _) => (Outcome::Dismissed, None, None),
            (Action::RemoveReported, Target::Reason(r)) => (Outcome::Removed, Some(r), None),
            (Action::SuspendAuthor, Target::State(s)) => {
                (Outcome::Suspended, reason_of(s), Some(s))
            }
            (Action::BanAuthor, Target::State(s)) => (Outcome::Banned, reason_of(s), Some(s)),
            // Only naming the targets, before the fields are known.
            _ => return Ok(Planned::named(id, repr)),
        };
        let author = match state {
            None => None,
            Some(to) => match self.author_change(staff, &t, to).await? {
                Ok(change) => change,
                Err(note) => return Ok(Planned::unchanged(id, repr, note)),
            },
        };
        let mut changes = vec![FieldChange::new("reports", "open", outcome.as_str())];
        if outcome.removes() && !content.deleted {
            changes.push(deleted_change(true));
        }
        let restore = outcome == Outcome::Dismissed && t.held && content.deleted;
        if restore {
            changes.push(deleted_change(false));
        }
        if let Some(r) = reason {
            changes.push(FieldChange::new("reason", "", r.clone()));
        }
        if let Some(a) = &author {
            changes.extend(state_changes(&a.from, &a.to));
        }
        let change = StaffChange::ResolveReports(Resolution {
            target: id,
            kind: t.kind,
            content_id: t.target_id,
            post_id: t.post_id,
            outcome,
            restore,
            author,
        });
        Ok(Planned::change(id, repr, change, changes))
    }

    /// The author's state change a suspension or ban makes, `None` when it is in force
    /// already, or why the author may not be touched.
    async fn author_change(
        &self,
        staff: &Staff,
        t: &ReportTarget,
        to: &UserState,
    ) -> Result<Result<Option<AuthorChange>, &'static str>> {
        let Some(u) = (match t.author_id {
            Some(a) => self.users.user(a).await?,
            None => None,
        }) else {
            return Ok(Err("missing"));
        };
        if u.id == staff.user.id {
            return Ok(Err("self"));
        }
        if u.role.is_staff() && !staff.can(Permission::ChangeRole) {
            return Ok(Err("staff"));
        }
        let from = u.state.at(self.clock.now()).clone();
        if state_changes(&from, to).is_empty() {
            return Ok(Ok(None));
        }
        Ok(Ok(Some(AuthorChange {
            user_id: u.id,
            repr: format!("#{} {}", u.id, u.name),
            from,
            to: to.clone(),
        })))
    }
}

fn reason_of(s: &UserState) -> Option<&String> {
    match s {
        UserState::Suspended { reason, .. } | UserState::Banned { reason } => Some(reason),
        UserState::Active => None,
    }
}

/// The audit entry of the author's suspension or ban, written with the decision's.
pub(super) fn author_audit(base: &AuditRecord, a: &AuthorChange) -> AuditRecord {
    AuditRecord {
        object_type: "user",
        object_id: a.user_id,
        object_repr: a.repr.clone(),
        action: match a.to {
            UserState::Banned { .. } => "ban",
            _ => "suspend",
        },
        changes: state_changes(&a.from, &a.to),
        notify: false,
        ..base.clone()
    }
}

/// What a decision makes stale: the content's post (and the boards' counts, for a
/// post whose visibility changes) and the author.
pub(super) fn resolution_scopes(r: &Resolution) -> Vec<String> {
    let mut v = scope::post_changed(r.post_id).to_vec();
    if r.kind == TargetKind::Post {
        v.push(scope::CATEGORIES.to_owned());
    }
    if let Some(a) = &r.author {
        v.push(scope::user(a.user_id));
    }
    v
}
