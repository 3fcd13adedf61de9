//! Bulk actions: what they may change, how a plan is worked out for the confirmation
//! page, and how a change is applied and audited.

use super::*;

/// A bulk action on selected rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    DeletePosts,
    RestorePosts,
    DeleteComments,
    RestoreComments,
    Suspend,
    Ban,
    Reinstate,
    SetRole,
    /// Pins posts as notices (공지) of their board or of the site.
    PinPosts,
    UnpinPosts,
    /// The reports queue's decisions (see `console::reports`).
    DismissReports,
    RemoveReported,
    SuspendAuthor,
    BanAuthor,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::DeletePosts,
        Action::RestorePosts,
        Action::DeleteComments,
        Action::RestoreComments,
        Action::Suspend,
        Action::Ban,
        Action::Reinstate,
        Action::SetRole,
        Action::PinPosts,
        Action::UnpinPosts,
        Action::DismissReports,
        Action::RemoveReported,
        Action::SuspendAuthor,
        Action::BanAuthor,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Action::DeletePosts => "delete_posts",
            Action::RestorePosts => "restore_posts",
            Action::DeleteComments => "delete_comments",
            Action::RestoreComments => "restore_comments",
            Action::Suspend => "suspend",
            Action::Ban => "ban",
            Action::Reinstate => "reinstate",
            Action::SetRole => "set_role",
            Action::PinPosts => "pin_posts",
            Action::UnpinPosts => "unpin_posts",
            Action::DismissReports => "dismiss_reports",
            Action::RemoveReported => "remove_reported",
            Action::SuspendAuthor => "suspend_author",
            Action::BanAuthor => "ban_author",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == s)
    }

    pub fn model(self) -> Model {
        match self {
            Action::DeletePosts | Action::RestorePosts | Action::PinPosts | Action::UnpinPosts => {
                Model::Post
            }
            Action::DeleteComments | Action::RestoreComments => Model::Comment,
            Action::Suspend | Action::Ban | Action::Reinstate | Action::SetRole => Model::User,
            Action::DismissReports
            | Action::RemoveReported
            | Action::SuspendAuthor
            | Action::BanAuthor => Model::Report,
        }
    }

    pub fn permission(self) -> Permission {
        match self {
            Action::DeletePosts
            | Action::RestorePosts
            | Action::DeleteComments
            | Action::RestoreComments
            | Action::PinPosts
            | Action::UnpinPosts
            | Action::DismissReports
            | Action::RemoveReported => Permission::Moderate,
            Action::Suspend
            | Action::Ban
            | Action::Reinstate
            | Action::SuspendAuthor
            | Action::BanAuthor => Permission::Discipline,
            Action::SetRole => Permission::ChangeRole,
        }
    }

    /// The fields the confirmation form asks for.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Action::Suspend | Action::SuspendAuthor => &["until", "reason"],
            Action::Ban | Action::BanAuthor | Action::RemoveReported => &["reason"],
            Action::SetRole => &["role"],
            Action::PinPosts => &["scope"],
            _ => &[],
        }
    }
}

impl Console {
    /// Works out what a bulk action would do to each selected object, for the
    /// confirmation page; checks the action's fields and the permission first.
    #[tracing::instrument(name = "console.plan", skip_all)]
    pub async fn plan(
        &self,
        staff: &Staff,
        action: Action,
        ids: &[i64],
        input: Option<&ActionInput>,
    ) -> Result<Vec<Planned>> {
        staff.ensure(action.permission())?;
        if ids.is_empty() {
            return Err(Error::BadRequest("select at least one row".into()));
        }
        if ids.len() > PER_PAGE as usize * 4 {
            return Err(Error::BadRequest(format!(
                "at most {} rows at once",
                PER_PAGE * 4
            )));
        }
        let target = match input {
            Some(input) => self.target_of(action, input)?,
            None => Target::None,
        };
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            out.push(self.plan_one(staff, action, &target, id).await?);
        }
        Ok(out)
    }

    pub(super) fn target_of(&self, action: Action, input: &ActionInput) -> Result<Target> {
        let mut v = Violations::new();
        let target = match action {
            Action::Suspend | Action::SuspendAuthor => {
                let until = match input.until.as_deref().map(str::trim) {
                    None | Some("") => {
                        v.add("until", "required", "until is required");
                        None
                    }
                    Some(s) => v.check(Day::parse("until", s)).and_then(|d| {
                        let today = Day::containing(self.clock.now(), 0);
                        if d < today {
                            v.add("until", "future", "until must be today or later");
                            None
                        } else {
                            Some(Timestamp(d.plus_days(1).to_epoch_days() * DAY_MS))
                        }
                    }),
                };
                let reason = reason(&mut v, input);
                match (until, reason) {
                    (Some(until), Some(reason)) => {
                        Target::State(UserState::Suspended { until, reason })
                    }
                    _ => Target::None,
                }
            }
            Action::Ban | Action::BanAuthor => match reason(&mut v, input) {
                Some(reason) => Target::State(UserState::Banned { reason }),
                None => Target::None,
            },
            Action::RemoveReported => match reason(&mut v, input) {
                Some(reason) => Target::Reason(reason),
                None => Target::None,
            },
            Action::Reinstate => Target::State(UserState::Active),
            Action::SetRole => match input.role.as_deref().and_then(Role::parse) {
                Some(r) => Target::Role(r),
                None => {
                    v.add("role", "choice", "role must be user, moderator or admin");
                    Target::None
                }
            },
            Action::PinPosts => {
                match v.check(PinScope::parse(input.scope.as_deref().unwrap_or(""))) {
                    Some(scope) => Target::Pin(scope),
                    None => Target::None,
                }
            }
            _ => Target::None,
        };
        v.into_result()?;
        Ok(target)
    }

    pub(super) async fn plan_one(
        &self,
        staff: &Staff,
        action: Action,
        target: &Target,
        id: i64,
    ) -> Result<Planned> {
        match action {
            Action::DeletePosts | Action::RestorePosts => {
                self.plan_post_visibility(action == Action::DeletePosts, id)
                    .await
            }
            Action::PinPosts | Action::UnpinPosts => self.plan_pin(action, target, id).await,
            Action::DeleteComments | Action::RestoreComments => {
                self.plan_comment_visibility(action == Action::DeleteComments, id)
                    .await
            }
            Action::Suspend | Action::Ban | Action::Reinstate | Action::SetRole => {
                self.plan_member(staff, target, id).await
            }
            Action::DismissReports
            | Action::RemoveReported
            | Action::SuspendAuthor
            | Action::BanAuthor => self.plan_report(staff, action, target, id).await,
        }
    }

    async fn plan_post_visibility(&self, delete: bool, id: i64) -> Result<Planned> {
        let Some(p) = self.posts.post(id, true).await? else {
            return Ok(Planned::missing(id));
        };
        let repr = format!("#{} {}", p.id, p.title);
        if p.deleted_at.is_some() == delete {
            return Ok(Planned::unchanged(id, repr, "already"));
        }
        let change = if delete {
            StaffChange::DeletePost(id)
        } else {
            StaffChange::RestorePost(id)
        };
        Ok(Planned::change(
            id,
            repr,
            change,
            vec![deleted_change(delete)],
        ))
    }

    async fn plan_pin(&self, action: Action, target: &Target, id: i64) -> Result<Planned> {
        let Some(p) = self.posts.post(id, true).await? else {
            return Ok(Planned::missing(id));
        };
        let repr = format!("#{} {}", p.id, p.title);
        let name = |s: Option<PinScope>| s.map_or("", PinScope::as_str);
        let to = match target {
            Target::Pin(scope) => Some(*scope),
            _ => None,
        };
        if action == Action::PinPosts && p.deleted_at.is_some() {
            return Ok(Planned::unchanged(id, repr, "deleted"));
        }
        if action == Action::UnpinPosts && p.pin.is_none() {
            return Ok(Planned::unchanged(id, repr, "already"));
        }
        let (change, to) = match (action, to) {
            (Action::UnpinPosts, _) => (StaffChange::UnpinPost { post_id: id }, None),
            (_, Some(scope)) if p.pin == Some(scope) => {
                return Ok(Planned::unchanged(id, repr, "already"));
            }
            (_, Some(scope)) => (StaffChange::PinPost { post_id: id, scope }, Some(scope)),
            // Only naming the posts, before the scope is known.
            (_, None) => return Ok(Planned::named(id, repr)),
        };
        let changes = vec![FieldChange::new("pin", name(p.pin), name(to))];
        Ok(Planned::change(id, repr, change, changes))
    }

    async fn plan_comment_visibility(&self, delete: bool, id: i64) -> Result<Planned> {
        let Some(c) = self.store.comment(id).await? else {
            return Ok(Planned::missing(id));
        };
        let repr = comment_repr(&c.comment);
        if c.deleted_at.is_some() == delete {
            return Ok(Planned::unchanged(id, repr, "already"));
        }
        let post_id = c.comment.post_id;
        let change = if delete {
            StaffChange::DeleteComment { id, post_id }
        } else {
            StaffChange::RestoreComment { id, post_id }
        };
        Ok(Planned::change(
            id,
            repr,
            change,
            vec![deleted_change(delete)],
        ))
    }

    async fn plan_member(&self, staff: &Staff, target: &Target, id: i64) -> Result<Planned> {
        let Some(u) = self.users.user(id).await? else {
            return Ok(Planned::missing(id));
        };
        let repr = format!("#{} {}", u.id, u.name);
        if u.id == staff.user.id {
            return Ok(Planned::unchanged(id, repr, "self"));
        }
        // Acting on another staff member takes the admin's permission.
        if u.role.is_staff() && !staff.can(Permission::ChangeRole) {
            return Ok(Planned::unchanged(id, repr, "staff"));
        }
        match target {
            Target::State(state) => {
                let changes = state_changes(u.state.at(self.clock.now()), state);
                if changes.is_empty() {
                    return Ok(Planned::unchanged(id, repr, "already"));
                }
                let change = StaffChange::SetState {
                    user_id: id,
                    state: state.clone(),
                };
                Ok(Planned::change(id, repr, change, changes))
            }
            Target::Role(role) => {
                if u.role == *role {
                    return Ok(Planned::unchanged(id, repr, "already"));
                }
                let changes = vec![FieldChange::new("role", u.role.as_str(), role.as_str())];
                let change = StaffChange::SetRole {
                    user_id: id,
                    role: *role,
                };
                Ok(Planned::change(id, repr, change, changes))
            }
            // Only naming the objects, before the action's fields are known (a pin's
            // scope or a removal's reason is never a user action's target).
            Target::Pin(_) | Target::Reason(_) | Target::None => Ok(Planned::named(id, repr)),
        }
    }

    /// Applies a bulk action: plans it again (the objects may have changed since the
    /// confirmation page) and writes each change with its audit entry. Answers how
    /// many objects changed.
    #[tracing::instrument(name = "console.apply", skip_all)]
    pub async fn apply(
        &self,
        staff: &Staff,
        action: Action,
        ids: &[i64],
        input: &ActionInput,
    ) -> Result<usize> {
        let plan = self.plan(staff, action, ids, Some(input)).await?;
        let mut changed = 0;
        for p in plan {
            let Some(change) = p.change else { continue };
            if self
                .write(staff, action_name(action), &change, p.repr, p.changes)
                .await?
            {
                changed += 1;
            }
        }
        Ok(changed)
    }
}

pub(super) enum Target {
    State(UserState),
    /// A removal's reason.
    Reason(String),
    Role(Role),
    Pin(PinScope),
    None,
}

pub(super) fn reason(v: &mut Violations, input: &ActionInput) -> Option<String> {
    match input.reason.as_deref().map(str::trim) {
        None | Some("") => {
            v.add("reason", "required", "reason is required");
            None
        }
        Some(r) => {
            // Shown to the member and kept in the audit log: NFC, as every stored text.
            let r = crate::search::text::nfc(r);
            v.check(char_len("reason", &r, 1, REASON_MAX).map(|()| r.clone()))
        }
    }
}

pub(super) fn deleted_change(delete: bool) -> FieldChange {
    let (from, to) = if delete { ("no", "yes") } else { ("yes", "no") };
    FieldChange::new("deleted", from, to)
}

pub(super) fn comment_repr(c: &Comment) -> String {
    let text: String = c.content.chars().take(40).collect();
    format!("#{} {text}", c.id)
}

pub(super) fn action_name(a: Action) -> &'static str {
    match a {
        Action::DeletePosts | Action::DeleteComments => "delete",
        Action::RestorePosts | Action::RestoreComments => "restore",
        Action::Suspend => "suspend",
        Action::Ban => "ban",
        Action::Reinstate => "reinstate",
        Action::SetRole => "role",
        Action::PinPosts => "pin",
        Action::UnpinPosts => "unpin",
        Action::DismissReports => "dismiss",
        Action::RemoveReported | Action::SuspendAuthor | Action::BanAuthor => "remove",
    }
}

pub(super) fn state_parts(s: &UserState) -> (&'static str, String, String) {
    match s {
        UserState::Active => ("active", String::new(), String::new()),
        UserState::Suspended { until, reason } => {
            let last = Day::containing(Timestamp(until.millis() - 1), 0);
            ("suspended", last.to_string(), reason.clone())
        }
        UserState::Banned { reason } => ("banned", String::new(), reason.clone()),
    }
}

/// The fields a state change moves; empty when nothing would change.
pub fn state_changes(from: &UserState, to: &UserState) -> Vec<FieldChange> {
    let (a, b) = (state_parts(from), state_parts(to));
    let mut out = Vec::new();
    if a.0 != b.0 {
        out.push(FieldChange::new("state", a.0, b.0));
    }
    if a.1 != b.1 {
        out.push(FieldChange::new("until", a.1, b.1));
    }
    if a.2 != b.2 {
        out.push(FieldChange::new("reason", a.2, b.2));
    }
    out
}

/// The fields a seminar change moves; empty when it would change nothing.
pub(super) fn seminar_changes(s: &Seminar, c: &SeminarChange) -> Vec<FieldChange> {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut out = Vec::new();
    if let Some(n) = c.name.as_ref().filter(|n| **n != s.name) {
        out.push(FieldChange::new("name", s.name.clone(), n.clone()));
    }
    if let Some(n) = c.capacity.filter(|n| *n != s.capacity) {
        out.push(FieldChange::new(
            "capacity",
            s.capacity.to_string(),
            n.to_string(),
        ));
    }
    if let Some(n) = c.count.filter(|n| *n != s.count) {
        out.push(FieldChange::new(
            "count",
            s.count.to_string(),
            n.to_string(),
        ));
    }
    if let Some(t) = c.time.as_ref().filter(|t| t.as_str() != s.time) {
        out.push(FieldChange::new("time", s.time.clone(), t.as_str()));
    }
    if let Some(o) = c.online.filter(|o| *o != s.online) {
        out.push(FieldChange::new("online", yes_no(s.online), yes_no(o)));
    }
    out
}

pub(super) fn change_object(c: &StaffChange) -> (&'static str, i64) {
    match c {
        StaffChange::DeletePost(id) | StaffChange::RestorePost(id) => ("post", *id),
        StaffChange::DeleteComment { id, .. } | StaffChange::RestoreComment { id, .. } => {
            ("comment", *id)
        }
        StaffChange::SetState { user_id, .. } | StaffChange::SetRole { user_id, .. } => {
            ("user", *user_id)
        }
        StaffChange::RenameCategory { id, .. } => ("category", *id),
        StaffChange::PinPost { post_id, .. } | StaffChange::UnpinPost { post_id } => {
            ("post", *post_id)
        }
        StaffChange::AddPrefix { board, .. }
        | StaffChange::DeletePrefix { board, .. }
        | StaffChange::SetPrefixRequired { board, .. } => ("category", *board),
        StaffChange::EditSeminar { id, .. } => ("seminar", *id),
        StaffChange::ResolveReports(r) => (r.kind.as_str(), r.content_id),
    }
}

/// Cached read models a change makes stale. Lists are not cached by key; a post's
/// scope covers its detail, and names cover every model that shows one.
pub(super) fn invalidations(c: &StaffChange) -> Vec<String> {
    match c {
        StaffChange::DeletePost(id) | StaffChange::RestorePost(id) => {
            let mut v = scope::post_changed(*id).to_vec();
            v.push(scope::CATEGORIES.to_owned());
            v
        }
        // The comment's post carries its comment count.
        StaffChange::DeleteComment { post_id, .. }
        | StaffChange::RestoreComment { post_id, .. } => scope::post_changed(*post_id).to_vec(),
        StaffChange::SetState { user_id, .. } | StaffChange::SetRole { user_id, .. } => {
            vec![scope::user(*user_id)]
        }
        // Prefixes are part of the tree, and posts show theirs by name.
        StaffChange::RenameCategory { .. }
        | StaffChange::AddPrefix { .. }
        | StaffChange::DeletePrefix { .. }
        | StaffChange::SetPrefixRequired { .. } => crate::categories::changed(),
        StaffChange::EditSeminar { .. } => vec![scope::SEMINARS.to_owned()],
        StaffChange::PinPost { post_id, .. } | StaffChange::UnpinPost { post_id } => {
            scope::post_changed(*post_id).to_vec()
        }
        StaffChange::ResolveReports(r) => super::reports::resolution_scopes(r),
    }
}
