//! The staff console's storage: its sessions, its bounded lists, and writes that carry
//! their audit entry in the same transaction.
//!
//! Every list is one page (`LIMIT`/`OFFSET` over an index order) and a total counted
//! over at most `COUNT_CAP + 1` rows, so no console page scans a large table.

mod lists;
mod sources;

use lists::*;
use sources::source;

use async_trait::async_trait;
use madang_domain::console::{
    Applied, AuditEntry, AuditRecord, COUNT_CAP, Cell, CommentRecord, FieldChange, ListQuery,
    Listing, Model, Row, StaffChange, Total,
};
use madang_domain::jobs::{NewJob, kinds};
use madang_domain::ports::{ConsoleStore, PinOutcome, PinStore};
use madang_domain::seminars::{UpdateOutcome, below_participants};
use madang_domain::users::User;
use madang_domain::{Error, Result, Timestamp};
use sqlx::any::AnyRow;

use crate::cookie_sessions::{CookieTable, NewCookieSession};
use crate::db::{Db, Stmt, col, commit, count, like_contains};
use crate::users::{USER_COLS, user_from_row};

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

    /// Writes an audit entry in `tx`, with its notification job when it asks for one.
    pub(crate) async fn insert_audit(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        a: &AuditRecord,
    ) -> Result<()> {
        let changes = FieldChange::encode(&a.changes);
        let id = self.stmt(
            "INSERT INTO audit_log (actor_id, actor_name, actor_role, object_type, object_id, object_repr, action, changes, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.actor_id)
        .bind(a.actor_name.clone())
        .bind(a.actor_role.as_str().to_owned())
        .bind(a.object_type.to_owned())
        .bind(a.object_id)
        .bind(a.object_repr.clone())
        .bind(a.action.to_owned())
        .bind(changes)
        .bind(a.at.millis())
        .insert_id(&mut **tx)
        .await?;
        if a.notify {
            let job = NewJob::about(kinds::NOTIFY_MODERATION, id, a.at);
            self.insert_outbox(tx, &job, a.at).await?;
        }
        Ok(())
    }

    async fn user_in(&self, tx: &mut sqlx::AnyConnection, id: i64) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users u WHERE u.id = ? AND u.deleted_at IS NULL{}",
            self.for_update()
        );
        let row = self.stmt(&sql).bind(id).fetch_optional(&mut *tx).await?;
        row.as_ref().map(user_from_row).transpose()
    }
}

impl Db {
    /// Writes one staff change inside `tx`: `Changed`, `Unchanged` when the object is
    /// so already, or `Missing`. The caller adds the audit entry of a change.
    async fn apply_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        change: &StaffChange,
        now: Timestamp,
    ) -> Result<Applied> {
        let changed = match change {
            StaffChange::DeletePost(id) => self.set_post_deleted_in(tx, *id, Some(now)).await?,
            StaffChange::RestorePost(id) => self.set_post_deleted_in(tx, *id, None).await?,
            StaffChange::DeleteComment { id, post_id } => {
                self.set_comment_deleted_in(tx, *id, *post_id, Some(now))
                    .await?
            }
            StaffChange::RestoreComment { id, post_id } => {
                self.set_comment_deleted_in(tx, *id, *post_id, None).await?
            }
            StaffChange::SetState { user_id, state } => {
                // Under the row lock: a state already in force is not written again.
                let Some(u) = self.user_in(tx, *user_id).await? else {
                    return Ok(Applied::Missing);
                };
                if u.state.at(now) == state {
                    false
                } else {
                    self.set_state_in(tx, *user_id, state, now).await?;
                    true
                }
            }
            StaffChange::SetRole { user_id, role } => {
                let Some(u) = self.user_in(tx, *user_id).await? else {
                    return Ok(Applied::Missing);
                };
                if u.role == *role {
                    false
                } else {
                    self.set_role_in(tx, *user_id, *role, now).await?;
                    true
                }
            }
            StaffChange::RenameCategory { id, name } => {
                if !self.rename_category_in(tx, *id, name).await? {
                    return Ok(Applied::Missing);
                }
                true
            }
            StaffChange::AddPrefix { board, name } => {
                self.add_prefix_in(tx, *board, name, now).await?;
                true
            }
            StaffChange::DeletePrefix { board, id } => {
                if !self.delete_prefix_in(tx, *board, *id).await? {
                    return Ok(Applied::Missing);
                }
                true
            }
            StaffChange::PinPost { .. } | StaffChange::UnpinPost { .. } => false,
            StaffChange::SetPrefixRequired { board, required } => {
                if !self.set_prefix_required_in(tx, *board, *required).await? {
                    return Ok(Applied::Missing);
                }
                true
            }
            StaffChange::ResolveReports(r) => self.resolve_reports_in(tx, r, now).await?,
            StaffChange::EditSeminar { id, change } => {
                let Some((_, participants)) = self.lock_seminar(tx, *id).await? else {
                    return Ok(Applied::Missing);
                };
                match self
                    .change_locked_seminar_in(tx, *id, participants, change, now)
                    .await?
                {
                    UpdateOutcome::BelowParticipants(n) => {
                        return Err(Error::Validation(vec![below_participants(n)]));
                    }
                    _ => true,
                }
            }
        };
        Ok(if changed {
            Applied::Changed
        } else {
            Applied::Unchanged
        })
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
        let order = src.order_by(q.sort, q.descending);
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
                push_where(&mut ids_q, src, q, now, false);
                ids_q.push_sql(&order);
                ids_q.push_sql(&format!(
                    " LIMIT {window}) w JOIN {table} ON {id} = w.id WHERE {base}"
                ));
                push_search(&mut ids_q, src, q);
                ids_q.push_sql(&order);
                let ids = ids_q
                    .fetch_all(&mut *conn)
                    .await?
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
                let rows = rows_q.fetch_all(&mut *conn).await?;
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
                push_where(&mut rows_q, src, q, now, true);
                rows_q.push_sql(&order);
                rows_q.push_sql(&page);
                rows_q.push_sql(&format!(") d JOIN {table} ON {id} = d.k {joins}"));
                rows_q.push_sql(&order);
                let rows = rows_q.fetch_all(&mut *conn).await?;
                (rows, self.capped_count(&mut conn, src, q, now).await?)
            }
            (None, _) => {
                let mut rows_q = self.stmt(&format!("SELECT {} FROM {table} {joins}", src.cols));
                push_where(&mut rows_q, src, q, now, true);
                rows_q.push_sql(&order);
                rows_q.push_sql(&page);
                let rows = rows_q.fetch_all(&mut *conn).await?;
                (rows, self.capped_count(&mut conn, src, q, now).await?)
            }
        };
        Ok(Listing {
            rows: rows
                .iter()
                .map(|r| (src.row)(r, now))
                .collect::<Result<_>>()?,
            total: Total::from_capped(total),
        })
    }

    async fn span(&self, model: Model) -> Result<Option<(Timestamp, Timestamp)>> {
        let src = match source(model) {
            Ok(src) if model.spec().dated => src,
            _ => return Ok(None),
        };
        let table = src.table_name();
        let column = src.date_col.split('.').nth(1).unwrap_or(src.date_col);
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
            .await?;
        let (a, b): (Option<i64>, Option<i64>) = (col(&row, "a")?, col(&row, "b")?);
        Ok(a.zip(b).map(|(a, b)| (Timestamp(a), Timestamp(b))))
    }

    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>> {
        let sql = format!(
            "SELECT {} FROM comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.id = ?",
            crate::comments::COMMENT_COLS
        );
        let row = self
            .stmt(&sql)
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(CommentRecord {
            comment: crate::comments::stored_comment_from_row(&r)?,
            deleted_at: col::<Option<i64>>(&r, "deleted_at")?.map(Timestamp),
        }))
    }

    async fn apply(&self, change: &StaffChange, audits: &[AuditRecord]) -> Result<Applied> {
        let Some(audit) = audits.first() else {
            return Err(Error::Internal(
                "a staff change without its audit entry".into(),
            ));
        };
        // Pins take their slot in a transaction of their own (retried when a racing pin
        // took it), with the audit entry: the pin store's, shared with the API.
        match change {
            StaffChange::PinPost { post_id, scope } => {
                return match self.pin_post(*post_id, *scope, audit).await? {
                    PinOutcome::Pinned => Ok(Applied::Changed),
                    PinOutcome::Unchanged => Ok(Applied::Unchanged),
                    PinOutcome::Missing => Ok(Applied::Missing),
                    PinOutcome::Full => Err(scope.full()),
                };
            }
            StaffChange::UnpinPost { post_id } => {
                return Ok(if self.unpin_post(*post_id, audit).await? {
                    Applied::Changed
                } else {
                    Applied::Unchanged
                });
            }
            _ => {}
        }
        let mut tx = self.begin().await?;
        let applied = self.apply_in(&mut tx, change, audit.at).await?;
        if applied != Applied::Changed {
            return Ok(applied);
        }
        for a in audits {
            self.insert_audit(&mut tx, a).await?;
        }
        commit(tx).await?;
        if audits.iter().any(|a| a.notify) {
            self.outbox_written();
        }
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
            .await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn recent(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!("SELECT {AUDIT_COLS} FROM audit_log ORDER BY id DESC LIMIT {limit}");
        let rows = self.stmt(&sql).fetch_all(&mut *self.rd().await?).await?;
        rows.iter().map(audit_from_row).collect()
    }
}
