//! What the scheduled maintenance jobs read and fix. Every statement touches one batch
//! (walked by key) or one row, never a whole table.

use async_trait::async_trait;
use madang_domain::Result;
use madang_domain::maintenance::{
    CategoryCounter, CommentCounters, DailyCounts, DailyStats, Day, HotRow, PostCounters,
    PostCounts,
};
use madang_domain::ports::MaintenanceStore;
use madang_domain::time::Timestamp;

use crate::db::{Db, Engine, col, commit, count};

/// A post's listed threads (`p.id` is the post): its live top-level comments and the
/// deleted ones that still have a live reply.
const THREADS: &str = "SELECT COUNT(*) AS n FROM comments t WHERE t.post_id = p.id AND t.parent_id IS NULL \
     AND (t.deleted_at IS NULL OR EXISTS \
     (SELECT 1 FROM comments r WHERE r.parent_id = t.id AND r.deleted_at IS NULL))";

impl Db {
    /// After a schema change on SQLite, analyses the whole database again if it was
    /// analysed before (by `madang seed`, or an operator): statistics that predate
    /// a new index let the planner weigh that index blind, and it may pick a
    /// two-value label's index over a category's — 390 ms instead of 3 ms for one
    /// console page at a million posts. A database never analysed is left to the
    /// planner's defaults. Answers whether it analysed.
    pub async fn analyse_after_schema_change(&self) -> Result<bool> {
        if self.engine() != Engine::Sqlite {
            return Ok(false);
        }
        let mut conn = self.wr().await?;
        let analysed = count(
            self.stmt("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'"),
            &mut *conn,
        )
        .await?;
        if analysed == 0 {
            return Ok(false);
        }
        self.stmt("ANALYZE").execute(&mut *conn).await?;
        Ok(true)
    }
}

#[async_trait]
impl MaintenanceStore for Db {
    async fn purge_search_changes(&self, before: Timestamp) -> Result<u64> {
        self.purge_search_log(before).await
    }

    async fn purge_ended_sessions(&self, before: Timestamp) -> Result<u64> {
        self.purge_ended_cookie_sessions(before).await
    }

    async fn hot_batch(&self, after: (Timestamp, i64), limit: u32) -> Result<Vec<HotRow>> {
        let rows = self
            .stmt(
                "SELECT id, vote_count, created_at, hot_rank FROM posts \
                 WHERE (created_at > ? OR (created_at = ? AND id > ?)) AND deleted_at IS NULL \
                 ORDER BY created_at, id LIMIT ?",
            )
            .bind(after.0.millis())
            .bind(after.0.millis())
            .bind(after.1)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.rd().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(HotRow {
                    id: col(r, "id")?,
                    vote_count: col(r, "vote_count")?,
                    created_at: Timestamp(col(r, "created_at")?),
                    hot_rank: col(r, "hot_rank")?,
                })
            })
            .collect()
    }

    async fn set_hot_rank(&self, id: i64, vote_count: i64, rank: f64) -> Result<bool> {
        let n = self
            .stmt("UPDATE posts SET hot_rank = ? WHERE id = ? AND vote_count = ?")
            .bind(rank)
            .bind(id)
            .bind(vote_count)
            .execute(&mut *self.wr().await?)
            .await?;
        Ok(n == 1)
    }

    async fn purge_login_history(&self, before: Timestamp, limit: u32) -> Result<u64> {
        self.delete_batch(
            "SELECT id FROM login_history WHERE created_at < ? ORDER BY created_at, id LIMIT ?",
            "DELETE FROM login_history WHERE id IN ",
            before,
            i64::from(limit),
        )
        .await
    }

    async fn post_counters(&self, after: i64, limit: u32) -> Result<Vec<PostCounters>> {
        let rows = self
            .stmt(&format!(
                "SELECT p.id, p.comment_count, p.vote_count, p.thread_count, \
                 (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id AND c.deleted_at IS NULL) AS actual_comments, \
                 (SELECT COUNT(*) FROM post_votes v WHERE v.post_id = p.id) AS actual_votes, \
                 ({THREADS}) AS actual_threads \
                 FROM posts p WHERE p.id > ? ORDER BY p.id LIMIT ?"
            ))
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.rd().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PostCounters {
                    id: col(r, "id")?,
                    comment_count: col(r, "comment_count")?,
                    actual_comments: col(r, "actual_comments")?,
                    vote_count: col(r, "vote_count")?,
                    actual_votes: col(r, "actual_votes")?,
                    thread_count: col(r, "thread_count")?,
                    actual_threads: col(r, "actual_threads")?,
                })
            })
            .collect()
    }

    async fn fix_post_counters(
        &self,
        id: i64,
        rank: &(dyn Fn(i64, Timestamp) -> f64 + Send + Sync),
    ) -> Result<PostCounts> {
        let mut tx = self.begin().await?;
        // The row lock orders this recount with votes and comments, which lock the post
        // before changing its counters.
        let lock = format!(
            "SELECT created_at FROM posts WHERE id = ?{}",
            self.for_update()
        );
        let Some(row) = self.stmt(&lock).bind(id).fetch_optional(&mut *tx).await? else {
            return Ok(PostCounts {
                comments: 0,
                votes: 0,
                threads: 0,
            });
        };
        let created = Timestamp(col(&row, "created_at")?);
        let comments = count(
            self.stmt(
                "SELECT COUNT(*) AS n FROM comments WHERE post_id = ? AND deleted_at IS NULL",
            )
            .bind(id),
            &mut *tx,
        )
        .await?;
        let votes = count(
            self.stmt("SELECT COUNT(*) AS n FROM post_votes WHERE post_id = ?")
                .bind(id),
            &mut *tx,
        )
        .await?;
        let threads = count(self.stmt(&THREADS.replace("p.id", "?")).bind(id), &mut *tx).await?;
        self.stmt("UPDATE posts SET comment_count = ?, vote_count = ?, thread_count = ?, hot_rank = ? WHERE id = ?")
            .bind(comments)
            .bind(votes)
            .bind(threads)
            .bind(rank(votes, created))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.note_search_change(&mut tx, id).await?;
        commit(tx).await?;
        Ok(PostCounts {
            comments,
            votes,
            threads,
        })
    }

    async fn comment_counters(&self, after: i64, limit: u32) -> Result<Vec<CommentCounters>> {
        let rows = self
            .stmt(
                "SELECT c.id, c.vote_count, c.reply_count, \
                 (SELECT COUNT(*) FROM comment_votes v WHERE v.comment_id = c.id) AS actual_votes, \
                 (SELECT COUNT(*) FROM comments r WHERE r.parent_id = c.id AND r.deleted_at IS NULL) AS actual_replies \
                 FROM comments c WHERE c.id > ? ORDER BY c.id LIMIT ?",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.rd().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CommentCounters {
                    id: col(r, "id")?,
                    vote_count: col(r, "vote_count")?,
                    actual_votes: col(r, "actual_votes")?,
                    reply_count: col(r, "reply_count")?,
                    actual_replies: col(r, "actual_replies")?,
                })
            })
            .collect()
    }

    async fn fix_comment_votes(&self, id: i64) -> Result<i64> {
        self.recount(
            "comments",
            "vote_count",
            "SELECT COUNT(*) AS n FROM comment_votes WHERE comment_id = ?",
            id,
        )
        .await
    }

    async fn fix_comment_replies(&self, id: i64) -> Result<i64> {
        self.recount(
            "comments",
            "reply_count",
            "SELECT COUNT(*) AS n FROM comments WHERE parent_id = ? AND deleted_at IS NULL",
            id,
        )
        .await
    }

    async fn category_counters(&self) -> Result<Vec<CategoryCounter>> {
        let rows = self
            .stmt(
                "SELECT c.id, c.post_count, \
                 (SELECT COUNT(*) FROM posts p WHERE p.category_id = c.id AND p.deleted_at IS NULL) AS actual \
                 FROM categories c ORDER BY c.id",
            )
            .fetch_all(&mut *self.rd().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CategoryCounter {
                    id: col(r, "id")?,
                    post_count: col(r, "post_count")?,
                    actual: col(r, "actual")?,
                })
            })
            .collect()
    }

    async fn fix_category_count(&self, id: i64) -> Result<i64> {
        // Post creates, moves and deletes change the counter under this row lock, so
        // the count taken while holding it is right whichever comes first.
        self.recount(
            "categories",
            "post_count",
            "SELECT COUNT(*) AS n FROM posts WHERE category_id = ? AND deleted_at IS NULL",
            id,
        )
        .await
    }

    async fn refresh_statistics(&self) -> Result<()> {
        if self.engine() != Engine::Sqlite {
            // MariaDB and PostgreSQL keep their statistics up to date themselves.
            return Ok(());
        }
        // SQLite re-analyses the tables it finds worth it (grown or shrunk a lot since
        // their last ANALYZE), every table, not only the ones this connection read.
        let mut conn = self.wr().await?;
        self.stmt("PRAGMA optimize = 0x10002")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn count_created(&self, bounds: &[Timestamp]) -> Result<Vec<DailyCounts>> {
        // A range count per window and table, on one connection: each is a count of
        // one stretch of the table's creation-time index, which every engine does
        // without reading rows (one CASE-bucketed scan was ten times slower on SQLite).
        let mut conn = self.rd().await?;
        let mut out = Vec::with_capacity(bounds.len().saturating_sub(1));
        for w in bounds.windows(2) {
            let mut n = [0_i64; 5];
            for (i, table) in ["users", "posts", "comments", "post_votes", "comment_votes"]
                .into_iter()
                .enumerate()
            {
                let s = self
                    .stmt(&format!(
                        "SELECT COUNT(*) AS n FROM {table} WHERE created_at >= ? AND created_at < ?"
                    ))
                    .bind(w[0].millis())
                    .bind(w[1].millis());
                n[i] = count(s, &mut *conn).await?;
            }
            out.push(DailyCounts {
                new_users: n[0],
                posts: n[1],
                comments: n[2],
                votes: n[3] + n[4],
            });
        }
        Ok(out)
    }

    async fn save_daily(&self, day: Day, counts: &DailyCounts, now: Timestamp) -> Result<()> {
        let sql = self.upsert(
            "INSERT INTO daily_stats (day, new_users, posts, comments, votes, computed_at) VALUES (?, ?, ?, ?, ?, ?)",
            "day",
            &["new_users", "posts", "comments", "votes", "computed_at"],
        );
        self.stmt(&sql)
            .bind(day.to_string())
            .bind(counts.new_users)
            .bind(counts.posts)
            .bind(counts.comments)
            .bind(counts.votes)
            .bind(now.millis())
            .execute(&mut *self.wr().await?)
            .await?;
        Ok(())
    }

    async fn daily(
        &self,
        from: Option<Day>,
        to: Option<Day>,
        limit: u32,
    ) -> Result<Vec<DailyStats>> {
        let mut s =
            self.stmt("SELECT day, new_users, posts, comments, votes FROM daily_stats WHERE 1 = 1");
        if let Some(f) = from {
            s.push_bind(" AND day >= ?", f.to_string());
        }
        if let Some(t) = to {
            s.push_bind(" AND day <= ?", t.to_string());
        }
        // Without bounds: the latest days (read newest first, answered oldest first).
        let latest = from.is_none() && to.is_none();
        s.push_sql(if latest {
            " ORDER BY day DESC"
        } else {
            " ORDER BY day"
        });
        s.push_bind(" LIMIT ?", i64::from(limit));
        let rows = s.fetch_all(&mut *self.rd().await?).await?;
        let mut days = rows
            .iter()
            .map(|r| {
                let day: String = col(r, "day")?;
                Ok(DailyStats {
                    day: Day::parse("day", &day).map_err(|v| {
                        madang_domain::Error::internal(madang_domain::error::Message(v.message))
                    })?,
                    counts: DailyCounts {
                        new_users: col(r, "new_users")?,
                        posts: col(r, "posts")?,
                        comments: col(r, "comments")?,
                        votes: col(r, "votes")?,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if latest {
            days.reverse();
        }
        Ok(days)
    }
}

impl Db {
    /// Sets `table.column` of row `id` to what `count_sql` counts for it, under the
    /// row's lock (0 when the row is gone).
    async fn recount(&self, table: &str, column: &str, count_sql: &str, id: i64) -> Result<i64> {
        let mut tx = self.begin().await?;
        let lock = format!("SELECT id FROM {table} WHERE id = ?{}", self.for_update());
        if self
            .stmt(&lock)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Ok(0);
        }
        let n = count(self.stmt(count_sql).bind(id), &mut *tx).await?;
        self.stmt(&format!("UPDATE {table} SET {column} = ? WHERE id = ?"))
            .bind(n)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        commit(tx).await?;
        Ok(n)
    }
}
