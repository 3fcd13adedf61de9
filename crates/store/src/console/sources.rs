//! Each model's list source: its SQL, filters, search, order and row mapper, in one
//! block per model. Adding a model to the console adds one block here and its arm in
//! [`source`] (see docs/console.md).

use super::*;

/// The source of a model's list.
pub(super) fn source(model: Model) -> Result<&'static Source> {
    Ok(match model {
        Model::User => &USERS,
        Model::Post => &POSTS,
        Model::Comment => &COMMENTS,
        Model::Report => &REPORTS,
        Model::Category => &CATEGORIES,
        Model::Login => &LOGINS,
        Model::Seminar => &SEMINARS,
        Model::Enrolment => &ENROLMENTS,
        Model::Audit => &AUDIT,
        Model::Job => {
            return Err(Error::BadRequest(
                "jobs are listed from the queue, not the database".into(),
            ));
        }
    })
}

const USERS: Source = Source {
    table: "users u",
    id: Some("u.id"),
    joins: "",
    cols: "u.id, u.name, u.email, u.role, u.state, u.state_until, u.state_reason, u.created_at",
    base: "u.deleted_at IS NULL",
    date_col: "u.created_at",
    order: |key| match key {
        "name" => &["u.name_key"],
        "created_at" => &["u.created_at", "u.id"],
        _ => &["u.id"],
    },
    filter: user_filters,
    search: |s, k| {
        s.push_bind(" AND (u.name_key LIKE ? ESCAPE '!'", like_contains(&k));
        s.push_bind(" OR u.email_key LIKE ? ESCAPE '!')", like_contains(&k));
    },
    row: user_row,
};

fn user_filters(s: &mut Stmt, q: &ListQuery, now: Timestamp) {
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

fn user_row(r: &AnyRow, now: Timestamp) -> Result<Row> {
    let u = user_from_row(r)?;
    Ok(Row {
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
    })
}

const POSTS: Source = Source {
    table: "posts p",
    id: Some("p.id"),
    joins: "JOIN categories c ON c.id = p.category_id LEFT JOIN users u ON u.id = p.author_id \
            LEFT JOIN post_views pv ON pv.post_id = p.id",
    cols: "p.id, p.title, p.category_id, c.name AS category_name, p.author_id, u.name AS author_name, \
           p.deleted_at, p.sentiment_label, pv.view_count, p.vote_count, p.comment_count, p.created_at",
    base: "1 = 1",
    date_col: "p.created_at",
    order: |_| &["p.created_at", "p.id"],
    filter: |s, q, _| {
        if let Some(c) = q.filter("category").and_then(|c| c.parse::<i64>().ok()) {
            s.push_bind(" AND p.category_id = ?", c);
        }
        push_status_and_sentiment(s, q, "p");
    },
    search: |s, k| s.push_bind(" AND p.search_text LIKE ? ESCAPE '!'", like_contains(&k)),
    row: post_row,
};

fn post_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
    let id: i64 = col(r, "id")?;
    let (deleted, status, sentiment) = status_and_sentiment(r)?;
    Ok(Row {
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
    })
}

const COMMENTS: Source = Source {
    table: "comments m",
    id: Some("m.id"),
    joins: "JOIN posts p ON p.id = m.post_id LEFT JOIN users u ON u.id = m.author_id",
    cols: "m.id, m.content, m.post_id, p.title AS post_title, m.author_id, u.name AS author_name, \
           m.deleted_at, m.sentiment_label, m.vote_count, m.created_at",
    base: "1 = 1",
    date_col: "m.created_at",
    order: |_| &["m.created_at", "m.id"],
    filter: |s, q, _| push_status_and_sentiment(s, q, "m"),
    search: |s, k| by_member(s, "m.author_id", k),
    row: comment_row,
};

fn comment_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
    let id: i64 = col(r, "id")?;
    let (deleted, status, sentiment) = status_and_sentiment(r)?;
    let post_id: i64 = col(r, "post_id")?;
    Ok(Row {
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
    })
}

const REPORTS: Source = Source {
    table: "report_targets t",
    id: Some("t.id"),
    joins: "LEFT JOIN posts p ON t.target_type = 'post' AND p.id = t.target_id \
            LEFT JOIN comments m ON t.target_type = 'comment' AND m.id = t.target_id \
            LEFT JOIN users u ON u.id = t.author_id",
    cols: "t.id, t.target_type, t.target_id, t.author_id, u.name AS author_name, \
           u.created_at AS author_since, COALESCE(p.title, m.content) AS target_text, \
           COALESCE(p.sentiment_label, m.sentiment_label) AS sentiment_label, t.reporters, \
           t.n_spam, t.n_abuse, t.n_illegal, t.n_other, t.held, t.status, t.outcome, t.first_at, \
           (SELECT COUNT(*) FROM report_targets h WHERE h.author_id = t.author_id \
            AND h.outcome IN ('removed', 'suspended', 'banned')) AS author_removals",
    base: "1 = 1",
    date_col: "t.first_at",
    order: |key| match key {
        "first_reported" => &["t.first_at", "t.id"],
        _ => &["t.reporters", "t.id"],
    },
    filter: |s, q, _| {
        if let Some(v) = q.filter("report_status") {
            s.push_bind(" AND t.status = ?", v.to_owned());
        }
        if let Some(v) = q.filter("target_type") {
            s.push_bind(" AND t.target_type = ?", v.to_owned());
        }
        if let Some(v) = q.filter("held") {
            s.push_bind(" AND t.held = ?", yes(v));
        }
    },
    search: |s, k| by_member(s, "t.author_id", k),
    row: report_row,
};

fn report_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
    let id: i64 = col(r, "id")?;
    // One state: held (open, and hidden by its reports), open, or the decision.
    let status: String = col(r, "status")?;
    let open = status == "open";
    let shown_status = match (open, col::<i64>(r, "held")? != 0) {
        (true, true) => "held".to_owned(),
        (true, false) => status,
        (false, _) => col::<Option<String>>(r, "outcome")?.unwrap_or(status),
    };
    let reasons = [
        ("spam", "n_spam"),
        ("abuse", "n_abuse"),
        ("illegal", "n_illegal"),
        ("other", "n_other"),
    ]
    .iter()
    .map(|(reason, column)| Ok(((*reason).to_owned(), col::<i64>(r, column)?)))
    .collect::<Result<Vec<_>>>()?
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect();
    Ok(Row {
        id,
        muted: !open,
        cells: vec![
            Cell::Int(id),
            // The content opens the report's own page, which links the content.
            Cell::Link {
                model: Model::Report,
                id,
                text: excerpt(
                    &col::<Option<String>>(r, "target_text")?.unwrap_or_default(),
                    40,
                ),
            },
            link(r, Model::User, "author_id", "author_name")?,
            Cell::Int(col(r, "reporters")?),
            Cell::Counts(reasons),
            col::<Option<String>>(r, "sentiment_label")?.map_or(Cell::Empty, Cell::Tag),
            Cell::Tag(shown_status),
            Cell::Int(col(r, "author_removals")?),
            time(r, "author_since")?,
            time(r, "first_at")?,
        ],
    })
}

const CATEGORIES: Source = Source {
    table: "categories c",
    id: Some("c.id"),
    joins: "LEFT JOIN categories pc ON pc.id = c.parent_id",
    cols: "c.id, c.name, c.parent_id, pc.name AS parent_name, c.post_count, c.created_at",
    base: "1 = 1",
    date_col: "c.created_at",
    order: |key| match key {
        "name" => &["c.name_key", "c.id"],
        "posts" => &["c.post_count", "c.id"],
        "created_at" => &["c.created_at", "c.id"],
        _ => &["c.id"],
    },
    filter: |s, q, _| match q.filter("top_level") {
        Some("yes") => s.push_sql(" AND c.parent_id IS NULL"),
        Some("no") => s.push_sql(" AND c.parent_id IS NOT NULL"),
        _ => {}
    },
    search: |s, k| s.push_bind(" AND c.name_key LIKE ? ESCAPE '!'", like_contains(&k)),
    row: category_row,
};

fn category_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
    let id: i64 = col(r, "id")?;
    Ok(Row {
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
    })
}

const LOGINS: Source = Source {
    table: "login_history l",
    id: Some("l.id"),
    joins: "JOIN users u ON u.id = l.user_id",
    cols: "l.id, l.user_id, u.name AS user_name, l.succeeded, l.ip, l.user_agent, l.created_at",
    base: "1 = 1",
    date_col: "l.created_at",
    order: |_| &["l.created_at", "l.id"],
    filter: |s, q, _| {
        if let Some(v) = q.filter("succeeded") {
            s.push_bind(" AND l.succeeded = ?", yes(v));
        }
    },
    search: |s, k| by_member(s, "l.user_id", k),
    row: login_row,
};

fn login_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
    let id: i64 = col(r, "id")?;
    let ok = col::<i64>(r, "succeeded")? != 0;
    Ok(Row {
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
    })
}

const SEMINARS: Source = Source {
    table: "seminars s",
    id: Some("s.id"),
    joins: "",
    cols: "s.id, s.name, s.capacity, s.participant_count, s.online, s.start_time, s.created_at",
    base: "1 = 1",
    date_col: "s.created_at",
    order: |key| match key {
        "name" => &["s.name_key", "s.id"],
        "capacity" => &["s.capacity", "s.id"],
        "participants" => &["s.participant_count", "s.id"],
        "created_at" => &["s.created_at", "s.id"],
        _ => &["s.id"],
    },
    filter: |s, q, _| {
        if let Some(v) = q.filter("online") {
            s.push_bind(" AND s.online = ?", yes(v));
        }
        match q.filter("capacity") {
            Some("30_or_more") => s.push_sql(" AND s.capacity >= 30"),
            Some("under_30") => s.push_sql(" AND s.capacity < 30"),
            _ => {}
        }
    },
    search: |s, k| s.push_bind(" AND s.name_key LIKE ? ESCAPE '!'", like_contains(&k)),
    row: seminar_row,
};

fn seminar_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
    let id: i64 = col(r, "id")?;
    Ok(Row {
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
    })
}

const ENROLMENTS: Source = Source {
    table: "seminar_members e",
    id: None,
    joins: "JOIN seminars s ON s.id = e.seminar_id JOIN users u ON u.id = e.user_id",
    cols: "e.seminar_id, s.name AS seminar_name, e.user_id, u.name AS user_name, e.role, e.is_active, \
           e.joined_at, e.dropped_at",
    base: "1 = 1",
    date_col: "e.joined_at",
    order: |_| &["e.joined_at", "e.seminar_id", "e.user_id"],
    filter: |s, q, _| {
        if let Some(id) = q.filter("seminar").and_then(|v| v.parse::<i64>().ok()) {
            s.push_bind(" AND e.seminar_id = ?", id);
        }
        if let Some(r) = q.filter("member_role") {
            s.push_bind(" AND e.role = ?", r.to_owned());
        }
        if let Some(v) = q.filter("active") {
            s.push_bind(" AND e.is_active = ?", yes(v));
        }
    },
    search: |s, k| by_member(s, "e.user_id", k),
    row: enrolment_row,
};

fn enrolment_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
    let active = col::<i64>(r, "is_active")? != 0;
    Ok(Row {
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
    })
}

const AUDIT: Source = Source {
    table: "audit_log a",
    id: Some("a.id"),
    joins: "",
    cols: "a.id, a.actor_id, a.actor_name, a.object_type, a.object_id, a.object_repr, a.action, \
           a.changes, a.created_at",
    base: "1 = 1",
    date_col: "a.created_at",
    order: |_| &["a.id"],
    filter: |s, q, _| {
        if let Some(a) = q.filter("action") {
            s.push_bind(" AND a.action = ?", a.to_owned());
        }
        if let Some(t) = q.filter("object_type") {
            s.push_bind(" AND a.object_type = ?", t.to_owned());
        }
    },
    search: |s, k| by_member(s, "a.actor_id", k),
    row: audit_row,
};

fn audit_row(r: &AnyRow, _now: Timestamp) -> Result<Row> {
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
    Ok(Row {
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
    })
}
