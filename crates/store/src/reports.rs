//! Reports (신고), the report targets the console's queue lists, a moderator's decision
//! on them, and the public moderation log read from the audit log.
//!
//! Lock order, as everywhere a post's content changes: the post row first, then the
//! report target's row. Filing and deciding both take them so, so neither waits on
//! the other in a cycle.

use async_trait::async_trait;
use madang_domain::console::Resolution;
use madang_domain::listing::{KeyValue, Page, PageRequest};
use madang_domain::reports::{
    Filed, MODLOG_ACTIONS, ModlogEntry, NewReport, Outcome, Report, ReportEntry, ReportReason,
    ReportStore, ReportTarget, TargetKind,
};
use madang_domain::users::Role;
use madang_domain::{Error, Result, Timestamp};
use sqlx::any::AnyRow;

use crate::db::{Db, col, commit, count, push_page};

/// How many times a report is filed again when the engine ended it to break a lock
/// cycle with a concurrent write.
const ATTEMPTS: usize = 3;

const REPORT_COLS: &str = "r.id, t.target_type, t.target_id, t.post_id, r.reason, r.detail, \
                           r.outcome, r.created_at, r.resolved_at";

const TARGET_COLS: &str =
    "id, target_type, target_id, post_id, author_id, status, reporters, held, outcome, first_at";

fn kind_of(s: &str) -> Result<TargetKind> {
    TargetKind::parse(s).ok_or_else(|| Error::Internal(format!("report target {s}").into()))
}

fn outcome_of(r: &AnyRow) -> Result<Option<Outcome>> {
    Ok(col::<Option<String>>(r, "outcome")?
        .as_deref()
        .and_then(Outcome::parse))
}

fn reason_of(r: &AnyRow) -> Result<ReportReason> {
    let s: String = col(r, "reason")?;
    ReportReason::parse(&s).ok_or_else(|| Error::Internal(format!("report reason {s}").into()))
}

fn report_from_row(r: &AnyRow) -> Result<Report> {
    Ok(Report {
        id: col(r, "id")?,
        kind: kind_of(&col::<String>(r, "target_type")?)?,
        target_id: col(r, "target_id")?,
        post_id: col(r, "post_id")?,
        reason: reason_of(r)?,
        detail: col(r, "detail")?,
        outcome: outcome_of(r)?,
        created_at: Timestamp(col(r, "created_at")?),
        resolved_at: col::<Option<i64>>(r, "resolved_at")?.map(Timestamp),
    })
}

fn target_from_row(r: &AnyRow) -> Result<ReportTarget> {
    Ok(ReportTarget {
        id: col(r, "id")?,
        kind: kind_of(&col::<String>(r, "target_type")?)?,
        target_id: col(r, "target_id")?,
        post_id: col(r, "post_id")?,
        author_id: col(r, "author_id")?,
        reporters: col(r, "reporters")?,
        held: col::<i64>(r, "held")? != 0,
        outcome: match col::<String>(r, "status")?.as_str() {
            "open" => None,
            _ => outcome_of(r)?,
        },
        first_at: Timestamp(col(r, "first_at")?),
    })
}

/// The per-reason counter of a reason.
fn reason_col(r: ReportReason) -> &'static str {
    match r {
        ReportReason::Spam => "n_spam",
        ReportReason::Abuse => "n_abuse",
        ReportReason::Illegal => "n_illegal",
        ReportReason::Other => "n_other",
    }
}

impl Db {
    /// Locks the content's post and answers (post id, author) while the content is
    /// live; `None` when it is missing or deleted.
    async fn lock_content(
        &self,
        tx: &mut sqlx::AnyConnection,
        kind: TargetKind,
        id: i64,
    ) -> Result<Option<(i64, Option<i64>)>> {
        let lock = format!(
            "SELECT id, author_id FROM posts WHERE id = ? AND deleted_at IS NULL{}",
            self.for_update()
        );
        match kind {
            TargetKind::Post => {
                let row = self.stmt(&lock).bind(id).fetch_optional(&mut *tx).await?;
                row.map(|r| Ok((id, col(&r, "author_id")?))).transpose()
            }
            TargetKind::Comment => {
                let Some(c) = self
                    .stmt("SELECT post_id, author_id FROM comments WHERE id = ? AND deleted_at IS NULL")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    return Ok(None);
                };
                let post_id: i64 = col(&c, "post_id")?;
                let live = self
                    .stmt(&lock)
                    .bind(post_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                live.map(|_| Ok((post_id, col(&c, "author_id")?)))
                    .transpose()
            }
        }
    }

    /// Hides (`Some`) or brings back (`None`) a report target's content, as a deletion
    /// or a restore does; `false` when it was so already.
    async fn set_content_deleted_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        kind: TargetKind,
        id: i64,
        post_id: i64,
        deleted: Option<Timestamp>,
    ) -> Result<bool> {
        match kind {
            TargetKind::Post => self.set_post_deleted_in(tx, id, deleted).await,
            TargetKind::Comment => self.set_comment_deleted_in(tx, id, post_id, deleted).await,
        }
    }

    async fn file_once(&self, new: &NewReport) -> Result<Filed> {
        let now = new.now.millis();
        let kind = new.kind.as_str();
        let mut tx = self.begin().await?;
        let Some((post_id, author_id)) =
            self.lock_content(&mut tx, new.kind, new.target_id).await?
        else {
            return Ok(Filed::Missing);
        };
        if author_id == Some(new.reporter_id) {
            return Ok(Filed::OwnContent);
        }
        let sql = self.insert_ignore(
            "report_targets (target_type, target_id, post_id, author_id, status, first_at, last_at) \
             VALUES (?, ?, ?, ?, 'open', ?, ?)",
        );
        self.stmt(&sql)
            .bind(kind.to_owned())
            .bind(new.target_id)
            .bind(post_id)
            .bind(author_id)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let sql = format!(
            "SELECT {TARGET_COLS} FROM report_targets WHERE target_type = ? AND target_id = ?{}",
            self.for_update()
        );
        let row = self
            .stmt(&sql)
            .bind(kind.to_owned())
            .bind(new.target_id)
            .fetch_one(&mut *tx)
            .await?;
        let target = target_from_row(&row)?;
        if target.outcome.is_none() {
            let mine = format!(
                "SELECT {REPORT_COLS} FROM reports r JOIN report_targets t ON t.id = r.target_ref \
                 WHERE r.target_ref = ? AND r.reporter_id = ? AND r.open_flag = 1"
            );
            if let Some(r) = self
                .stmt(&mine)
                .bind(target.id)
                .bind(new.reporter_id)
                .fetch_optional(&mut *tx)
                .await?
            {
                return Ok(Filed::Report {
                    report: report_from_row(&r)?,
                    created: false,
                    held: false,
                });
            }
        } else {
            // Decided before: this report opens the target again, counted from nothing.
            self.stmt(
                "UPDATE report_targets SET status = 'open', reporters = 0, n_spam = 0, n_abuse = 0, \
                 n_illegal = 0, n_other = 0, held = 0, outcome = NULL, resolved_at = NULL, \
                 first_at = ?, author_id = ? WHERE id = ?",
            )
            .bind(now)
            .bind(author_id)
            .bind(target.id)
            .execute(&mut *tx)
            .await?;
        }
        let reporters = if target.outcome.is_none() {
            target.reporters + 1
        } else {
            1
        };
        let id = self
            .stmt(
                "INSERT INTO reports (target_ref, reporter_id, reason, detail, open_flag, created_at) \
                 VALUES (?, ?, ?, ?, 1, ?)",
            )
            .bind(target.id)
            .bind(new.reporter_id)
            .bind(new.reason.as_str().to_owned())
            .bind(new.detail.clone())
            .bind(now)
            .insert_id(&mut *tx)
            .await?;
        // The content is live (held content reads as missing above), so this report
        // holds it when it is the threshold's.
        let hold = reporters >= i64::from(new.hold_at)
            && self
                .set_content_deleted_in(&mut tx, new.kind, new.target_id, post_id, Some(new.now))
                .await?;
        let column = reason_col(new.reason);
        self.stmt(&format!(
            "UPDATE report_targets SET reporters = ?, {column} = {column} + 1, last_at = ?{} WHERE id = ?",
            if hold { ", held = 1" } else { "" }
        ))
        .bind(reporters)
        .bind(now)
        .bind(target.id)
        .execute(&mut *tx)
        .await?;
        commit(tx).await?;
        Ok(Filed::Report {
            report: Report {
                id,
                kind: new.kind,
                target_id: new.target_id,
                post_id,
                reason: new.reason,
                detail: new.detail.clone(),
                outcome: None,
                created_at: new.now,
                resolved_at: None,
            },
            created: true,
            held: hold,
        })
    }

    /// Applies a decision on a report target in the caller's transaction: `false`
    /// when its reports are resolved already (a race with another moderator).
    pub(crate) async fn resolve_reports_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        r: &Resolution,
        now: Timestamp,
    ) -> Result<bool> {
        let lock = format!("SELECT id FROM posts WHERE id = ?{}", self.for_update());
        self.stmt(&lock)
            .bind(r.post_id)
            .fetch_optional(&mut *tx)
            .await?;
        let sql = format!(
            "SELECT {TARGET_COLS} FROM report_targets WHERE id = ?{}",
            self.for_update()
        );
        let Some(row) = self
            .stmt(&sql)
            .bind(r.target)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(false);
        };
        let target = target_from_row(&row)?;
        if target.outcome.is_some() {
            return Ok(false);
        }
        if r.outcome.removes() {
            self.set_content_deleted_in(tx, r.kind, r.content_id, r.post_id, Some(now))
                .await?;
        } else if r.restore && target.held {
            self.set_content_deleted_in(tx, r.kind, r.content_id, r.post_id, None)
                .await?;
        }
        if let Some(a) = &r.author {
            self.set_state_in(tx, a.user_id, &a.to, now).await?;
        }
        self.stmt(
            "UPDATE reports SET open_flag = NULL, outcome = ?, resolved_at = ? \
             WHERE target_ref = ? AND open_flag = 1",
        )
        .bind(r.outcome.as_str().to_owned())
        .bind(now.millis())
        .bind(r.target)
        .execute(&mut *tx)
        .await?;
        self.stmt(
            "UPDATE report_targets SET status = 'resolved', outcome = ?, held = 0, resolved_at = ? \
             WHERE id = ?",
        )
        .bind(r.outcome.as_str().to_owned())
        .bind(now.millis())
        .bind(r.target)
        .execute(&mut *tx)
        .await?;
        Ok(true)
    }
}

#[async_trait]
impl ReportStore for Db {
    async fn file_report(&self, new: &NewReport) -> Result<Filed> {
        let mut attempt = 1;
        loop {
            match self.file_once(new).await {
                Err(e) if attempt < ATTEMPTS && crate::db::is_lock_conflict(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    async fn reports_of(&self, reporter_id: i64, page: &PageRequest) -> Result<Page<Report>> {
        let mut conn = self.rd().await?;
        let mut s = self.stmt(&format!(
            "SELECT {REPORT_COLS} FROM reports r JOIN report_targets t ON t.id = r.target_ref"
        ));
        s.push_bind(" WHERE r.reporter_id = ?", reporter_id);
        push_page(&mut s, "r.created_at", "r.id", true, page);
        let rows = s.fetch_all(&mut *conn).await?;
        let items = rows
            .iter()
            .map(report_from_row)
            .collect::<Result<Vec<_>>>()?;
        let total = count(
            self.stmt("SELECT COUNT(*) AS n FROM reports WHERE reporter_id = ?")
                .bind(reporter_id),
            &mut *conn,
        )
        .await?;
        Ok(Page::from_rows(
            items,
            page,
            "reports.new",
            total,
            false,
            |r| (KeyValue::Int(r.created_at.millis()), r.id),
        ))
    }

    async fn report_target(&self, id: i64) -> Result<Option<ReportTarget>> {
        let sql = format!("SELECT {TARGET_COLS} FROM report_targets WHERE id = ?");
        let row = self
            .stmt(&sql)
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        row.as_ref().map(target_from_row).transpose()
    }

    async fn target_reports(&self, id: i64, limit: u32) -> Result<Vec<ReportEntry>> {
        let sql = format!(
            "SELECT r.id, r.reporter_id, u.name AS reporter_name, r.reason, r.detail, r.outcome, \
             r.created_at FROM reports r LEFT JOIN users u ON u.id = r.reporter_id \
             WHERE r.target_ref = ? ORDER BY r.id DESC LIMIT {limit}"
        );
        let rows = self
            .stmt(&sql)
            .bind(id)
            .fetch_all(&mut *self.rd().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportEntry {
                    id: col(r, "id")?,
                    reporter_id: col(r, "reporter_id")?,
                    reporter_name: col::<Option<String>>(r, "reporter_name")?.unwrap_or_default(),
                    reason: reason_of(r)?,
                    detail: col(r, "detail")?,
                    outcome: outcome_of(r)?,
                    created_at: Timestamp(col(r, "created_at")?),
                })
            })
            .collect()
    }

    async fn removals_of(&self, author_id: i64) -> Result<i64> {
        count(
            self.stmt(
                "SELECT COUNT(*) AS n FROM report_targets WHERE author_id = ? \
                 AND outcome IN ('removed', 'suspended', 'banned')",
            )
            .bind(author_id),
            &mut *self.rd().await?,
        )
        .await
    }

    async fn modlog(&self, page: &PageRequest) -> Result<Page<ModlogEntry>> {
        let mut conn = self.rd().await?;
        let actions = MODLOG_ACTIONS
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = format!(
            " WHERE a.action IN ({actions}) AND a.object_type IN ('post', 'comment', 'user')"
        );
        let mut s = self.stmt(&format!(
            "SELECT a.id, a.action, a.object_type, a.object_id, a.changes, a.actor_role, a.created_at \
             FROM audit_log a{filter}"
        ));
        push_page(&mut s, "a.id", "a.id", true, page);
        let rows = s.fetch_all(&mut *conn).await?;
        let items = rows
            .iter()
            .map(|r| {
                let changes =
                    madang_domain::console::FieldChange::decode(&col::<String>(r, "changes")?);
                Ok(ModlogEntry {
                    id: col(r, "id")?,
                    action: col(r, "action")?,
                    object_type: col(r, "object_type")?,
                    object_id: col(r, "object_id")?,
                    reason: madang_domain::console::FieldChange::reason(&changes),
                    moderator_role: col::<Option<String>>(r, "actor_role")?
                        .as_deref()
                        .and_then(Role::parse),
                    at: Timestamp(col(r, "created_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let total = count(
            self.stmt(&format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM audit_log a{filter} LIMIT 10001) c"
            )),
            &mut *conn,
        )
        .await?;
        Ok(Page::from_rows(
            items,
            page,
            "modlog.new",
            total.min(10_000),
            total > 10_000,
            |e| (KeyValue::Int(e.id), e.id),
        ))
    }
}
