//! The database's side of the search index: the change log that every write touching a
//! post's indexed state appends to in its own transaction, and the reads an index is
//! built and kept in step from.

use async_trait::async_trait;
use madang_domain::search::{Change, FeedHead, SearchDoc, SearchFeed};
use madang_domain::{Result, Timestamp};
use sqlx::any::AnyRow;

use crate::db::{Db, col, commit, count, like_contains};

/// Columns of a [`SearchDoc`], read from `posts p`.
const DOC_COLUMNS: &str = "p.id, p.category_id, p.author_id, p.title, p.content, p.created_at, \
                           p.vote_count, p.sentiment_label";

fn doc_from_row(r: &AnyRow) -> Result<SearchDoc> {
    Ok(SearchDoc {
        id: col(r, "id")?,
        category_id: col(r, "category_id")?,
        author_id: col(r, "author_id")?,
        title: col(r, "title")?,
        content: col(r, "content")?,
        created_at: Timestamp(col(r, "created_at")?),
        vote_count: col(r, "vote_count")?,
        sentiment: col(r, "sentiment_label")?,
    })
}

impl Db {
    /// Logs that post `id` changed, in the caller's transaction: committed with the
    /// write, or not at all. `changed_at` is this node's wall clock: it only decides
    /// when the row is old enough to purge, never an order.
    pub(crate) async fn note_search_change(
        &self,
        tx: &mut sqlx::AnyConnection,
        post_id: i64,
    ) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.stmt("INSERT INTO search_changes (post_id, changed_at) VALUES (?, ?)")
            .bind(post_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Drops the log's entries older than `before` and moves `purged_below` past them.
    pub(crate) async fn purge_search_log(&self, before: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let max = self.as_bigint("COALESCE(MAX(seq), 0)");
        let last = count(
            self.stmt(&format!(
                "SELECT {max} AS n FROM search_changes WHERE changed_at < ?"
            ))
            .bind(before.millis()),
            &mut *tx,
        )
        .await?;
        if last == 0 {
            return Ok(0);
        }
        let n = self
            .stmt("DELETE FROM search_changes WHERE seq <= ?")
            .bind(last)
            .execute(&mut *tx)
            .await?;
        self.stmt("UPDATE search_state SET purged_below = ? WHERE id = 1 AND purged_below <= ?")
            .bind(last + 1)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        commit(tx).await?;
        Ok(n)
    }
}

#[async_trait]
impl SearchFeed for Db {
    async fn search_head(&self) -> Result<FeedHead> {
        let mut conn = self.rd_lagging().await?;
        let state = self
            .stmt("SELECT generation, purged_below FROM search_state WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        let max = self.as_bigint("COALESCE(MAX(seq), 0)");
        let max_seq = count(
            self.stmt(&format!("SELECT {max} AS n FROM search_changes")),
            &mut *conn,
        )
        .await?;
        Ok(FeedHead {
            generation: col(&state, "generation")?,
            max_seq,
            purged_below: col(&state, "purged_below")?,
        })
    }

    async fn search_pending(
        &self,
        after: i64,
        also: &[i64],
        limit: u32,
    ) -> Result<(i64, Vec<Change>)> {
        // The state row rides along as `seq` 0 (the log's numbers start at 1).
        let mut s = self.stmt(
            "SELECT 0 AS seq, generation AS post_id FROM search_state WHERE id = 1 \
             UNION ALL SELECT seq, post_id FROM (SELECT seq, post_id FROM search_changes WHERE seq > ?",
        );
        s.args_add(after);
        if !also.is_empty() {
            s.push_sql(" OR seq IN ");
            s.push_in_list(also);
        }
        s.push_bind(" ORDER BY seq LIMIT ?) c", i64::from(limit));
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        let mut generation = 0;
        let mut changes = Vec::with_capacity(rows.len());
        for r in &rows {
            let (seq, id): (i64, i64) = (col(r, "seq")?, col(r, "post_id")?);
            if seq == 0 {
                generation = id;
            } else {
                changes.push(Change { seq, post_id: id });
            }
        }
        changes.sort_unstable_by_key(|c| c.seq);
        Ok((generation, changes))
    }

    async fn search_changes(&self, after: i64, also: &[i64], limit: u32) -> Result<Vec<Change>> {
        let mut s = self.stmt("SELECT seq, post_id FROM search_changes WHERE seq > ?");
        s.args_add(after);
        if !also.is_empty() {
            s.push_sql(" OR seq IN ");
            s.push_in_list(also);
        }
        s.push_bind(" ORDER BY seq LIMIT ?", i64::from(limit));
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    seq: col(r, "seq")?,
                    post_id: col(r, "post_id")?,
                })
            })
            .collect()
    }

    async fn search_docs(&self, ids: &[i64]) -> Result<Vec<SearchDoc>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = self.stmt(&format!(
            "SELECT {DOC_COLUMNS} FROM posts p WHERE p.deleted_at IS NULL AND p.id IN "
        ));
        s.push_in_list(ids);
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        rows.iter().map(doc_from_row).collect()
    }

    async fn search_docs_after(&self, after_id: i64, limit: u32) -> Result<Vec<SearchDoc>> {
        let rows = self
            .stmt(&format!(
                "SELECT {DOC_COLUMNS} FROM posts p WHERE p.id > ? AND p.deleted_at IS NULL \
                 ORDER BY p.id LIMIT ?"
            ))
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.rd_lagging().await?)
            .await?;
        rows.iter().map(doc_from_row).collect()
    }

    async fn active_posts(&self) -> Result<i64> {
        let sum = self.as_bigint("COALESCE(SUM(post_count), 0)");
        count(
            self.stmt(&format!("SELECT {sum} AS n FROM categories")),
            &mut *self.rd_lagging().await?,
        )
        .await
    }

    async fn authors_matching(&self, term: &str, limit: u32) -> Result<Vec<i64>> {
        let rows = self
            .stmt("SELECT id FROM users WHERE name_key LIKE ? ESCAPE '!' LIMIT ?")
            .bind(like_contains(term))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.rd_lagging().await?)
            .await?;
        rows.iter().map(|r| col(r, "id")).collect()
    }
}
