//! The console's lists in SQL: each model's source, its filters, search and order,
//! and how a row becomes the cells the page shows.

use super::*;

/// What a model's list reads: its tables, columns, and how its filters, search and
/// sorts translate.
pub(super) struct Source {
    /// The model's table and its alias.
    pub(super) table: &'static str,
    /// Its id column, when one column identifies a row (enrolments are keyed by
    /// seminar and member).
    pub(super) id: Option<&'static str>,
    /// The tables joined to it for the list's columns.
    pub(super) joins: &'static str,
    pub(super) cols: &'static str,
    /// Always applied (erased users are not listed).
    pub(super) base: &'static str,
    /// The creation-time column the date drill-down filters.
    pub(super) date_col: &'static str,
}

pub(super) fn source(model: Model) -> Result<Source> {
    let s = match model {
        Model::User => Source {
            table: "users u",
            id: Some("u.id"),
            joins: "",
            cols: "u.id, u.name, u.email, u.role, u.state, u.state_until, u.state_reason, u.created_at",
            base: "u.deleted_at IS NULL",
            date_col: "u.created_at",
        },
        Model::Post => Source {
            table: "posts p",
            id: Some("p.id"),
            joins: "JOIN categories c ON c.id = p.category_id LEFT JOIN users u ON u.id = p.author_id \
                    LEFT JOIN post_views pv ON pv.post_id = p.id",
            cols: "p.id, p.title, p.category_id, c.name AS category_name, p.author_id, u.name AS author_name, \
                   p.deleted_at, p.sentiment_label, pv.view_count, p.vote_count, p.comment_count, p.created_at",
            base: "1 = 1",
            date_col: "p.created_at",
        },
        Model::Comment => Source {
            table: "comments m",
            id: Some("m.id"),
            joins: "JOIN posts p ON p.id = m.post_id LEFT JOIN users u ON u.id = m.author_id",
            cols: "m.id, m.content, m.post_id, p.title AS post_title, m.author_id, u.name AS author_name, \
                   m.deleted_at, m.sentiment_label, m.vote_count, m.created_at",
            base: "1 = 1",
            date_col: "m.created_at",
        },
        Model::Category => Source {
            table: "categories c",
            id: Some("c.id"),
            joins: "LEFT JOIN categories pc ON pc.id = c.parent_id",
            cols: "c.id, c.name, c.parent_id, pc.name AS parent_name, c.post_count, c.created_at",
            base: "1 = 1",
            date_col: "c.created_at",
        },
        Model::Login => Source {
            table: "login_history l",
            id: Some("l.id"),
            joins: "JOIN users u ON u.id = l.user_id",
            cols: "l.id, l.user_id, u.name AS user_name, l.succeeded, l.ip, l.user_agent, l.created_at",
            base: "1 = 1",
            date_col: "l.created_at",
        },
        Model::Seminar => Source {
            table: "seminars s",
            id: Some("s.id"),
            joins: "",
            cols: "s.id, s.name, s.capacity, s.participant_count, s.online, s.start_time, s.created_at",
            base: "1 = 1",
            date_col: "s.created_at",
        },
        Model::Enrolment => Source {
            table: "seminar_members e",
            id: None,
            joins: "JOIN seminars s ON s.id = e.seminar_id JOIN users u ON u.id = e.user_id",
            cols: "e.seminar_id, s.name AS seminar_name, e.user_id, u.name AS user_name, e.role, e.is_active, \
                   e.joined_at, e.dropped_at",
            base: "1 = 1",
            date_col: "e.joined_at",
        },
        Model::Audit => Source {
            table: "audit_log a",
            id: Some("a.id"),
            joins: "",
            cols: "a.id, a.actor_id, a.actor_name, a.object_type, a.object_id, a.object_repr, a.action, \
                   a.changes, a.created_at",
            base: "1 = 1",
            date_col: "a.created_at",
        },
        Model::Job => {
            return Err(Error::BadRequest(
                "jobs are listed from the queue, not the database".into(),
            ));
        }
    };
    Ok(s)
}

/// The ORDER BY of a sort key; every order ends in a unique column, so pages are stable.
pub(super) fn order_by(model: Model, key: &str, desc: bool) -> String {
    let cols: &[&str] = match (model, key) {
        (Model::User, "name") => &["u.name_key"],
        (Model::User, "created_at") => &["u.created_at", "u.id"],
        (Model::User, _) => &["u.id"],
        (Model::Post, _) => &["p.created_at", "p.id"],
        (Model::Comment, _) => &["m.created_at", "m.id"],
        (Model::Category, "name") => &["c.name_key", "c.id"],
        (Model::Category, "posts") => &["c.post_count", "c.id"],
        (Model::Category, "created_at") => &["c.created_at", "c.id"],
        (Model::Category, _) => &["c.id"],
        (Model::Login, _) => &["l.created_at", "l.id"],
        (Model::Seminar, "name") => &["s.name_key", "s.id"],
        (Model::Seminar, "capacity") => &["s.capacity", "s.id"],
        (Model::Seminar, "participants") => &["s.participant_count", "s.id"],
        (Model::Seminar, "created_at") => &["s.created_at", "s.id"],
        (Model::Seminar, _) => &["s.id"],
        (Model::Enrolment, _) => &["e.joined_at", "e.seminar_id", "e.user_id"],
        (Model::Audit | Model::Job, _) => &["a.id"],
    };
    let dir = if desc { " DESC" } else { " ASC" };
    let parts: Vec<String> = cols.iter().map(|c| format!("{c}{dir}")).collect();
    format!(" ORDER BY {}", parts.join(", "))
}

pub(super) fn yes(v: &str) -> i64 {
    i64::from(v == "yes")
}

/// Appends the WHERE clause of a list request: its date range and filters, and its
/// search when `with_search`.
pub(super) fn push_where(
    s: &mut Stmt,
    src: &Source,
    q: &ListQuery,
    now: Timestamp,
    with_search: bool,
) {
    s.push_sql(" WHERE ");
    s.push_sql(src.base);
    if let Some((from, to)) = q.date.range() {
        s.push_bind(&format!(" AND {} >= ?", src.date_col), from.millis());
        s.push_bind(&format!(" AND {} < ?", src.date_col), to.millis());
    }
    if with_search {
        push_search(s, q);
    }
    match q.model {
        Model::User => {
            if let Some(r) = q.filter("role") {
                s.push_bind(" AND u.role = ?", r.to_owned());
            }
            match q.filter("state") {
                Some("active") => s.push_bind(
                    " AND (u.state = 'active' OR (u.state = 'suspended' AND u.state_until <= ?))",
                    now.millis(),
                ),
                Some("suspended") => s.push_bind(
                    " AND u.state = 'suspended' AND u.state_until > ?",
                    now.millis(),
                ),
                Some("banned") => s.push_sql(" AND u.state = 'banned'"),
                _ => {}
            }
        }
        Model::Post => {
            if let Some(c) = q.filter("category").and_then(|c| c.parse::<i64>().ok()) {
                s.push_bind(" AND p.category_id = ?", c);
            }
            push_status_and_sentiment(s, q, "p");
        }
        Model::Comment => push_status_and_sentiment(s, q, "m"),
        Model::Category => match q.filter("top_level") {
            Some("yes") => s.push_sql(" AND c.parent_id IS NULL"),
            Some("no") => s.push_sql(" AND c.parent_id IS NOT NULL"),
            _ => {}
        },
        Model::Login => {
            if let Some(v) = q.filter("succeeded") {
                s.push_bind(" AND l.succeeded = ?", yes(v));
            }
        }
        Model::Seminar => {
            if let Some(v) = q.filter("online") {
                s.push_bind(" AND s.online = ?", yes(v));
            }
            match q.filter("capacity") {
                Some("30_or_more") => s.push_sql(" AND s.capacity >= 30"),
                Some("under_30") => s.push_sql(" AND s.capacity < 30"),
                _ => {}
            }
        }
        Model::Enrolment => {
            if let Some(id) = q.filter("seminar").and_then(|v| v.parse::<i64>().ok()) {
                s.push_bind(" AND e.seminar_id = ?", id);
            }
            if let Some(r) = q.filter("member_role") {
                s.push_bind(" AND e.role = ?", r.to_owned());
            }
            if let Some(v) = q.filter("active") {
                s.push_bind(" AND e.is_active = ?", yes(v));
            }
        }
        Model::Audit => {
            if let Some(a) = q.filter("action") {
                s.push_bind(" AND a.action = ?", a.to_owned());
            }
            if let Some(t) = q.filter("object_type") {
                s.push_bind(" AND a.object_type = ?", t.to_owned());
            }
        }
        Model::Job => {}
    }
}

/// Appends the search box's condition, if any.
pub(super) fn push_search(s: &mut Stmt, q: &ListQuery) {
    let Some(k) = q.search.clone() else { return };
    match q.model {
        Model::User => {
            s.push_bind(" AND (u.name_key LIKE ? ESCAPE '!'", like_contains(&k));
            s.push_bind(" OR u.email_key LIKE ? ESCAPE '!')", like_contains(&k));
        }
        Model::Post => s.push_bind(" AND p.search_text LIKE ? ESCAPE '!'", like_contains(&k)),
        Model::Category => s.push_bind(" AND c.name_key LIKE ? ESCAPE '!'", like_contains(&k)),
        Model::Seminar => s.push_bind(" AND s.name_key LIKE ? ESCAPE '!'", like_contains(&k)),
        // By exact name, through the unique name index: no join, so a list's total
        // counts its own table's rows only.
        Model::Comment => s.push_bind(
            " AND m.author_id = (SELECT id FROM users WHERE name_key = ?)",
            k,
        ),
        Model::Login => s.push_bind(
            " AND l.user_id = (SELECT id FROM users WHERE name_key = ?)",
            k,
        ),
        Model::Enrolment => s.push_bind(
            " AND e.user_id = (SELECT id FROM users WHERE name_key = ?)",
            k,
        ),
        Model::Audit => s.push_bind(
            " AND a.actor_id = (SELECT id FROM users WHERE name_key = ?)",
            k,
        ),
        Model::Job => {}
    }
}

pub(super) fn push_status_and_sentiment(s: &mut Stmt, q: &ListQuery, t: &str) {
    match q.filter("status") {
        Some("active") => s.push_sql(&format!(" AND {t}.deleted_at IS NULL")),
        Some("deleted") => s.push_sql(&format!(" AND {t}.deleted_at IS NOT NULL")),
        _ => {}
    }
    match q.filter("sentiment") {
        Some("none") => s.push_sql(&format!(" AND {t}.sentiment_label IS NULL")),
        Some(label) => s.push_bind(&format!(" AND {t}.sentiment_label = ?"), label.to_owned()),
        None => {}
    }
}

pub(super) fn text(row: &AnyRow, name: &str) -> Result<Cell> {
    Ok(col::<Option<String>>(row, name)?.map_or(Cell::Empty, Cell::Text))
}

pub(super) fn time(row: &AnyRow, name: &str) -> Result<Cell> {
    Ok(col::<Option<i64>>(row, name)?.map_or(Cell::Empty, |t| Cell::Time(Timestamp(t))))
}

pub(super) fn link(row: &AnyRow, model: Model, id: &str, name: &str) -> Result<Cell> {
    let id: Option<i64> = col(row, id)?;
    let name: Option<String> = col(row, name)?;
    Ok(match id {
        Some(id) => Cell::Link {
            model,
            id,
            text: name.unwrap_or_else(|| format!("#{id}")),
        },
        None => Cell::Empty,
    })
}

pub(super) fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

pub(super) fn status_and_sentiment(row: &AnyRow) -> Result<(bool, Cell, Cell)> {
    let deleted = col::<Option<i64>>(row, "deleted_at")?.is_some();
    let status = Cell::Tag(if deleted { "deleted" } else { "active" }.to_owned());
    let sentiment = col::<Option<String>>(row, "sentiment_label")?.map_or(Cell::Empty, Cell::Tag);
    Ok((deleted, status, sentiment))
}

/// The cells of a row, in the spec's column order.
pub(super) fn row_of(model: Model, r: &AnyRow, now: Timestamp) -> Result<Row> {
    let row = match model {
        Model::User => {
            let u = user_from_row(r)?;
            Row {
                id: u.id,
                muted: false,
                cells: vec![
                    Cell::Int(u.id),
                    Cell::Link {
                        model: Model::User,
                        id: u.id,
                        text: u.name.clone(),
                    },
                    Cell::Text(u.email.clone()),
                    Cell::Tag(u.role.as_str().to_owned()),
                    Cell::Tag(u.state.at(now).kind().to_owned()),
                    Cell::Time(u.created_at),
                ],
            }
        }
        Model::Post => {
            let id: i64 = col(r, "id")?;
            let (deleted, status, sentiment) = status_and_sentiment(r)?;
            Row {
                id,
                muted: deleted,
                cells: vec![
                    Cell::Int(id),
                    Cell::Link {
                        model: Model::Post,
                        id,
                        text: excerpt(&col::<String>(r, "title")?, 60),
                    },
                    link(r, Model::Category, "category_id", "category_name")?,
                    link(r, Model::User, "author_id", "author_name")?,
                    status,
                    sentiment,
                    Cell::Int(crate::posts::views_from_row(r)?),
                    Cell::Int(col(r, "vote_count")?),
                    Cell::Int(col(r, "comment_count")?),
                    time(r, "created_at")?,
                ],
            }
        }
        Model::Comment => {
            let id: i64 = col(r, "id")?;
            let (deleted, status, sentiment) = status_and_sentiment(r)?;
            let post_id: i64 = col(r, "post_id")?;
            Row {
                id,
                muted: deleted,
                cells: vec![
                    Cell::Int(id),
                    Cell::Link {
                        model: Model::Comment,
                        id,
                        text: excerpt(&col::<String>(r, "content")?, 60),
                    },
                    Cell::Link {
                        model: Model::Post,
                        id: post_id,
                        text: excerpt(&col::<String>(r, "post_title")?, 30),
                    },
                    link(r, Model::User, "author_id", "author_name")?,
                    status,
                    sentiment,
                    Cell::Int(col(r, "vote_count")?),
                    time(r, "created_at")?,
                ],
            }
        }
        Model::Category => {
            let id: i64 = col(r, "id")?;
            Row {
                id,
                muted: false,
                cells: vec![
                    Cell::Int(id),
                    Cell::Link {
                        model: Model::Category,
                        id,
                        text: col(r, "name")?,
                    },
                    link(r, Model::Category, "parent_id", "parent_name")?,
                    Cell::Int(col(r, "post_count")?),
                    time(r, "created_at")?,
                ],
            }
        }
        Model::Login => {
            let id: i64 = col(r, "id")?;
            let ok = col::<i64>(r, "succeeded")? != 0;
            Row {
                id,
                muted: !ok,
                cells: vec![
                    Cell::Int(id),
                    link(r, Model::User, "user_id", "user_name")?,
                    Cell::Bool(ok),
                    text(r, "ip")?,
                    text(r, "user_agent")?,
                    time(r, "created_at")?,
                ],
            }
        }
        Model::Seminar => {
            let id: i64 = col(r, "id")?;
            Row {
                id,
                muted: false,
                cells: vec![
                    Cell::Int(id),
                    Cell::Link {
                        model: Model::Seminar,
                        id,
                        text: col(r, "name")?,
                    },
                    Cell::Int(col(r, "capacity")?),
                    Cell::Int(col(r, "participant_count")?),
                    Cell::Bool(col::<i64>(r, "online")? != 0),
                    text(r, "start_time")?,
                    time(r, "created_at")?,
                ],
            }
        }
        Model::Enrolment => {
            let active = col::<i64>(r, "is_active")? != 0;
            Row {
                id: 0,
                muted: !active,
                cells: vec![
                    link(r, Model::Seminar, "seminar_id", "seminar_name")?,
                    link(r, Model::User, "user_id", "user_name")?,
                    Cell::Tag(col(r, "role")?),
                    Cell::Bool(active),
                    time(r, "joined_at")?,
                    time(r, "dropped_at")?,
                ],
            }
        }
        Model::Audit => {
            let e = audit_from_row(r)?;
            let object = match Model::from_object_type(&e.object_type) {
                Some(m) if m.has_detail() => Cell::Link {
                    model: m,
                    id: e.object_id,
                    text: e.object_repr.clone(),
                },
                _ => Cell::Text(e.object_repr.clone()),
            };
            let changes: Vec<String> = e
                .changes
                .iter()
                .map(|c| format!("{}: {} → {}", c.field, c.from, c.to))
                .collect();
            Row {
                id: e.id,
                muted: false,
                cells: vec![
                    Cell::Time(e.at),
                    Cell::Link {
                        model: Model::User,
                        id: e.actor_id,
                        text: e.actor_name.clone(),
                    },
                    Cell::Tag(e.action.clone()),
                    object,
                    Cell::Text(changes.join("; ")),
                ],
            }
        }
        Model::Job => {
            return Err(Error::BadRequest(
                "jobs are listed from the queue, not the database".into(),
            ));
        }
    };
    Ok(row)
}
