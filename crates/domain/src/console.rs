//! The staff console's rules: who may do what, which lists it shows and how they may
//! be filtered and sorted, the changes staff make, and the audit log that records every
//! one of them.
//!
//! The console is a second face of the same use cases: a suspension here is checked by
//! the same value types as anywhere else, and a post deleted here is deleted by the
//! same store code as through the API — with its audit entry written in the same
//! transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::accounts::{Accounts, Actor, ClientInfo, LoginGate, LoginThrottle, PasswordChange};
use crate::cache::{Entry, read_through, scope};
use crate::categories::{CategoryName, CategoryTree, load_tree};
use crate::comments::{Comment, CommentVersion};
use crate::error::{Error, Result, Violation};
use crate::jobs::{Job, JobState, JobStats};
use crate::maintenance::{DAY_MS, DailyCounts, Day};
use crate::ports::{
    Cache, CategoryStore, CommentStore, JobQueue, MaintenanceStore, PostStore, SeminarStore,
    SessionRef, TokenCodec, UserStore,
};
use crate::posts::{PostDetail, PostVersion};
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

/// The kinds of object the console lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    User,
    Post,
    Comment,
    Category,
    Login,
    Seminar,
    Enrolment,
    Job,
    Audit,
}

/// A column of a list: its key (also its label's key) and whether it sorts.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub key: &'static str,
    pub sortable: bool,
}

const fn col(key: &'static str) -> ColumnSpec {
    ColumnSpec {
        key,
        sortable: false,
    }
}

const fn sort(key: &'static str) -> ColumnSpec {
    ColumnSpec {
        key,
        sortable: true,
    }
}

/// Where a filter's choices come from.
#[derive(Debug, Clone, Copy)]
pub enum Choices {
    Fixed(&'static [&'static str]),
    /// Every category, by id.
    Categories,
    /// One seminar, by id: a seminar's change page links to its enrolments so.
    Seminar,
}

#[derive(Debug, Clone, Copy)]
pub struct FilterSpec {
    pub key: &'static str,
    pub choices: Choices,
}

const fn filter(key: &'static str, choices: &'static [&'static str]) -> FilterSpec {
    FilterSpec {
        key,
        choices: Choices::Fixed(choices),
    }
}

/// How a model's list page looks and what it accepts.
#[derive(Debug)]
pub struct ModelSpec {
    pub columns: &'static [ColumnSpec],
    pub filters: &'static [FilterSpec],
    /// What the search box searches, if there is one (a label key).
    pub search: Option<&'static str>,
    /// The list can be drilled down by creation date.
    pub dated: bool,
    /// Bulk actions on selected rows.
    pub actions: &'static [Action],
    /// The sort when none is chosen, newest first.
    pub default_sort: &'static str,
}

const YES_NO: &[&str] = &["yes", "no"];

static USER_SPEC: ModelSpec = ModelSpec {
    columns: &[
        sort("id"),
        sort("name"),
        col("email"),
        col("role"),
        col("state"),
        sort("created_at"),
    ],
    filters: &[
        filter("role", &["user", "moderator", "admin"]),
        filter("state", &["active", "suspended", "banned"]),
    ],
    search: Some("search_users"),
    dated: true,
    actions: &[
        Action::Suspend,
        Action::Ban,
        Action::Reinstate,
        Action::SetRole,
    ],
    default_sort: "id",
};

static POST_SPEC: ModelSpec = ModelSpec {
    columns: &[
        col("id"),
        col("title"),
        col("category"),
        col("author"),
        col("status"),
        col("sentiment"),
        col("votes"),
        col("comments"),
        sort("created_at"),
    ],
    filters: &[
        FilterSpec {
            key: "category",
            choices: Choices::Categories,
        },
        filter("status", &["active", "deleted"]),
        filter("sentiment", &["positive", "negative", "none"]),
    ],
    search: Some("search_posts"),
    dated: true,
    actions: &[Action::DeletePosts, Action::RestorePosts],
    default_sort: "created_at",
};

static COMMENT_SPEC: ModelSpec = ModelSpec {
    columns: &[
        col("id"),
        col("content"),
        col("post"),
        col("author"),
        col("status"),
        col("sentiment"),
        col("votes"),
        sort("created_at"),
    ],
    filters: &[
        filter("status", &["active", "deleted"]),
        filter("sentiment", &["positive", "negative", "none"]),
    ],
    search: Some("search_by_author"),
    dated: true,
    actions: &[Action::DeleteComments, Action::RestoreComments],
    default_sort: "created_at",
};

static CATEGORY_SPEC: ModelSpec = ModelSpec {
    columns: &[
        sort("id"),
        sort("name"),
        col("parent"),
        sort("posts"),
        sort("created_at"),
    ],
    filters: &[filter("top_level", YES_NO)],
    search: Some("search_name"),
    dated: false,
    actions: &[],
    default_sort: "id",
};

static LOGIN_SPEC: ModelSpec = ModelSpec {
    columns: &[
        col("id"),
        col("user"),
        col("succeeded"),
        col("ip"),
        col("user_agent"),
        sort("created_at"),
    ],
    filters: &[filter("succeeded", YES_NO)],
    search: Some("search_by_user"),
    dated: true,
    actions: &[],
    default_sort: "created_at",
};

static SEMINAR_SPEC: ModelSpec = ModelSpec {
    columns: &[
        sort("id"),
        sort("name"),
        sort("capacity"),
        sort("participants"),
        col("online"),
        col("start_time"),
        sort("created_at"),
    ],
    filters: &[
        filter("online", YES_NO),
        filter("capacity", &["30_or_more", "under_30"]),
    ],
    search: Some("search_name"),
    dated: true,
    actions: &[],
    default_sort: "id",
};

static ENROLMENT_SPEC: ModelSpec = ModelSpec {
    columns: &[
        col("seminar"),
        col("user"),
        col("member_role"),
        col("active"),
        sort("joined_at"),
        col("dropped_at"),
    ],
    filters: &[
        FilterSpec {
            key: "seminar",
            choices: Choices::Seminar,
        },
        filter("member_role", &["instructor", "participant"]),
        filter("active", YES_NO),
    ],
    search: Some("search_by_user"),
    dated: true,
    actions: &[],
    default_sort: "joined_at",
};

static JOB_SPEC: ModelSpec = ModelSpec {
    columns: &[
        col("id"),
        col("kind"),
        col("job_state"),
        col("attempts"),
        col("last_error"),
        col("created_at"),
        col("updated_at"),
    ],
    filters: &[filter("job_state", &["queued", "running", "done", "dead"])],
    search: None,
    dated: false,
    actions: &[],
    default_sort: "id",
};

static AUDIT_SPEC: ModelSpec = ModelSpec {
    columns: &[
        sort("created_at"),
        col("actor"),
        col("action"),
        col("object"),
        col("changes"),
    ],
    filters: &[
        filter(
            "action",
            &[
                "delete",
                "restore",
                "suspend",
                "ban",
                "reinstate",
                "role",
                "change",
            ],
        ),
        filter(
            "object_type",
            &["user", "post", "comment", "category", "seminar"],
        ),
    ],
    search: Some("search_by_actor"),
    dated: true,
    actions: &[],
    default_sort: "created_at",
};

impl Model {
    pub const ALL: [Model; 9] = [
        Model::User,
        Model::Post,
        Model::Comment,
        Model::Category,
        Model::Login,
        Model::Seminar,
        Model::Enrolment,
        Model::Job,
        Model::Audit,
    ];

    /// The model's name in console URLs (`/admin/users`).
    pub fn slug(self) -> &'static str {
        match self {
            Model::User => "users",
            Model::Post => "posts",
            Model::Comment => "comments",
            Model::Category => "categories",
            Model::Login => "logins",
            Model::Seminar => "seminars",
            Model::Enrolment => "enrolments",
            Model::Job => "jobs",
            Model::Audit => "audit",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.slug() == s)
    }

    /// The object type an audit entry names (`user`, `post`, …).
    pub fn object_type(self) -> &'static str {
        match self {
            Model::User => "user",
            Model::Post => "post",
            Model::Comment => "comment",
            Model::Category => "category",
            Model::Login => "login",
            Model::Seminar => "seminar",
            Model::Enrolment => "enrolment",
            Model::Job => "job",
            Model::Audit => "audit",
        }
    }

    pub fn from_object_type(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.object_type() == s)
    }

    pub fn spec(self) -> &'static ModelSpec {
        match self {
            Model::User => &USER_SPEC,
            Model::Post => &POST_SPEC,
            Model::Comment => &COMMENT_SPEC,
            Model::Category => &CATEGORY_SPEC,
            Model::Login => &LOGIN_SPEC,
            Model::Seminar => &SEMINAR_SPEC,
            Model::Enrolment => &ENROLMENT_SPEC,
            Model::Job => &JOB_SPEC,
            Model::Audit => &AUDIT_SPEC,
        }
    }

    /// The bound on the rows a search of this list reads, if it has one.
    pub fn search_window(self) -> Option<u64> {
        (self == Model::Post).then_some(POST_SEARCH_WINDOW)
    }

    /// Whether a row of this model has a change page.
    pub fn has_detail(self) -> bool {
        matches!(
            self,
            Model::User | Model::Post | Model::Comment | Model::Category | Model::Seminar
        )
    }
}

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
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::DeletePosts,
        Action::RestorePosts,
        Action::DeleteComments,
        Action::RestoreComments,
        Action::Suspend,
        Action::Ban,
        Action::Reinstate,
        Action::SetRole,
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
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == s)
    }

    pub fn model(self) -> Model {
        match self {
            Action::DeletePosts | Action::RestorePosts => Model::Post,
            Action::DeleteComments | Action::RestoreComments => Model::Comment,
            Action::Suspend | Action::Ban | Action::Reinstate | Action::SetRole => Model::User,
        }
    }

    pub fn permission(self) -> Permission {
        match self {
            Action::DeletePosts
            | Action::RestorePosts
            | Action::DeleteComments
            | Action::RestoreComments => Permission::Moderate,
            Action::Suspend | Action::Ban | Action::Reinstate => Permission::Discipline,
            Action::SetRole => Permission::ChangeRole,
        }
    }

    /// The fields the confirmation form asks for.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Action::Suspend => &["until", "reason"],
            Action::Ban => &["reason"],
            Action::SetRole => &["role"],
            _ => &[],
        }
    }
}

/// A position in the creation-date drill-down: nothing, a year, a month or a day (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatePath {
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl DatePath {
    /// Checks the parts: a month needs its year, a day its month, and the day exists.
    pub fn new(year: Option<i32>, month: Option<u32>, day: Option<u32>) -> Result<Self> {
        let bad = |m: &str| Error::BadRequest(format!("date drill-down: {m}"));
        match (year, month, day) {
            (None, Some(_), _) | (_, None, Some(_)) => return Err(bad("incomplete date")),
            _ => {}
        }
        if let Some(y) = year
            && !(1970..=9999).contains(&y)
        {
            return Err(bad("year out of range"));
        }
        if let (Some(y), Some(m)) = (year, month) {
            if !(1..=12).contains(&m) {
                return Err(bad("month out of range"));
            }
            if let Some(d) = day
                && Day::parse("day", &format!("{y:04}-{m:02}-{d:02}")).is_err()
            {
                return Err(bad("no such day"));
            }
        }
        Ok(Self { year, month, day })
    }

    /// The instants the position covers, [from, to).
    pub fn range(&self) -> Option<(Timestamp, Timestamp)> {
        let start = |y: i32, m: u32, d: u32| Day {
            year: y,
            month: m,
            day: d,
        };
        let (from, to) = match (self.year, self.month, self.day) {
            (Some(y), Some(m), Some(d)) => {
                let day = start(y, m, d);
                (day, day.plus_days(1))
            }
            (Some(y), Some(m), None) => {
                let next = if m == 12 {
                    start(y + 1, 1, 1)
                } else {
                    start(y, m + 1, 1)
                };
                (start(y, m, 1), next)
            }
            (Some(y), None, _) => (start(y, 1, 1), start(y + 1, 1, 1)),
            _ => return None,
        };
        Some((
            Timestamp(from.to_epoch_days() * DAY_MS),
            Timestamp(to.to_epoch_days() * DAY_MS),
        ))
    }

    /// The next level's choices within `span` (the first and last creation time of the
    /// model): years, the months of the year, or the days of the month.
    pub fn children(&self, span: Option<(Timestamp, Timestamp)>) -> Vec<DatePath> {
        let Some((first, last)) = span else {
            return Vec::new();
        };
        let (a, b) = (Day::containing(first, 0), Day::containing(last, 0));
        match (self.year, self.month, self.day) {
            (None, _, _) => (a.year..=b.year)
                .map(|y| DatePath {
                    year: Some(y),
                    ..Default::default()
                })
                .collect(),
            (Some(y), None, _) => (1..=12)
                .filter(|&m| (y, m) >= (a.year, a.month) && (y, m) <= (b.year, b.month))
                .map(|m| DatePath {
                    year: Some(y),
                    month: Some(m),
                    day: None,
                })
                .collect(),
            (Some(y), Some(m), None) => (1..=31)
                .filter_map(|d| DatePath::new(Some(y), Some(m), Some(d)).ok())
                .filter(|p| {
                    let day = Day {
                        year: y,
                        month: m,
                        day: p.day.unwrap_or(1),
                    };
                    day >= a && day <= b
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Rows per console page.
pub const PER_PAGE: u32 = 50;
/// Rows a filtered count walks at most; beyond it the total reads "more than".
pub const COUNT_CAP: u64 = 10_000;

/// How many posts of a selection (its filters and dates, in the list's order) a
/// console search reads at most. A substring search has no index to use, so without a
/// bound one search at a million posts reads them all (seconds); each post read costs
/// a few microseconds (SQLite: 10,000 took 25 ms, too slow for four staff searching at
/// once). 2,000 is two days of posts at a million over three years, and more than a
/// day's: the date drill-down makes any day's search complete.
pub const POST_SEARCH_WINDOW: u64 = 2_000;

/// A list request, checked against the model's spec.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub model: Model,
    /// The search box, folded; `None` when empty.
    pub search: Option<String>,
    /// Filter key → chosen value, each checked against the spec.
    pub filters: BTreeMap<&'static str, String>,
    /// A sortable column and whether descending.
    pub sort: &'static str,
    pub descending: bool,
    pub date: DatePath,
    /// 1-based; at most as far as the capped total reaches.
    pub page: u32,
    pub per_page: u32,
}

/// A list request as it arrives, unchecked.
#[derive(Debug, Clone, Default)]
pub struct RawListQuery {
    pub search: Option<String>,
    pub filters: BTreeMap<String, String>,
    /// A column key, `-` first for descending.
    pub sort: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub day: Option<u32>,
    pub page: Option<u32>,
}

impl ListQuery {
    pub fn parse(model: Model, raw: &RawListQuery) -> Result<Self> {
        let spec = model.spec();
        let search = match (&raw.search, spec.search) {
            (Some(s), Some(_)) if !s.trim().is_empty() => {
                char_len("q", s.trim(), 1, 100).map_err(|v| Error::Validation(vec![v]))?;
                Some(fold_case(s.trim()))
            }
            _ => None,
        };
        let mut filters = BTreeMap::new();
        for (k, v) in &raw.filters {
            let Some(f) = spec.filters.iter().find(|f| f.key == k) else {
                return Err(Error::BadRequest(format!("no filter {k} on this list")));
            };
            let ok = match f.choices {
                Choices::Fixed(values) => values.contains(&v.as_str()),
                Choices::Categories | Choices::Seminar => v.parse::<i64>().is_ok_and(|id| id > 0),
            };
            if !ok {
                return Err(Error::BadRequest(format!("{v} is not a choice of {k}")));
            }
            filters.insert(f.key, v.clone());
        }
        let (sort, descending) = match raw.sort.as_deref() {
            None | Some("") => (spec.default_sort, true),
            Some(s) => {
                let (key, desc) = match s.strip_prefix('-') {
                    Some(k) => (k, true),
                    None => (s, false),
                };
                let Some(c) = spec.columns.iter().find(|c| c.sortable && c.key == key) else {
                    return Err(Error::BadRequest(format!("cannot sort this list by {key}")));
                };
                (c.key, desc)
            }
        };
        let date = if spec.dated {
            DatePath::new(raw.year, raw.month, raw.day)?
        } else {
            DatePath::default()
        };
        let max_page = u32::try_from(COUNT_CAP).unwrap_or(u32::MAX) / PER_PAGE;
        let page = raw.page.unwrap_or(1);
        if page == 0 || page > max_page {
            return Err(Error::BadRequest(format!(
                "page must be 1 to {max_page}; narrow the list with filters or dates to go further"
            )));
        }
        Ok(Self {
            model,
            search,
            filters,
            sort,
            descending,
            date,
            page,
            per_page: PER_PAGE,
        })
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }

    pub fn filter(&self, key: &str) -> Option<&str> {
        self.filters.get(key).map(String::as_str)
    }
}

/// One cell of a list row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Time(Timestamp),
    Bool(bool),
    /// A value from a fixed set, shown translated (a role, a state).
    Tag(String),
    /// Another object, linked to its change page (or list).
    Link {
        model: Model,
        id: i64,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The object's id (0 where a row has none of its own).
    pub id: i64,
    pub cells: Vec<Cell>,
    /// Shown struck through (a deleted post, a dropped enrolment).
    pub muted: bool,
}

/// How many rows a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(u64),
    /// The count stopped at this many.
    AtLeast(u64),
}

impl Total {
    /// From a count of at most `COUNT_CAP + 1` rows.
    pub fn from_capped(n: u64) -> Self {
        if n > COUNT_CAP {
            Total::AtLeast(COUNT_CAP)
        } else {
            Total::Exact(n)
        }
    }

    pub fn rows(self) -> u64 {
        match self {
            Total::Exact(n) | Total::AtLeast(n) => n,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub rows: Vec<Row>,
    pub total: Total,
}

/// A field an audited change moved, from → to (as text; empty for none).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

impl FieldChange {
    /// The stored form of an entry's changes (a JSON array).
    pub fn encode(changes: &[FieldChange]) -> String {
        serde_json::to_string(changes).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Reads what [`FieldChange::encode`] wrote; anything else reads as no fields.
    pub fn decode(s: &str) -> Vec<FieldChange> {
        serde_json::from_str(s).unwrap_or_default()
    }

    fn new(field: &str, from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            from: from.into(),
            to: to.into(),
        }
    }
}

/// One audit-log entry about to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub actor_id: i64,
    pub actor_name: String,
    pub object_type: &'static str,
    pub object_id: i64,
    pub object_repr: String,
    pub action: &'static str,
    pub changes: Vec<FieldChange>,
    pub at: Timestamp,
}

/// An audit-log entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub object_type: String,
    pub object_id: i64,
    pub object_repr: String,
    pub action: String,
    pub changes: Vec<FieldChange>,
    pub at: Timestamp,
}

/// A console write. The store applies it and its audit record in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum StaffChange {
    DeletePost(i64),
    RestorePost(i64),
    DeleteComment {
        id: i64,
        post_id: i64,
    },
    RestoreComment {
        id: i64,
        post_id: i64,
    },
    SetState {
        user_id: i64,
        state: UserState,
    },
    SetRole {
        user_id: i64,
        role: Role,
    },
    RenameCategory {
        id: i64,
        name: CategoryName,
    },
    /// Under the seminar's row lock, refused (a validation error on `capacity`) when
    /// the new capacity is below the active participants.
    EditSeminar {
        id: i64,
        change: SeminarChange,
    },
}

/// What applying a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Changed,
    /// The object was already so (a race with another staff member); nothing written.
    Unchanged,
    Missing,
}

/// A comment as the console shows it, deleted ones included.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentRecord {
    pub comment: Comment,
    pub deleted_at: Option<Timestamp>,
}

/// A console-only view of one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCounts {
    pub day: Day,
    pub counts: DailyCounts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// Oldest first, ending today (UTC).
    pub days: Vec<DayCounts>,
    pub jobs: JobStats,
    pub failed_jobs: Vec<Job>,
    pub recent: Vec<AuditEntry>,
}

/// The console's own storage: its sessions, its lists, and audited writes.
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    async fn open_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<i64>;
    /// The live session under this token hash, with its member (not erased).
    async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, User, String)>>;
    async fn close_session(&self, id: i64, now: Timestamp) -> Result<()>;
    /// One page of a list (every model but jobs), with its capped total; `now`
    /// decides which suspensions are still in force.
    async fn list(&self, q: &ListQuery, now: Timestamp) -> Result<Listing>;
    /// The first and last creation time of a model's rows, for the date drill-down.
    async fn span(&self, model: Model) -> Result<Option<(Timestamp, Timestamp)>>;
    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>>;
    async fn apply(&self, change: &StaffChange, audit: &AuditRecord) -> Result<Applied>;
    /// Entries about one object, newest first.
    async fn history(
        &self,
        object_type: &str,
        object_id: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
    /// The newest entries.
    async fn recent(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// Console settings.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleSettings {
    /// How long a console session lasts.
    pub session_ttl_secs: i64,
    pub throttle: LoginThrottle,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            session_ttl_secs: 8 * 3600,
            throttle: LoginThrottle {
                max_failures: 5,
                window_ms: 15 * 60 * 1000,
            },
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

    /// Logs a staff member in: answers the session token for the cookie. Failed
    /// log-ins are throttled per account; members without a staff role are refused.
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<(String, Staff)> {
        let gate = LoginGate {
            throttle: Some(self.settings.throttle),
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

    pub async fn log_out(&self, staff: &Staff) -> Result<()> {
        self.store
            .close_session(staff.session_id, self.clock.now())
            .await
    }

    /// Changes the staff member's password (the account rules apply: current
    /// password, length, confirmation); every other session of theirs ends.
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

    pub async fn span(&self, model: Model) -> Result<Option<(Timestamp, Timestamp)>> {
        if model.spec().dated {
            self.store.span(model).await
        } else {
            Ok(None)
        }
    }

    pub async fn category_tree(&self) -> Result<CategoryTree> {
        load_tree(self.categories.as_ref(), self.cache.as_ref()).await
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        self.users.user(id).await?.ok_or(Error::NotFound("user"))
    }

    pub async fn post(&self, id: i64) -> Result<(PostDetail, Vec<PostVersion>)> {
        let post = self
            .posts
            .post(id, true)
            .await?
            .ok_or(Error::NotFound("post"))?;
        Ok((post, self.posts.post_versions(id).await?))
    }

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

    pub async fn history(&self, model: Model, id: i64) -> Result<Vec<AuditEntry>> {
        self.store.history(model.object_type(), id, 200).await
    }

    /// Works out what a bulk action would do to each selected object, for the
    /// confirmation page; checks the action's fields and the permission first.
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

    fn target_of(&self, action: Action, input: &ActionInput) -> Result<Target> {
        let mut v = Violations::new();
        let target = match action {
            Action::Suspend => {
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
            Action::Ban => match reason(&mut v, input) {
                Some(reason) => Target::State(UserState::Banned { reason }),
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
            _ => Target::None,
        };
        v.into_result()?;
        Ok(target)
    }

    async fn plan_one(
        &self,
        staff: &Staff,
        action: Action,
        target: &Target,
        id: i64,
    ) -> Result<Planned> {
        let missing = |repr: String| Planned {
            id,
            repr,
            change: None,
            changes: Vec::new(),
            note: Some("missing"),
        };
        let planned = |repr: String, change: Option<StaffChange>, changes, note| Planned {
            id,
            repr,
            change,
            changes,
            note,
        };
        match action {
            Action::DeletePosts | Action::RestorePosts => {
                let Some(p) = self.posts.post(id, true).await? else {
                    return Ok(missing(format!("#{id}")));
                };
                let delete = action == Action::DeletePosts;
                let repr = format!("#{} {}", p.id, p.title);
                if p.deleted_at.is_some() == delete {
                    return Ok(planned(repr, None, Vec::new(), Some("already")));
                }
                let change = if delete {
                    StaffChange::DeletePost(id)
                } else {
                    StaffChange::RestorePost(id)
                };
                Ok(planned(
                    repr,
                    Some(change),
                    vec![deleted_change(delete)],
                    None,
                ))
            }
            Action::DeleteComments | Action::RestoreComments => {
                let Some(c) = self.store.comment(id).await? else {
                    return Ok(missing(format!("#{id}")));
                };
                let delete = action == Action::DeleteComments;
                let repr = comment_repr(&c.comment);
                if c.deleted_at.is_some() == delete {
                    return Ok(planned(repr, None, Vec::new(), Some("already")));
                }
                let post_id = c.comment.post_id;
                let change = if delete {
                    StaffChange::DeleteComment { id, post_id }
                } else {
                    StaffChange::RestoreComment { id, post_id }
                };
                Ok(planned(
                    repr,
                    Some(change),
                    vec![deleted_change(delete)],
                    None,
                ))
            }
            Action::Suspend | Action::Ban | Action::Reinstate | Action::SetRole => {
                let Some(u) = self.users.user(id).await? else {
                    return Ok(missing(format!("#{id}")));
                };
                let repr = format!("#{} {}", u.id, u.name);
                if u.id == staff.user.id {
                    return Ok(planned(repr, None, Vec::new(), Some("self")));
                }
                // Acting on another staff member takes the admin's permission.
                if u.role.is_staff() && !staff.can(Permission::ChangeRole) {
                    return Ok(planned(repr, None, Vec::new(), Some("staff")));
                }
                let now = self.clock.now();
                match target {
                    Target::State(state) => {
                        let changes = state_changes(u.state.at(now), state);
                        if changes.is_empty() {
                            return Ok(planned(repr, None, changes, Some("already")));
                        }
                        let change = StaffChange::SetState {
                            user_id: id,
                            state: state.clone(),
                        };
                        Ok(planned(repr, Some(change), changes, None))
                    }
                    Target::Role(role) => {
                        if u.role == *role {
                            return Ok(planned(repr, None, Vec::new(), Some("already")));
                        }
                        let changes =
                            vec![FieldChange::new("role", u.role.as_str(), role.as_str())];
                        let change = StaffChange::SetRole {
                            user_id: id,
                            role: *role,
                        };
                        Ok(planned(repr, Some(change), changes, None))
                    }
                    // Only naming the objects, before the action's fields are known.
                    Target::None => Ok(planned(repr, None, Vec::new(), None)),
                }
            }
        }
    }

    /// Applies a bulk action: plans it again (the objects may have changed since the
    /// confirmation page) and writes each change with its audit entry. Answers how
    /// many objects changed.
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

    /// Renames a category (admins): the category rules apply.
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

    pub async fn seminar(&self, id: i64) -> Result<SeminarDetail> {
        self.seminars
            .seminar(id)
            .await?
            .ok_or(Error::NotFound("seminar"))
    }

    /// Changes a seminar's settings (admins): the seminar rules of the API apply, the
    /// capacity included — never below the active participants, checked under the
    /// seminar's row lock. Answers whether anything changed.
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
            object_type,
            object_id,
            object_repr: repr.chars().take(200).collect(),
            action,
            changes,
            at: self.clock.now(),
        };
        let applied = self.store.apply(change, &audit).await?;
        if applied == Applied::Changed {
            self.cache.invalidate(&invalidations(change)).await;
        }
        Ok(applied == Applied::Changed)
    }
}

enum Target {
    State(UserState),
    Role(Role),
    None,
}

fn reason(v: &mut Violations, input: &ActionInput) -> Option<String> {
    match input.reason.as_deref().map(str::trim) {
        None | Some("") => {
            v.add("reason", "required", "reason is required");
            None
        }
        Some(r) => v.check(char_len("reason", r, 1, REASON_MAX).map(|()| r.to_owned())),
    }
}

fn deleted_change(delete: bool) -> FieldChange {
    let (from, to) = if delete { ("no", "yes") } else { ("yes", "no") };
    FieldChange::new("deleted", from, to)
}

fn comment_repr(c: &Comment) -> String {
    let text: String = c.content.chars().take(40).collect();
    format!("#{} {text}", c.id)
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::DeletePosts | Action::DeleteComments => "delete",
        Action::RestorePosts | Action::RestoreComments => "restore",
        Action::Suspend => "suspend",
        Action::Ban => "ban",
        Action::Reinstate => "reinstate",
        Action::SetRole => "role",
    }
}

fn state_parts(s: &UserState) -> (&'static str, String, String) {
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
fn seminar_changes(s: &Seminar, c: &SeminarChange) -> Vec<FieldChange> {
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

fn change_object(c: &StaffChange) -> (&'static str, i64) {
    match c {
        StaffChange::DeletePost(id) | StaffChange::RestorePost(id) => ("post", *id),
        StaffChange::DeleteComment { id, .. } | StaffChange::RestoreComment { id, .. } => {
            ("comment", *id)
        }
        StaffChange::SetState { user_id, .. } | StaffChange::SetRole { user_id, .. } => {
            ("user", *user_id)
        }
        StaffChange::RenameCategory { id, .. } => ("category", *id),
        StaffChange::EditSeminar { id, .. } => ("seminar", *id),
    }
}

/// Cached read models a change makes stale. Lists are not cached by key; a post's
/// scope covers its detail, and names cover every model that shows one.
fn invalidations(c: &StaffChange) -> Vec<String> {
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
        StaffChange::RenameCategory { .. } => {
            vec![scope::CATEGORIES.to_owned(), scope::NAMES.to_owned()]
        }
        StaffChange::EditSeminar { .. } => vec![scope::SEMINARS.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moderators_moderate_and_discipline_and_only_admins_do_the_rest() {
        use Permission::*;
        for p in [
            Moderate,
            Discipline,
            ChangeRole,
            EditCategories,
            EditSeminars,
        ] {
            assert!(can(Role::Admin, p));
            assert!(!can(Role::User, p));
        }
        assert!(can(Role::Moderator, Moderate));
        assert!(can(Role::Moderator, Discipline));
        assert!(!can(Role::Moderator, ChangeRole));
        assert!(!can(Role::Moderator, EditCategories));
        assert!(!can(Role::Moderator, EditSeminars));
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let staff = Staff {
            user: User {
                id: 1,
                name: "m".into(),
                email: "m@x.kr".into(),
                role: Role::Moderator,
                state: UserState::Active,
                created_at: Timestamp(0),
            },
            session_id: 1,
            csrf: "abc".into(),
        };
        assert!(staff.check_csrf("abc").is_ok());
        assert!(staff.check_csrf("abd").is_err());
        assert!(staff.check_csrf("").is_err());
        assert!(staff.check_csrf("abcd").is_err());
    }

    #[test]
    fn date_paths_cover_their_year_month_or_day() {
        let day = DatePath::new(Some(2026), Some(2), Some(28)).unwrap();
        let (a, b) = day.range().unwrap();
        assert_eq!(b.millis() - a.millis(), DAY_MS);
        assert_eq!(Day::containing(a, 0).to_string(), "2026-02-28");
        let (a, b) = DatePath::new(Some(2024), Some(2), None)
            .unwrap()
            .range()
            .unwrap();
        assert_eq!((b.millis() - a.millis()) / DAY_MS, 29);
        let (a, b) = DatePath::new(Some(2026), Some(12), None)
            .unwrap()
            .range()
            .unwrap();
        assert_eq!(Day::containing(b, 0).to_string(), "2027-01-01");
        assert_eq!((b.millis() - a.millis()) / DAY_MS, 31);
        assert!(DatePath::new(Some(2026), Some(2), Some(30)).is_err());
        assert!(DatePath::new(None, Some(2), None).is_err());
        assert!(DatePath::new(Some(2026), None, Some(2)).is_err());
        assert!(DatePath::default().range().is_none());
    }

    #[test]
    fn drill_down_offers_only_dates_with_rows_around() {
        let t = |s: &str| {
            let d = Day::parse("d", s).unwrap();
            Timestamp(d.to_epoch_days() * DAY_MS + 5)
        };
        let span = Some((t("2024-11-30"), t("2026-02-02")));
        let years: Vec<_> = DatePath::default()
            .children(span)
            .iter()
            .filter_map(|p| p.year)
            .collect();
        assert_eq!(years, vec![2024, 2025, 2026]);
        let months: Vec<_> = DatePath::new(Some(2024), None, None)
            .unwrap()
            .children(span)
            .iter()
            .filter_map(|p| p.month)
            .collect();
        assert_eq!(months, vec![11, 12]);
        let days = DatePath::new(Some(2026), Some(2), None)
            .unwrap()
            .children(span);
        assert_eq!(days.len(), 2);
        assert!(DatePath::default().children(None).is_empty());
    }

    #[test]
    fn list_queries_accept_only_what_the_spec_offers() {
        let mut raw = RawListQuery::default();
        raw.filters.insert("role".into(), "moderator".into());
        raw.sort = Some("-name".into());
        raw.search = Some("  Kim ".into());
        let q = ListQuery::parse(Model::User, &raw).unwrap();
        assert_eq!(q.filter("role"), Some("moderator"));
        assert_eq!((q.sort, q.descending), ("name", true));
        assert_eq!(q.search.as_deref(), Some("kim"));
        assert_eq!(q.page, 1);

        let bad = |f: &dyn Fn(&mut RawListQuery)| {
            let mut r = RawListQuery::default();
            f(&mut r);
            ListQuery::parse(Model::User, &r).is_err()
        };
        assert!(bad(&|r| {
            r.filters.insert("role".into(), "god".into());
        }));
        assert!(bad(&|r| {
            r.filters.insert("password".into(), "x".into());
        }));
        assert!(bad(&|r| r.sort = Some("email".into())));
        assert!(bad(&|r| r.page = Some(0)));
        assert!(bad(&|r| r.page = Some(10_000)));
        assert!(bad(&|r| r.month = Some(3)));

        let mut raw = RawListQuery::default();
        raw.filters.insert("category".into(), "12".into());
        assert!(ListQuery::parse(Model::Post, &raw).is_ok());
        raw.filters.insert("category".into(), "x".into());
        assert!(ListQuery::parse(Model::Post, &raw).is_err());
    }

    #[test]
    fn every_sort_default_is_a_sortable_column_and_actions_belong_to_their_list() {
        for m in Model::ALL {
            let spec = m.spec();
            if m != Model::Job {
                assert!(
                    spec.columns
                        .iter()
                        .any(|c| c.sortable && c.key == spec.default_sort),
                    "{m:?}"
                );
            }
            for a in spec.actions {
                assert_eq!(a.model(), m);
            }
            assert_eq!(Model::from_slug(m.slug()), Some(m));
        }
    }

    #[test]
    fn state_changes_name_only_what_moves() {
        let until = Timestamp(Day::parse("d", "2026-12-01").unwrap().to_epoch_days() * DAY_MS);
        let s = UserState::Suspended {
            until,
            reason: "spam".into(),
        };
        let c = state_changes(&UserState::Active, &s);
        assert_eq!(
            c,
            vec![
                FieldChange::new("state", "active", "suspended"),
                FieldChange::new("until", "", "2026-11-30"),
                FieldChange::new("reason", "", "spam"),
            ]
        );
        assert!(state_changes(&s, &s).is_empty());
        assert_eq!(state_changes(&s, &UserState::Active).len(), 3);
    }

    #[test]
    fn seminar_changes_name_only_the_fields_that_move() {
        let s = Seminar {
            id: 7,
            name: "Rust".into(),
            capacity: 30,
            count: 4,
            time: "19:30".into(),
            online: true,
            participant_count: 3,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let same = SeminarInput {
            name: Some("Rust".into()),
            capacity: Some(30),
            count: Some(4),
            time: Some("19:30".into()),
            online: Some(true),
        };
        assert!(seminar_changes(&s, &same.check(false).unwrap()).is_empty());
        let moved = SeminarInput {
            capacity: Some(40),
            online: Some(false),
            ..same
        };
        assert_eq!(
            seminar_changes(&s, &moved.check(false).unwrap()),
            vec![
                FieldChange::new("capacity", "30", "40"),
                FieldChange::new("online", "yes", "no"),
            ]
        );
    }

    #[test]
    fn totals_past_the_cap_read_as_at_least() {
        assert_eq!(Total::from_capped(12), Total::Exact(12));
        assert_eq!(Total::from_capped(COUNT_CAP), Total::Exact(COUNT_CAP));
        assert_eq!(Total::from_capped(COUNT_CAP + 1), Total::AtLeast(COUNT_CAP));
    }
}
