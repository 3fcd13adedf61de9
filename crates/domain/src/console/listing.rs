//! The console's lists and records: the date drill-down, list queries, rows and totals,
//! field changes, audit entries and the dashboard.

use super::*;

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
    /// Counts of values from a fixed set (a report target's reasons), each translated.
    Counts(Vec<(String, i64)>),
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

    /// The reason an audited change gave (a suspension's, a removal's), if any.
    pub fn reason(changes: &[FieldChange]) -> Option<String> {
        changes
            .iter()
            .find(|c| c.field == "reason" && !c.to.is_empty())
            .map(|c| c.to.clone())
    }

    /// Reads what [`FieldChange::encode`] wrote; anything else reads as no fields.
    pub fn decode(s: &str) -> Vec<FieldChange> {
        serde_json::from_str(s).unwrap_or_default()
    }

    pub fn new(field: &str, from: impl Into<String>, to: impl Into<String>) -> Self {
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
    /// The actor's role then, which the public moderation log shows instead of the name.
    pub actor_role: Role,
    pub object_type: &'static str,
    pub object_id: i64,
    pub object_repr: String,
    pub action: &'static str,
    pub changes: Vec<FieldChange>,
    pub at: Timestamp,
    /// Enqueue the notification job about this entry in its transaction (a removal
    /// tells the author, a report decision the reporters).
    pub notify: bool,
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
    /// A prefix (말머리) added at the end of a board's list.
    AddPrefix {
        board: i64,
        name: PrefixName,
    },
    /// A board's prefix removed; its posts keep none.
    DeletePrefix {
        board: i64,
        id: i64,
    },
    SetPrefixRequired {
        board: i64,
        required: bool,
    },
    /// Applied by the pin store, which writes the audit entry with the pin.
    PinPost {
        post_id: i64,
        scope: PinScope,
    },
    UnpinPost {
        post_id: i64,
    },
    /// Under the seminar's row lock, refused (a validation error on `capacity`) when
    /// the new capacity is below the active participants.
    EditSeminar {
        id: i64,
        change: SeminarChange,
    },
    /// A decision on a report target: resolves its open reports, and removes (or
    /// brings back) its content and disciplines its author as decided.
    ResolveReports(super::Resolution),
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
