//! The console's models: what each list shows, how it filters, searches and sorts.

use super::*;

/// The kinds of object the console lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    User,
    Post,
    Comment,
    /// Reported content, one row per post or comment (the reports queue).
    Report,
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

pub(super) const fn col(key: &'static str) -> ColumnSpec {
    ColumnSpec {
        key,
        sortable: false,
    }
}

pub(super) const fn sort(key: &'static str) -> ColumnSpec {
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

pub(super) const fn filter(key: &'static str, choices: &'static [&'static str]) -> FilterSpec {
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

pub(super) const YES_NO: &[&str] = &["yes", "no"];

pub(super) static USER_SPEC: ModelSpec = ModelSpec {
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

pub(super) static POST_SPEC: ModelSpec = ModelSpec {
    columns: &[
        col("id"),
        col("title"),
        col("category"),
        col("author"),
        col("status"),
        col("sentiment"),
        col("views"),
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
    actions: &[
        Action::DeletePosts,
        Action::RestorePosts,
        Action::PinPosts,
        Action::UnpinPosts,
    ],
    default_sort: "created_at",
};

pub(super) static COMMENT_SPEC: ModelSpec = ModelSpec {
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

/// The reports queue: one row per reported post or comment, most reporters first.
pub(super) static REPORT_SPEC: ModelSpec = ModelSpec {
    columns: &[
        col("id"),
        col("target"),
        col("author"),
        sort("reporters"),
        col("reasons"),
        col("sentiment"),
        col("report_status"),
        col("author_removals"),
        col("author_since"),
        sort("first_reported"),
    ],
    filters: &[
        filter("report_status", &["open", "resolved"]),
        filter("target_type", &["post", "comment"]),
        filter("held", YES_NO),
    ],
    search: Some("search_by_author"),
    dated: true,
    actions: &[
        Action::DismissReports,
        Action::RemoveReported,
        Action::SuspendAuthor,
        Action::BanAuthor,
    ],
    default_sort: "reporters",
};

pub(super) static CATEGORY_SPEC: ModelSpec = ModelSpec {
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

pub(super) static LOGIN_SPEC: ModelSpec = ModelSpec {
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

pub(super) static SEMINAR_SPEC: ModelSpec = ModelSpec {
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

pub(super) static ENROLMENT_SPEC: ModelSpec = ModelSpec {
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

pub(super) static JOB_SPEC: ModelSpec = ModelSpec {
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

pub(super) static AUDIT_SPEC: ModelSpec = ModelSpec {
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
                "pin",
                "unpin",
                "dismiss",
                "remove",
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
    pub const ALL: [Model; 10] = [
        Model::User,
        Model::Post,
        Model::Comment,
        Model::Report,
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
            Model::Report => "reports",
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
            Model::Report => "report",
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
            Model::Report => &REPORT_SPEC,
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
            Model::User
                | Model::Post
                | Model::Comment
                | Model::Report
                | Model::Category
                | Model::Seminar
        )
    }
}
