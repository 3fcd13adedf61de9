//! The staff console's rules: who may do what, which lists it shows and how they may
//! be filtered and sorted, the changes staff make, and the audit log that records every
//! one of them.
//!
//! The console is a second face of the same use cases: a suspension here is checked by
//! the same value types as anywhere else, and a post deleted here is deleted by the
//! same store code as through the API — with its audit entry written in the same
//! transaction.

mod actions;
mod boards;
mod listing;
mod models;
mod reports;
#[cfg(test)]
mod tests;

pub use actions::*;
pub use listing::*;
pub use models::*;
pub use reports::{AuthorChange, ReportCase, Resolution};

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::accounts::{Accounts, Actor, ClientInfo, LoginGate, PasswordChange};
use crate::cache::{Entry, read_through, scope};
use crate::categories::{CategoryName, CategoryTree, load_tree};
use crate::comments::{Comment, CommentVersion};
use crate::error::{Error, Result, Violation};
use crate::jobs::{Job, JobState, JobStats};
use crate::maintenance::{DAY_MS, DailyCounts, Day};
use crate::ports::{
    Cache, CategoryStore, CommentStore, ConsoleStore, JobQueue, MaintenanceStore, PostStore,
    SeminarStore, SessionRef, TokenCodec, UserStore,
};
use crate::posts::{PinScope, PostDetail, PostVersion};
use crate::prefixes::PrefixName;
use crate::reports::ReportStore;
use crate::seminars::{Seminar, SeminarChange, SeminarDetail, SeminarInput};
use crate::time::{Clock, Timestamp};
use crate::users::{Role, User, UserState, fold_case};
use crate::validate::{Violations, char_len};

/// What a staff member may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Soft-delete and restore posts and comments.
    Moderate,
    /// Suspend, ban and reinstate members (not staff).
    Discipline,
    /// Change anyone's role, and discipline staff.
    ChangeRole,
    /// Rename and move categories.
    EditCategories,
    /// Change a seminar's settings (name, capacity, sessions, time, online).
    EditSeminars,
}

/// The permission table: moderators moderate content and discipline members; admins
/// may do everything. Nobody else gets into the console at all.
pub fn can(role: Role, p: Permission) -> bool {
    match role {
        Role::Admin => true,
        Role::Moderator => matches!(p, Permission::Moderate | Permission::Discipline),
        Role::User => false,
    }
}

/// A signed-in staff member: who, on which console session, with which CSRF token.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub session_id: i64,
    pub csrf: String,
}

impl Staff {
    pub fn can(&self, p: Permission) -> bool {
        can(self.user.role, p)
    }

    pub fn ensure(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "your role may not do this in the console".into(),
            ))
        }
    }

    /// Checks a submitted form's CSRF token against the session's.
    pub fn check_csrf(&self, token: &str) -> Result<()> {
        crate::web_sessions::check_form_token(token, &self.csrf)
    }
}
/// Console settings.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleSettings {
    /// How long a console session lasts.
    pub session_ttl_secs: i64,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            session_ttl_secs: 8 * 3600,
        }
    }
}

/// The inputs a bulk action's confirmation form may carry.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    /// A suspension's last day, `YYYY-MM-DD` (UTC); it ends at the start of the next.
    pub until: Option<String>,
    pub reason: Option<String>,
    pub role: Option<String>,
    /// A pin's scope: `board` or `site`.
    pub scope: Option<String>,
}

/// One object a bulk action will change, as the confirmation page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub id: i64,
    pub repr: String,
    /// `None`: already so, or not allowed for this object (`note` says which).
    pub change: Option<StaffChange>,
    pub changes: Vec<FieldChange>,
    pub note: Option<&'static str>,
}

impl Planned {
    /// An object that is not there (any more).
    fn missing(id: i64) -> Self {
        Self::unchanged(id, format!("#{id}"), "missing")
    }

    /// An object the action leaves as it is, and why (`note`).
    fn unchanged(id: i64, repr: String, note: &'static str) -> Self {
        Self {
            id,
            repr,
            change: None,
            changes: Vec::new(),
            note: Some(note),
        }
    }

    /// An object only named, before the action's fields are known.
    fn named(id: i64, repr: String) -> Self {
        Self {
            id,
            repr,
            change: None,
            changes: Vec::new(),
            note: None,
        }
    }

    fn change(id: i64, repr: String, change: StaffChange, changes: Vec<FieldChange>) -> Self {
        Self {
            id,
            repr,
            change: Some(change),
            changes,
            note: None,
        }
    }
}

/// Longest reason a suspension or ban may give.
pub const REASON_MAX: usize = 500;

/// The console's use cases.
pub struct Console {
    store: Arc<dyn ConsoleStore>,
    accounts: Arc<Accounts>,
    users: Arc<dyn UserStore>,
    posts: Arc<dyn PostStore>,
    comments: Arc<dyn CommentStore>,
    categories: Arc<dyn CategoryStore>,
    seminars: Arc<dyn SeminarStore>,
    reports: Arc<dyn ReportStore>,
    jobs: Arc<dyn JobQueue>,
    stats: Arc<dyn MaintenanceStore>,
    tokens: Arc<dyn TokenCodec>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    settings: ConsoleSettings,
}

/// The ports the console drives.
pub struct ConsolePorts {
    pub store: Arc<dyn ConsoleStore>,
    pub accounts: Arc<Accounts>,
    pub users: Arc<dyn UserStore>,
    pub posts: Arc<dyn PostStore>,
    pub comments: Arc<dyn CommentStore>,
    pub categories: Arc<dyn CategoryStore>,
    pub seminars: Arc<dyn SeminarStore>,
    pub reports: Arc<dyn ReportStore>,
    pub jobs: Arc<dyn JobQueue>,
    pub stats: Arc<dyn MaintenanceStore>,
    pub tokens: Arc<dyn TokenCodec>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
}

impl Console {
    pub fn new(p: ConsolePorts, settings: ConsoleSettings) -> Self {
        Self {
            store: p.store,
            accounts: p.accounts,
            users: p.users,
            posts: p.posts,
            comments: p.comments,
            categories: p.categories,
            seminars: p.seminars,
            reports: p.reports,
            jobs: p.jobs,
            stats: p.stats,
            tokens: p.tokens,
            cache: p.cache,
            clock: p.clock,
            settings,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A fresh random token (for the log-in form's CSRF cookie).
    pub fn new_form_token(&self) -> String {
        self.tokens.new_refresh().token
    }

    /// Logs a staff member in: answers the session token for the cookie. Log-ins
    /// are throttled as in the API; members without a staff role are refused.
    #[tracing::instrument(name = "console.log_in", skip_all)]
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<(String, Staff)> {
        let gate = LoginGate {
            min_role: Some(Role::Moderator),
        };
        let user = self
            .accounts
            .check_credentials(username, password, client, &gate)
            .await?;
        let now = self.clock.now();
        let secret = self.tokens.new_refresh();
        let csrf = self.tokens.new_refresh().token;
        let expires = now.plus_secs(self.settings.session_ttl_secs);
        let session_id = self
            .store
            .open_session(user.id, &secret.hash, &csrf, expires, now)
            .await?;
        Ok((
            secret.token,
            Staff {
                user,
                session_id,
                csrf,
            },
        ))
    }

    /// The staff member a session token belongs to. A member who lost their staff
    /// role, or was suspended or banned, is signed out.
    #[tracing::instrument(name = "console.staff", skip_all)]
    pub async fn staff(&self, token: &str) -> Result<Staff> {
        let now = self.clock.now();
        let hash = self.tokens.hash_refresh(token);
        let Some((session_id, mut user, csrf)) = self.store.session(&hash, now).await? else {
            return Err(Error::Unauthorized("not signed in".into()));
        };
        user.state = user.state.at(now).clone();
        if !user.role.is_staff() || user.state != UserState::Active {
            self.store.close_session(session_id, now).await?;
            return Err(Error::Unauthorized("not signed in".into()));
        }
        Ok(Staff {
            user,
            session_id,
            csrf,
        })
    }

    #[tracing::instrument(name = "console.log_out", skip_all)]
    pub async fn log_out(&self, staff: &Staff) -> Result<()> {
        self.store
            .close_session(staff.session_id, self.clock.now())
            .await
    }

    /// Changes the staff member's password (the account rules apply: current
    /// password, length, confirmation); every other session of theirs ends.
    #[tracing::instrument(name = "console.change_password", skip_all)]
    pub async fn change_password(&self, staff: &Staff, input: PasswordChange) -> Result<()> {
        let actor = Actor {
            id: staff.user.id,
            role: staff.user.role,
            state: staff.user.state.clone(),
            session_id: 0,
        };
        self.accounts
            .change_password_from(&actor, input, SessionRef::Console(staff.session_id))
            .await
            .map_err(|e| match e {
                Error::Unauthorized(m) => {
                    Error::Validation(vec![Violation::new("current_password", "matches", m)])
                }
                e => e,
            })
    }

    #[tracing::instrument(name = "console.dashboard", skip_all)]
    pub async fn dashboard(&self) -> Result<Dashboard> {
        let today = Day::containing(self.clock.now(), 0);
        let first = today.plus_days(-13);
        let bounds: Vec<Timestamp> = (0..=14)
            .map(|i| Timestamp((first.to_epoch_days() + i) * DAY_MS))
            .collect();
        // The thirteen days before today do not change; today is counted each time.
        let mut counts: Vec<DailyCounts> = read_through(
            self.cache.as_ref(),
            Entry::past_day_counts(&first.to_string()),
            || self.stats.count_created(&bounds[..14]),
        )
        .await?;
        counts.extend(self.stats.count_created(&bounds[13..]).await?);
        let days = counts
            .into_iter()
            .zip(0..)
            .map(|(counts, i)| DayCounts {
                day: first.plus_days(i),
                counts,
            })
            .collect();
        Ok(Dashboard {
            days,
            jobs: self.jobs.stats().await?,
            failed_jobs: self.jobs.list(Some(JobState::Dead), 5).await?,
            recent: self.store.recent(10).await?,
        })
    }

    #[tracing::instrument(name = "console.list", skip_all)]
    pub async fn list(&self, q: &ListQuery) -> Result<Listing> {
        if q.model != Model::Job {
            return self.store.list(q, self.clock.now()).await;
        }
        // Jobs live in the queue (the database's or Redis), which keeps a bounded
        // window of them: its newest, per state.
        let state = q.filter("job_state").and_then(JobState::parse);
        let limit = q.page * q.per_page + 1;
        let jobs = self.jobs.list(state, limit).await?;
        let total = Total::Exact(jobs.len() as u64);
        let rows = jobs
            .into_iter()
            .skip(usize::try_from(q.offset()).unwrap_or(usize::MAX))
            .take(q.per_page as usize)
            .map(|j| Row {
                id: j.id,
                muted: false,
                cells: vec![
                    Cell::Int(j.id),
                    Cell::Text(j.kind),
                    Cell::Tag(j.state.as_str().to_owned()),
                    Cell::Text(format!("{}/{}", j.attempts, j.max_attempts)),
                    j.last_error.map_or(Cell::Empty, Cell::Text),
                    Cell::Time(j.created_at),
                    Cell::Time(j.updated_at),
                ],
            })
            .collect();
        Ok(Listing { rows, total })
    }

    #[tracing::instrument(name = "console.span", skip_all)]
    pub async fn span(&self, model: Model) -> Result<Option<(Timestamp, Timestamp)>> {
        if model.spec().dated {
            self.store.span(model).await
        } else {
            Ok(None)
        }
    }

    #[tracing::instrument(name = "console.category_tree", skip_all)]
    pub async fn category_tree(&self) -> Result<CategoryTree> {
        load_tree(self.categories.as_ref(), self.cache.as_ref()).await
    }

    #[tracing::instrument(name = "console.user", skip_all)]
    pub async fn user(&self, id: i64) -> Result<User> {
        self.users.user(id).await?.ok_or(Error::NotFound("user"))
    }

    #[tracing::instrument(name = "console.post", skip_all)]
    pub async fn post(&self, id: i64) -> Result<(PostDetail, Vec<PostVersion>)> {
        let post = self
            .posts
            .post(id, true)
            .await?
            .ok_or(Error::NotFound("post"))?;
        Ok((post, self.posts.post_versions(id).await?))
    }

    #[tracing::instrument(name = "console.comment", skip_all)]
    pub async fn comment(&self, id: i64) -> Result<(CommentRecord, Vec<CommentVersion>)> {
        let c = self
            .store
            .comment(id)
            .await?
            .ok_or(Error::NotFound("comment"))?;
        let versions = self.comment_versions(id).await?;
        Ok((c, versions))
    }

    async fn comment_versions(&self, id: i64) -> Result<Vec<CommentVersion>> {
        self.comments.comment_versions(id).await
    }

    #[tracing::instrument(name = "console.history", skip_all)]
    pub async fn history(&self, model: Model, id: i64) -> Result<Vec<AuditEntry>> {
        self.store.history(model.object_type(), id, 200).await
    }

    /// Renames a category (admins): the category rules apply.
    #[tracing::instrument(name = "console.rename_category", skip_all)]
    pub async fn rename_category(&self, staff: &Staff, id: i64, name: &str) -> Result<bool> {
        staff.ensure(Permission::EditCategories)?;
        let name = CategoryName::parse("name", name).map_err(|v| Error::Validation(vec![v]))?;
        let tree = self.category_tree().await?;
        let current = tree.get(id).ok_or(Error::NotFound("category"))?;
        if current.name == name.as_str() {
            return Ok(false);
        }
        let changes = vec![FieldChange::new(
            "name",
            current.name.clone(),
            name.as_str(),
        )];
        let repr = format!("#{id} {}", name.as_str());
        self.write(
            staff,
            "change",
            &StaffChange::RenameCategory { id, name },
            repr,
            changes,
        )
        .await
    }

    #[tracing::instrument(name = "console.seminar", skip_all)]
    pub async fn seminar(&self, id: i64) -> Result<SeminarDetail> {
        self.seminars
            .seminar(id)
            .await?
            .ok_or(Error::NotFound("seminar"))
    }

    /// Changes a seminar's settings (admins): the seminar rules of the API apply, the
    /// capacity included — never below the active participants, checked under the
    /// seminar's row lock. Answers whether anything changed.
    #[tracing::instrument(name = "console.edit_seminar", skip_all)]
    pub async fn edit_seminar(&self, staff: &Staff, id: i64, input: SeminarInput) -> Result<bool> {
        staff.ensure(Permission::EditSeminars)?;
        let change = input.check(false)?;
        let current = self.seminar(id).await?.seminar;
        let changes = seminar_changes(&current, &change);
        if changes.is_empty() {
            return Ok(false);
        }
        let name = change.name.as_deref().unwrap_or(&current.name);
        let repr = format!("#{id} {name}");
        self.write(
            staff,
            "change",
            &StaffChange::EditSeminar { id, change },
            repr,
            changes,
        )
        .await
    }

    async fn write(
        &self,
        staff: &Staff,
        action: &'static str,
        change: &StaffChange,
        repr: String,
        changes: Vec<FieldChange>,
    ) -> Result<bool> {
        let (object_type, object_id) = change_object(change);
        let audit = AuditRecord {
            actor_id: staff.user.id,
            actor_name: staff.user.name.clone(),
            actor_role: staff.user.role,
            object_type,
            object_id,
            object_repr: repr.chars().take(200).collect(),
            action,
            changes,
            at: self.clock.now(),
            // Removing content tells its author; deciding reports tells the reporters.
            notify: matches!(object_type, "post" | "comment")
                && matches!(action, "delete" | "remove" | "dismiss"),
        };
        let mut audits = vec![audit];
        if let StaffChange::ResolveReports(Resolution {
            author: Some(a), ..
        }) = change
        {
            audits.push(reports::author_audit(&audits[0], a));
        }
        let applied = self.store.apply(change, &audits).await?;
        if applied == Applied::Changed {
            self.cache.invalidate(&invalidations(change)).await;
        }
        Ok(applied == Applied::Changed)
    }
}
