//! Notifications, the kinds members turned off, and the events notification jobs read.

use async_trait::async_trait;
use madang_domain::listing::{KeyValue, Page, PageRequest};
use madang_domain::notifications::{
    CommentEvent, Kind, ModerationEvent, NewNotification, Notification, NotificationStore,
    PostEvent,
};
use madang_domain::users::AuthorRef;
use madang_domain::{Result, Timestamp};
use sqlx::any::AnyRow;

use crate::db::{Db, col, commit, count, push_page};
use crate::mentions::In;

const NOTIFICATION_SELECT: &str = "SELECT n.id, n.kind, n.actor_id, u.name AS actor_name, n.post_id, \
     n.comment_id, n.reason, n.read_at, n.created_at FROM notifications n \
     LEFT JOIN users u ON u.id = n.actor_id AND u.deleted_at IS NULL";

fn notification_from_row(r: &AnyRow) -> Result<Option<Notification>> {
    let Some(kind) = Kind::parse(&col::<String>(r, "kind")?) else {
        // A kind a later version wrote: not shown by this one.
        return Ok(None);
    };
    let actor = match (
        col::<Option<i64>>(r, "actor_id")?,
        col::<Option<String>>(r, "actor_name")?,
    ) {
        (Some(id), Some(name)) => Some(AuthorRef { id, name }),
        _ => None,
    };
    Ok(Some(Notification {
        id: col(r, "id")?,
        kind,
        actor,
        post_id: col(r, "post_id")?,
        comment_id: col(r, "comment_id")?,
        reason: col(r, "reason")?,
        read: col::<Option<i64>>(r, "read_at")?.is_some(),
        created_at: Timestamp(col(r, "created_at")?),
    }))
}

#[async_trait]
impl NotificationStore for Db {
    async fn post_event(&self, post_id: i64) -> Result<Option<PostEvent>> {
        let mut conn = self.rd().await?;
        let Some(r) = self
            .stmt("SELECT author_id, deleted_at, updated_at FROM posts WHERE id = ?")
            .bind(post_id)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(PostEvent {
            post_id,
            author_id: col(&r, "author_id")?,
            mentioned: self.mentioned_ids(&mut conn, In::Post, post_id).await?,
            deleted: col::<Option<i64>>(&r, "deleted_at")?.is_some(),
            at: Timestamp(col(&r, "updated_at")?),
        }))
    }

    async fn comment_event(&self, comment_id: i64) -> Result<Option<CommentEvent>> {
        let mut conn = self.rd().await?;
        let row = self
            .stmt(
                "SELECT c.id, c.post_id, c.author_id, c.deleted_at, c.created_at, \
                 p.author_id AS post_author_id, p.deleted_at AS post_deleted_at, \
                 a.author_id AS answered_author_id \
                 FROM comments c JOIN posts p ON p.id = c.post_id \
                 LEFT JOIN comments a ON a.id = c.reply_to_id WHERE c.id = ?",
            )
            .bind(comment_id)
            .fetch_optional(&mut *conn)
            .await?;
        let mentioned = self
            .mentioned_ids(&mut conn, In::Comment, comment_id)
            .await?;
        row.map(|r| {
            Ok(CommentEvent {
                comment_id: col(&r, "id")?,
                post_id: col(&r, "post_id")?,
                author_id: col(&r, "author_id")?,
                post_author_id: col(&r, "post_author_id")?,
                answered_author_id: col(&r, "answered_author_id")?,
                mentioned: mentioned.clone(),
                deleted: col::<Option<i64>>(&r, "deleted_at")?.is_some()
                    || col::<Option<i64>>(&r, "post_deleted_at")?.is_some(),
                at: Timestamp(col(&r, "created_at")?),
            })
        })
        .transpose()
    }

    async fn moderation_event(&self, audit_id: i64) -> Result<Option<ModerationEvent>> {
        let mut conn = self.rd().await?;
        let Some(a) = self
            .stmt("SELECT object_type, object_id, action, changes, created_at FROM audit_log WHERE id = ?")
            .bind(audit_id)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let (kind, object_id): (String, i64) = (col(&a, "object_type")?, col(&a, "object_id")?);
        let at = Timestamp(col(&a, "created_at")?);
        let content = match kind.as_str() {
            "post" => "SELECT id AS post_id, author_id, NULL AS comment_id FROM posts WHERE id = ?",
            "comment" => "SELECT post_id, author_id, id AS comment_id FROM comments WHERE id = ?",
            _ => return Ok(None),
        };
        let Some(c) = self
            .stmt(content)
            .bind(object_id)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let changes = madang_domain::console::FieldChange::decode(&col::<String>(&a, "changes")?);
        let reason = madang_domain::console::FieldChange::reason(&changes);
        // The reports this decision resolved: resolved in its transaction, at its time.
        let reports = self
            .stmt(
                "SELECT r.reporter_id, r.outcome FROM reports r \
                 JOIN report_targets t ON t.id = r.target_ref \
                 WHERE t.target_type = ? AND t.target_id = ? AND r.resolved_at = ? ORDER BY r.id",
            )
            .bind(kind.clone())
            .bind(object_id)
            .bind(at.millis())
            .fetch_all(&mut *conn)
            .await?;
        let outcome = match reports.first() {
            Some(r) => col::<Option<String>>(r, "outcome")?,
            None => None,
        };
        Ok(Some(ModerationEvent {
            audit_id,
            action: col(&a, "action")?,
            post_id: col(&c, "post_id")?,
            comment_id: col(&c, "comment_id")?,
            author_id: col(&c, "author_id")?,
            reason,
            reporters: reports
                .iter()
                .map(|r| col(r, "reporter_id"))
                .collect::<Result<Vec<i64>>>()?,
            outcome,
            at,
        }))
    }

    async fn muted(&self, users: &[i64]) -> Result<Vec<(i64, Kind)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = self.stmt("SELECT user_id, kind FROM notification_mutes WHERE user_id IN ");
        s.push_in_list(users);
        let rows = s.fetch_all(&mut *self.rd().await?).await?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(k) = Kind::parse(&col::<String>(&r, "kind")?) {
                out.push((col(&r, "user_id")?, k));
            }
        }
        Ok(out)
    }

    async fn deliver(&self, items: &[NewNotification]) -> Result<u64> {
        let mut tx = self.begin().await?;
        let sql = self.insert_ignore(
            "notifications (user_id, kind, source, actor_id, post_id, comment_id, reason, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        );
        let mut written = 0;
        for n in items {
            written += self
                .stmt(&sql)
                .bind(n.user_id)
                .bind(n.kind.as_str().to_owned())
                .bind(n.source.clone())
                .bind(n.actor_id)
                .bind(n.post_id)
                .bind(n.comment_id)
                .bind(n.reason.clone())
                .bind(n.at.millis())
                .execute(&mut *tx)
                .await?;
        }
        commit(tx).await?;
        Ok(written)
    }

    async fn notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        page: &PageRequest,
    ) -> Result<Page<Notification>> {
        let mut conn = self.rd().await?;
        let filter = if unread_only {
            " AND n.read_at IS NULL"
        } else {
            ""
        };
        let mut s = self.stmt(&format!(
            "{NOTIFICATION_SELECT} WHERE n.user_id = ?{filter}"
        ));
        s.args_add(user_id);
        push_page(&mut s, "n.created_at", "n.id", true, page);
        let rows = s.fetch_all(&mut *conn).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Some(n) = notification_from_row(r)? {
                items.push(n);
            }
        }
        let total = count(
            self.stmt(&format!(
                "SELECT COUNT(*) AS n FROM notifications n WHERE n.user_id = ?{filter}"
            ))
            .bind(user_id),
            &mut *conn,
        )
        .await?;
        Ok(Page::from_rows(
            items,
            page,
            "notifications.new",
            total,
            false,
            |n| (KeyValue::Int(n.created_at.millis()), n.id),
        ))
    }

    async fn notification(&self, user_id: i64, id: i64) -> Result<Option<Notification>> {
        let row = self
            .stmt(&format!(
                "{NOTIFICATION_SELECT} WHERE n.user_id = ? AND n.id = ?"
            ))
            .bind(user_id)
            .bind(id)
            .fetch_optional(&mut *self.wr().await?)
            .await?;
        match row {
            Some(r) => notification_from_row(&r),
            None => Ok(None),
        }
    }

    async fn unread_count(&self, user_id: i64) -> Result<i64> {
        count(
            self.stmt(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = ? AND read_at IS NULL",
            )
            .bind(user_id),
            &mut *self.wr().await?,
        )
        .await
    }

    async fn mark_read(&self, user_id: i64, id: i64, now: Timestamp) -> Result<bool> {
        let mut conn = self.wr().await?;
        // Racing reads of one notification: the first sets the time, the rest find it set.
        self.stmt(
            "UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
        )
        .bind(now.millis())
        .bind(id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
        let n = count(
            self.stmt("SELECT COUNT(*) AS n FROM notifications WHERE id = ? AND user_id = ?")
                .bind(id)
                .bind(user_id),
            &mut *conn,
        )
        .await?;
        Ok(n > 0)
    }

    async fn mark_all_read(&self, user_id: i64, now: Timestamp) -> Result<u64> {
        self.stmt("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL")
            .bind(now.millis())
            .bind(user_id)
            .execute(&mut *self.wr().await?)
            .await
            .map_err(Into::into)
    }

    async fn set_muted(&self, user_id: i64, kind: Kind, muted: bool) -> Result<()> {
        let mut conn = self.wr().await?;
        if muted {
            let sql = self.insert_ignore("notification_mutes (user_id, kind) VALUES (?, ?)");
            self.stmt(&sql)
                .bind(user_id)
                .bind(kind.as_str().to_owned())
                .execute(&mut *conn)
                .await?;
        } else {
            self.stmt("DELETE FROM notification_mutes WHERE user_id = ? AND kind = ?")
                .bind(user_id)
                .bind(kind.as_str().to_owned())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
