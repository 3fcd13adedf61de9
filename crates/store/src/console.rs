//! The staff console's storage: its sessions, its bounded lists, and writes that carry
//! their audit entry in the same transaction.
//!
//! Every list is one page (`LIMIT`/`OFFSET` over an index order) and a total counted
//! over at most `COUNT_CAP + 1` rows, so no console page scans a large table.

use async_trait::async_trait;
use madang_domain::comments::Comment;
use madang_domain::console::{
    Applied, AuditEntry, AuditRecord, COUNT_CAP, Cell, CommentRecord, ConsoleStore, FieldChange,
    ListQuery, Listing, Model, Row, StaffChange, Total,
};
use madang_domain::posts::Sentiment;
use madang_domain::seminars::{UpdateOutcome, below_participants};
use madang_domain::users::{AuthorRef, User};
use madang_domain::{Error, Result, Timestamp};
use sqlx::any::AnyRow;

use crate::cookie_sessions::{CookieTable, NewCookieSession};
use crate::db::{Db, Stmt, col, count, like_contains, map_err};
use crate::users::{USER_COLS, user_from_row};

/// What a model's list reads: its tables, columns, and how its filters, search and
/// sorts translate.
struct Source {
    /// The model's table and its alias.
    table: &'static str,
    /// Its id column, when one column identifies a row (enrolments are keyed by
    /// seminar and member).
    id: Option<&'static str>,
    /// The tables joined to it for the list's columns.
    joins: &'static str,
    cols: &'static str,
    /// Always applied (erased users are not listed).
    base: &'static str,
    /// The creation-time column the date drill-down filters.
    date_col: &'static str,
}

fn source(model: Model) -> Result<Source> {
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
            joins: "JOIN categories c ON c.id = p.category_id LEFT JOIN users u ON u.id = p.author_id",
            cols: "p.id, p.title, p.category_id, c.name AS category_name, p.author_id, u.name AS author_name, \
                   p.deleted_at, p.sentiment_label, p.vote_count, p.comment_count, p.created_at",
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
fn order_by(model: Model, key: &str, desc: bool) -> String {
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

fn yes(v: &str) -> i64 {
    i64::from(v == "yes")
}

/// Appends the WHERE clause of a list request: its date range and filters, and its
/// search when `with_search`.
fn push_where(s: &mut Stmt, src: &Source, q: &ListQuery, now: Timestamp, with_search: bool) {
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
fn push_search(s: &mut Stmt, q: &ListQuery) {
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

fn push_status_and_sentiment(s: &mut Stmt, q: &ListQuery, t: &str) {
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

fn text(row: &AnyRow, name: &str) -> Result<Cell> {
    Ok(col::<Option<String>>(row, name)?.map_or(Cell::Empty, Cell::Text))
}

fn time(row: &AnyRow, name: &str) -> Result<Cell> {
    Ok(col::<Option<i64>>(row, name)?.map_or(Cell::Empty, |t| Cell::Time(Timestamp(t))))
}

fn link(row: &AnyRow, model: Model, id: &str, name: &str) -> Result<Cell> {
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

fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

fn status_and_sentiment(row: &AnyRow) -> Result<(bool, Cell, Cell)> {
    let deleted = col::<Option<i64>>(row, "deleted_at")?.is_some();
    let status = Cell::Tag(if deleted { "deleted" } else { "active" }.to_owned());
    let sentiment = col::<Option<String>>(row, "sentiment_label")?.map_or(Cell::Empty, Cell::Tag);
    Ok((deleted, status, sentiment))
}

/// The cells of a row, in the spec's column order.
fn row_of(model: Model, r: &AnyRow, now: Timestamp) -> Result<Row> {
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

fn audit_from_row(r: &AnyRow) -> Result<AuditEntry> {
    let changes: String = col(r, "changes")?;
    Ok(AuditEntry {
        id: col(r, "id")?,
        actor_id: col(r, "actor_id")?,
        actor_name: col(r, "actor_name")?,
        object_type: col(r, "object_type")?,
        object_id: col(r, "object_id")?,
        object_repr: col(r, "object_repr")?,
        action: col(r, "action")?,
        changes: FieldChange::decode(&changes),
        at: Timestamp(col(r, "created_at")?),
    })
}

const AUDIT_COLS: &str =
    "id, actor_id, actor_name, object_type, object_id, object_repr, action, changes, created_at";

impl Db {
    /// A list's total, counted over at most `COUNT_CAP + 1` rows of its own table
    /// (filters and searches name no joined table).
    async fn capped_count(
        &self,
        conn: &mut sqlx::AnyConnection,
        src: &Source,
        q: &ListQuery,
        now: Timestamp,
    ) -> Result<u64> {
        let mut count_q = self.stmt(&format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM {}",
            src.table
        ));
        push_where(&mut count_q, src, q, now, true);
        count_q.push_sql(&format!(" LIMIT {}) t", COUNT_CAP + 1));
        Ok(u64::try_from(count(count_q, &mut *conn).await?).unwrap_or(0))
    }

    async fn insert_audit(&self, tx: &mut sqlx::AnyConnection, a: &AuditRecord) -> Result<()> {
        let changes = FieldChange::encode(&a.changes);
        self.stmt(
            "INSERT INTO audit_log (actor_id, actor_name, object_type, object_id, object_repr, action, changes, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.actor_id)
        .bind(a.actor_name.clone())
        .bind(a.object_type.to_owned())
        .bind(a.object_id)
        .bind(a.object_repr.clone())
        .bind(a.action.to_owned())
        .bind(changes)
        .bind(a.at.millis())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn user_in(&self, tx: &mut sqlx::AnyConnection, id: i64) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users u WHERE u.id = ? AND u.deleted_at IS NULL{}",
            self.for_update()
        );
        let row = self
            .stmt(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        row.as_ref().map(user_from_row).transpose()
    }
}

#[async_trait]
impl ConsoleStore for Db {
    async fn open_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<i64> {
        let new = NewCookieSession {
            user_id,
            token_hash,
            csrf,
            expires,
            now,
        };
        self.open_cookie_session(CookieTable::Console, &new).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, User, String)>> {
        self.cookie_session(CookieTable::Console, token_hash, now)
            .await
    }

    async fn close_session(&self, id: i64, now: Timestamp) -> Result<()> {
        self.close_cookie_session(CookieTable::Console, id, now)
            .await
    }

    async fn list(&self, q: &ListQuery, now: Timestamp) -> Result<Listing> {
        let src = source(q.model)?;
        let order = order_by(q.model, q.sort, q.descending);
        let page = format!(" LIMIT {} OFFSET {}", q.per_page, q.offset());
        let (table, joins, base) = (src.table, src.joins, src.base);
        let mut conn = self.rd_lagging().await?;
        let window = q.model.search_window().filter(|_| q.search.is_some());
        let (rows, total) = match (src.id, window) {
            // A bounded search: one read of the selection's first `window` rows gives
            // the matching ids in order, hence the exact total; the page's rows are
            // then read by id.
            (Some(id), Some(window)) => {
                let mut ids_q = self.stmt(&format!(
                    "SELECT {id} AS id FROM (SELECT {id} AS id FROM {table}"
                ));
                push_where(&mut ids_q, &src, q, now, false);
                ids_q.push_sql(&order);
                ids_q.push_sql(&format!(
                    " LIMIT {window}) w JOIN {table} ON {id} = w.id WHERE {base}"
                ));
                push_search(&mut ids_q, q);
                ids_q.push_sql(&order);
                let ids = ids_q
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(map_err)?
                    .iter()
                    .map(|r| col::<i64>(r, "id"))
                    .collect::<Result<Vec<_>>>()?;
                let shown: Vec<i64> = ids
                    .iter()
                    .skip(usize::try_from(q.offset()).unwrap_or(usize::MAX))
                    .take(q.per_page as usize)
                    .copied()
                    .collect();
                let mut rows_q = self.stmt(&format!(
                    "SELECT {} FROM {table} {joins} WHERE {id} IN ",
                    src.cols
                ));
                rows_q.push_in_list(&shown);
                rows_q.push_sql(&order);
                let rows = rows_q.fetch_all(&mut *conn).await.map_err(map_err)?;
                (rows, ids.len() as u64)
            }
            // A page is a deferred join: its ids from the sort's index alone, then only
            // those rows with their joins (page 200 would otherwise join 10,000 rows
            // to skip them).
            (Some(id), None) => {
                let mut rows_q = self.stmt(&format!(
                    "SELECT {} FROM (SELECT {id} AS k FROM {table}",
                    src.cols
                ));
                push_where(&mut rows_q, &src, q, now, true);
                rows_q.push_sql(&order);
                rows_q.push_sql(&page);
                rows_q.push_sql(&format!(") d JOIN {table} ON {id} = d.k {joins}"));
                rows_q.push_sql(&order);
                let rows = rows_q.fetch_all(&mut *conn).await.map_err(map_err)?;
                (rows, self.capped_count(&mut conn, &src, q, now).await?)
            }
            (None, _) => {
                let mut rows_q = self.stmt(&format!("SELECT {} FROM {table} {joins}", src.cols));
                push_where(&mut rows_q, &src, q, now, true);
                rows_q.push_sql(&order);
                rows_q.push_sql(&page);
                let rows = rows_q.fetch_all(&mut *conn).await.map_err(map_err)?;
                (rows, self.capped_count(&mut conn, &src, q, now).await?)
            }
        };
        Ok(Listing {
            rows: rows
                .iter()
                .map(|r| row_of(q.model, r, now))
                .collect::<Result<_>>()?,
            total: Total::from_capped(total),
        })
    }

    async fn span(&self, model: Model) -> Result<Option<(Timestamp, Timestamp)>> {
        let (table, column) = match model {
            Model::User => ("users", "created_at"),
            Model::Post => ("posts", "created_at"),
            Model::Comment => ("comments", "created_at"),
            Model::Login => ("login_history", "created_at"),
            Model::Seminar => ("seminars", "created_at"),
            Model::Enrolment => ("seminar_members", "joined_at"),
            Model::Audit => ("audit_log", "created_at"),
            Model::Category | Model::Job => return Ok(None),
        };
        // Two one-row reads of the two ends of an index on the column. A single
        // `SELECT MIN(c), MAX(c)` is one such read on MariaDB and PostgreSQL but a
        // scan of the whole index on SQLite (80 ms at a million posts, 400 ms at five
        // million comments); the audit log's time follows its id.
        let order = if model == Model::Audit { "id" } else { column };
        let end =
            |dir: &str| format!("(SELECT {column} FROM {table} ORDER BY {order} {dir} LIMIT 1)");
        let sql = format!("SELECT {} AS a, {} AS b", end("ASC"), end("DESC"));
        let row = self
            .stmt(&sql)
            .fetch_one(&mut *self.rd_lagging().await?)
            .await
            .map_err(map_err)?;
        let (a, b): (Option<i64>, Option<i64>) = (col(&row, "a")?, col(&row, "b")?);
        Ok(a.zip(b).map(|(a, b)| (Timestamp(a), Timestamp(b))))
    }

    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>> {
        let row = self
            .stmt(
                "SELECT m.id, m.post_id, m.author_id, u.name AS author_name, m.content, m.version, \
                 m.created_at, m.updated_at, m.vote_count, m.sentiment_label, m.sentiment_score, m.deleted_at \
                 FROM comments m LEFT JOIN users u ON u.id = m.author_id WHERE m.id = ?",
            )
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await
            .map_err(map_err)?;
        let Some(r) = row else { return Ok(None) };
        let author = match (
            col::<Option<i64>>(&r, "author_id")?,
            col::<Option<String>>(&r, "author_name")?,
        ) {
            (Some(id), Some(name)) => Some(AuthorRef { id, name }),
            _ => None,
        };
        let sentiment = match (
            col::<Option<String>>(&r, "sentiment_label")?,
            col::<Option<f64>>(&r, "sentiment_score")?,
        ) {
            (Some(label), Some(score)) => Some(Sentiment { label, score }),
            _ => None,
        };
        Ok(Some(CommentRecord {
            comment: Comment {
                id: col(&r, "id")?,
                post_id: col(&r, "post_id")?,
                author,
                content: col(&r, "content")?,
                version: col(&r, "version")?,
                created_at: Timestamp(col(&r, "created_at")?),
                updated_at: Timestamp(col(&r, "updated_at")?),
                vote_count: col(&r, "vote_count")?,
                sentiment,
            },
            deleted_at: col::<Option<i64>>(&r, "deleted_at")?.map(Timestamp),
        }))
    }

    async fn apply(&self, change: &StaffChange, audit: &AuditRecord) -> Result<Applied> {
        let mut tx = self.begin().await?;
        let now = audit.at;
        let applied = match change {
            StaffChange::DeletePost(id) => {
                self.set_post_deleted_in(&mut tx, *id, Some(now)).await?
            }
            StaffChange::RestorePost(id) => self.set_post_deleted_in(&mut tx, *id, None).await?,
            StaffChange::DeleteComment { id, post_id } => {
                self.set_comment_deleted_in(&mut tx, *id, *post_id, Some(now))
                    .await?
            }
            StaffChange::RestoreComment { id, post_id } => {
                self.set_comment_deleted_in(&mut tx, *id, *post_id, None)
                    .await?
            }
            StaffChange::SetState { user_id, state } => {
                // Under the row lock: a state already in force is not written again.
                let Some(u) = self.user_in(&mut tx, *user_id).await? else {
                    return Ok(Applied::Missing);
                };
                if u.state.at(now) == state {
                    false
                } else {
                    self.set_state_in(&mut tx, *user_id, state, now).await?;
                    true
                }
            }
            StaffChange::SetRole { user_id, role } => {
                let Some(u) = self.user_in(&mut tx, *user_id).await? else {
                    return Ok(Applied::Missing);
                };
                if u.role == *role {
                    false
                } else {
                    self.set_role_in(&mut tx, *user_id, *role, now).await?;
                    true
                }
            }
            StaffChange::RenameCategory { id, name } => {
                if !self.rename_category_in(&mut tx, *id, name).await? {
                    return Ok(Applied::Missing);
                }
                true
            }
            StaffChange::EditSeminar { id, change } => {
                let Some((_, participants)) = self.lock_seminar(&mut tx, *id).await? else {
                    return Ok(Applied::Missing);
                };
                match self
                    .change_locked_seminar_in(&mut tx, *id, participants, change, now)
                    .await?
                {
                    UpdateOutcome::BelowParticipants(n) => {
                        return Err(Error::Validation(vec![below_participants(n)]));
                    }
                    _ => true,
                }
            }
        };
        if !applied {
            return Ok(Applied::Unchanged);
        }
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Applied::Changed)
    }

    async fn history(
        &self,
        object_type: &str,
        object_id: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY id DESC LIMIT {limit}"
        );
        let rows = self
            .stmt(&sql)
            .bind(object_type.to_owned())
            .bind(object_id)
            .fetch_all(&mut *self.rd().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn recent(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!("SELECT {AUDIT_COLS} FROM audit_log ORDER BY id DESC LIMIT {limit}");
        let rows = self
            .stmt(&sql)
            .fetch_all(&mut *self.rd().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_from_row).collect()
    }
}
