//! What a Korean board adds to its posts: pinned notices, bookmarks and the batched
//! view counter.

use async_trait::async_trait;
use madang_domain::console::AuditRecord;
use madang_domain::listing::{KeyValue, Page, PageRequest};
use madang_domain::ports::{BookmarkStore, PinOutcome, PinStore};
use madang_domain::posts::{Bookmark, PINS_PER_SCOPE, PinScope, PostSummary};
use madang_domain::views::{Added, ViewStore};
use madang_domain::{Result, Timestamp};

use crate::db::{Db, DbError, col, commit, count, push_page};
use crate::posts::{summary_from_row, summary_select};

/// How many times a pin is tried again when a concurrent pin took its slot.
const PIN_ATTEMPTS: usize = 3;

impl Db {
    async fn pin_once(
        &self,
        post_id: i64,
        scope: PinScope,
        audit: &AuditRecord,
    ) -> Result<Result<PinOutcome, DbError>> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "SELECT category_id FROM posts WHERE id = ? AND deleted_at IS NULL{}",
            self.for_update()
        );
        let Some(post) = self
            .stmt(&sql)
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(Ok(PinOutcome::Missing));
        };
        let category: i64 = col(&post, "category_id")?;
        let current = self
            .stmt("SELECT scope FROM post_pins WHERE post_id = ?")
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = current {
            if col::<String>(&row, "scope")? == scope.as_str() {
                return Ok(Ok(PinOutcome::Unchanged));
            }
            self.stmt("DELETE FROM post_pins WHERE post_id = ?")
                .bind(post_id)
                .execute(&mut *tx)
                .await?;
        }
        let key = match scope {
            PinScope::Site => "site".to_owned(),
            PinScope::Board => format!("board:{category}"),
        };
        let taken = self
            .stmt("SELECT slot FROM post_pins WHERE scope_key = ?")
            .bind(key.clone())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| col::<i64>(r, "slot"))
            .collect::<Result<Vec<_>>>()?;
        let Some(slot) = (1..=PINS_PER_SCOPE as i64).find(|s| !taken.contains(s)) else {
            return Ok(Ok(PinOutcome::Full));
        };
        // The unique (scope_key, slot) index settles two pins racing for the last slot.
        if let Err(e) = self
            .stmt(
                "INSERT INTO post_pins (post_id, scope, scope_key, category_id, slot, pinned_by, pinned_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(post_id)
            .bind(scope.as_str().to_owned())
            .bind(key)
            .bind(category)
            .bind(slot)
            .bind(audit.actor_id)
            .bind(audit.at.millis())
            .execute(&mut *tx)
            .await
        {
            return Ok(Err(e));
        }
        self.insert_audit(&mut tx, audit).await?;
        commit(tx).await?;
        Ok(Ok(PinOutcome::Pinned))
    }
}

#[async_trait]
impl PinStore for Db {
    async fn pin_post(
        &self,
        post_id: i64,
        scope: PinScope,
        audit: &AuditRecord,
    ) -> Result<PinOutcome> {
        let mut last = None;
        for _ in 0..PIN_ATTEMPTS {
            match self.pin_once(post_id, scope, audit).await? {
                Ok(outcome) => return Ok(outcome),
                Err(e) if e.is_unique("slot") || e.is_unique("post") => {
                    last = Some(e);
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Every attempt lost its slot to a concurrent pin: the scope is as good as full.
        tracing::debug!(error = ?last, "pin lost its slot {PIN_ATTEMPTS} times");
        Ok(PinOutcome::Full)
    }

    async fn unpin_post(&self, post_id: i64, audit: &AuditRecord) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = self
            .stmt("DELETE FROM post_pins WHERE post_id = ?")
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        if n > 0 {
            self.insert_audit(&mut tx, audit).await?;
        }
        commit(tx).await?;
        Ok(n > 0)
    }

    async fn pinned_posts(&self, board: Option<i64>) -> Result<Vec<PostSummary>> {
        let mut s = self.stmt(&summary_select(
            "",
            "post_pins pp JOIN posts p ON p.id = pp.post_id",
        ));
        s.push_sql(" WHERE p.deleted_at IS NULL AND (pp.scope_key = 'site'");
        if let Some(b) = board {
            s.push_bind(" OR pp.scope_key = ?", format!("board:{b}"));
        }
        s.push_sql(") ORDER BY CASE WHEN pp.scope = 'site' THEN 0 ELSE 1 END, pp.pinned_at DESC, p.id DESC");
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        rows.iter().map(summary_from_row).collect()
    }
}

#[async_trait]
impl BookmarkStore for Db {
    async fn set_bookmark(
        &self,
        user_id: i64,
        post_id: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let live = if on { " AND deleted_at IS NULL" } else { "" };
        let exists = self
            .stmt(&format!("SELECT id FROM posts WHERE id = ?{live}"))
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Ok(false);
        }
        // The primary key (user_id, post_id) keeps racing adds to one row.
        if on {
            let sql =
                self.insert_ignore("bookmarks (user_id, post_id, created_at) VALUES (?, ?, ?)");
            self.stmt(&sql)
                .bind(user_id)
                .bind(post_id)
                .bind(now.millis())
                .execute(&mut *tx)
                .await
        } else {
            self.stmt("DELETE FROM bookmarks WHERE user_id = ? AND post_id = ?")
                .bind(user_id)
                .bind(post_id)
                .execute(&mut *tx)
                .await
        }?;
        commit(tx).await?;
        Ok(true)
    }

    async fn bookmarked(&self, user_id: i64, post_id: i64) -> Result<bool> {
        let n = count(
            self.stmt("SELECT COUNT(*) AS n FROM bookmarks WHERE user_id = ? AND post_id = ?")
                .bind(user_id)
                .bind(post_id),
            &mut *self.rd_lagging().await?,
        )
        .await?;
        Ok(n > 0)
    }

    async fn bookmarks(&self, user_id: i64, page: &PageRequest) -> Result<Page<Bookmark>> {
        let mut conn = self.rd_lagging().await?;
        let mut s = self.stmt(&summary_select(
            ", b.created_at AS bookmarked_at",
            "bookmarks b JOIN posts p ON p.id = b.post_id",
        ));
        s.push_bind(" WHERE p.deleted_at IS NULL AND b.user_id = ?", user_id);
        push_page(&mut s, "b.created_at", "b.post_id", true, page);
        let rows = s.fetch_all(&mut *conn).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Bookmark {
                    post: summary_from_row(r)?,
                    bookmarked_at: Timestamp(col(r, "bookmarked_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let total = count(
            self.stmt(
                "SELECT COUNT(*) AS n FROM bookmarks b JOIN posts p ON p.id = b.post_id \
                 WHERE p.deleted_at IS NULL AND b.user_id = ?",
            )
            .bind(user_id),
            &mut *conn,
        )
        .await?;
        Ok(Page::from_rows(
            items,
            page,
            "bookmarks.new",
            total,
            false,
            |b| (KeyValue::Int(b.bookmarked_at.millis()), b.post.id),
        ))
    }
}

#[async_trait]
impl ViewStore for Db {
    /// One `UPDATE post_views SET view_count = view_count + ? WHERE post_id IN (…)` per number
    /// of views the batch's posts gained (nearly always one or two statements: most
    /// posts gain one view an interval), in one transaction. A `CASE id WHEN …` over
    /// the whole batch was the first form: one statement, but every row tests every
    /// branch, and at 500 posts a batch that made a flush of 24,000 posts on SQLite
    /// take 1.2 s. A failure before the commit leaves nothing applied; only a commit
    /// whose answer was lost is of unknown outcome.
    async fn add_views(&self, counts: &[(i64, i64)]) -> Added {
        if counts.is_empty() {
            return Added::Applied;
        }
        let mut by_gain: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
        for (id, n) in counts {
            by_gain.entry(*n).or_default().push(*id);
        }
        let Ok(mut tx) = self.begin().await else {
            return Added::NotApplied;
        };
        for (gain, ids) in &by_gain {
            let mut s = self.stmt("UPDATE post_views SET view_count = view_count + ");
            s.push_bind("?", *gain);
            s.push_sql(" WHERE post_id IN ");
            s.push_in_list(ids);
            if let Err(e) = s.execute(&mut *tx).await {
                tracing::warn!(error = %e, "a batch of view counts was not written; kept for the next flush");
                return Added::NotApplied;
            }
        }
        match tx.commit().await {
            Ok(()) => Added::Applied,
            Err(e) => {
                tracing::warn!(error = %e, "the commit of a batch of view counts failed; its views are dropped");
                Added::Unknown
            }
        }
    }
}
