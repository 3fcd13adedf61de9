//! Comments, their versions and votes.

use async_trait::async_trait;
use madang_domain::comments::{Comment, CommentVersion, NewComment, ReplyTarget};
use madang_domain::listing::{Page, PageRequest};
use madang_domain::ports::CommentStore;
use madang_domain::posts::ContentRef;
use madang_domain::{Result, Timestamp};
use sqlx::any::AnyRow;

use crate::db::{Db, col, commit};
use crate::mentions::In;

mod lists;
use crate::posts::{author_from_row, sentiment_from_row};
use crate::votes::VoteTable;

/// A comment's columns, with its author's name (a macro, so the constants below can
/// be put together from it at compile time).
macro_rules! comment_cols {
    () => {
        "c.id, c.post_id, c.author_id, u.name AS author_name, c.content, c.version, \
         c.created_at, c.updated_at, c.vote_count, c.sentiment_label, c.sentiment_score, \
         c.parent_id, c.reply_to_id, c.reply_count, c.deleted_at"
    };
}
macro_rules! comment_from {
    () => {
        "FROM comments c JOIN posts p ON p.id = c.post_id LEFT JOIN users u ON u.id = c.author_id"
    };
}

pub(crate) const COMMENT_COLS: &str = comment_cols!();
const COMMENT_FROM: &str = comment_from!();

/// Active comments of active posts, with their authors.
const COMMENT_SELECT: &str = concat!(
    "SELECT ",
    comment_cols!(),
    " ",
    comment_from!(),
    " WHERE c.deleted_at IS NULL AND p.deleted_at IS NULL"
);

/// A comment as a list shows it: a deleted one (a thread's placeholder) without its
/// content, author or label.
fn comment_from_row(r: &AnyRow) -> Result<Comment> {
    comment_of_row(r, true)
}

/// A comment as stored, a deleted one's content included (for staff).
pub(crate) fn stored_comment_from_row(r: &AnyRow) -> Result<Comment> {
    comment_of_row(r, false)
}

fn comment_of_row(r: &AnyRow, hide_deleted: bool) -> Result<Comment> {
    let deleted = hide_deleted && col::<Option<i64>>(r, "deleted_at")?.is_some();
    Ok(Comment {
        id: col(r, "id")?,
        post_id: col(r, "post_id")?,
        author: if deleted { None } else { author_from_row(r)? },
        content: if deleted {
            String::new()
        } else {
            col(r, "content")?
        },
        version: col(r, "version")?,
        created_at: Timestamp(col(r, "created_at")?),
        updated_at: Timestamp(col(r, "updated_at")?),
        vote_count: col(r, "vote_count")?,
        sentiment: if deleted {
            None
        } else {
            sentiment_from_row(r)?
        },
        best: false,
        parent_id: col(r, "parent_id")?,
        reply_to_id: col(r, "reply_to_id")?,
        reply_count: col(r, "reply_count")?,
        deleted,
        blocked: false,
        mentions: Vec::new(),
    })
}

impl Db {
    /// Soft-deletes (`Some(when)`) or restores (`None`) a comment of `post_id` in the
    /// caller's transaction, keeping the post's comment count; `false` if it was
    /// already so.
    pub(crate) async fn set_comment_deleted_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        post_id: i64,
        deleted: Option<Timestamp>,
    ) -> Result<bool> {
        // Same lock order as a new comment: the post first, then the comment.
        let lock = format!("SELECT id FROM posts WHERE id = ?{}", self.for_update());
        self.stmt(&lock)
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?;
        let sql = format!(
            "UPDATE comments SET deleted_at = ? WHERE id = ? AND post_id = ? AND deleted_at IS {}NULL",
            if deleted.is_some() { "" } else { "NOT " }
        );
        let n = self
            .stmt(&sql)
            .bind(deleted.map(Timestamp::millis))
            .bind(id)
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        if n > 0 {
            let delta = if deleted.is_some() { -1 } else { 1 };
            self.stmt("UPDATE posts SET comment_count = comment_count + ? WHERE id = ?")
                .bind(delta)
                .bind(post_id)
                .execute(&mut *tx)
                .await?;
            self.count_threads_after(tx, id, post_id, delta).await?;
        }
        Ok(n > 0)
    }

    /// Moves a post's count of listed threads by `delta`, in the caller's transaction.
    async fn count_thread(
        &self,
        tx: &mut sqlx::AnyConnection,
        post_id: i64,
        delta: i64,
    ) -> Result<()> {
        self.stmt("UPDATE posts SET thread_count = thread_count + ? WHERE id = ?")
            .bind(delta)
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The thread counts after comment `id` was deleted (`delta` -1) or restored (+1):
    /// a reply moves its thread's `reply_count`, and a thread is listed while it is live
    /// or has a live reply (a placeholder).
    async fn count_threads_after(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        post_id: i64,
        delta: i64,
    ) -> Result<()> {
        let row = self
            .stmt("SELECT parent_id, reply_count FROM comments WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let Some(root) = col::<Option<i64>>(&row, "parent_id")? else {
            // A thread with live replies stays listed either way, as a placeholder.
            if col::<i64>(&row, "reply_count")? == 0 {
                self.count_thread(tx, post_id, delta).await?;
            }
            return Ok(());
        };
        self.stmt("UPDATE comments SET reply_count = reply_count + ? WHERE id = ?")
            .bind(delta)
            .bind(root)
            .execute(&mut *tx)
            .await?;
        let r = self
            .stmt("SELECT deleted_at, reply_count FROM comments WHERE id = ?")
            .bind(root)
            .fetch_one(&mut *tx)
            .await?;
        let replies: i64 = col(&r, "reply_count")?;
        let placeholder_moved = (delta < 0 && replies == 0) || (delta > 0 && replies == 1);
        if col::<Option<i64>>(&r, "deleted_at")?.is_some() && placeholder_moved {
            self.count_thread(tx, post_id, delta).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl CommentStore for Db {
    async fn insert_comment(&self, new: &NewComment) -> Result<Option<i64>> {
        crate::db::retrying(|| self.insert_comment_once(new)).await
    }

    async fn reply_target(&self, id: i64) -> Result<Option<ReplyTarget>> {
        let row = self
            .stmt("SELECT post_id, parent_id, deleted_at FROM comments WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        row.map(|r| {
            Ok(ReplyTarget {
                post_id: col(&r, "post_id")?,
                parent_id: col(&r, "parent_id")?,
                deleted: col::<Option<i64>>(&r, "deleted_at")?.is_some(),
            })
        })
        .transpose()
    }

    async fn comment(&self, id: i64) -> Result<Option<Comment>> {
        let mut conn = self.rd_lagging().await?;
        let mut s = self.stmt(COMMENT_SELECT);
        s.push_bind(" AND c.id = ?", id);
        let row = s.fetch_optional(&mut *conn).await?;
        let mut found: Vec<Comment> = row
            .as_ref()
            .map(comment_from_row)
            .transpose()?
            .into_iter()
            .collect();
        self.with_mentions(&mut conn, &mut found).await?;
        Ok(found.pop())
    }

    async fn comment_ref(&self, id: i64) -> Result<Option<ContentRef>> {
        let row = self
            .stmt(
                "SELECT c.author_id, c.deleted_at, p.deleted_at AS post_deleted_at \
                 FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = ?",
            )
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        row.map(|r| {
            let deleted = col::<Option<i64>>(&r, "deleted_at")?.is_some()
                || col::<Option<i64>>(&r, "post_deleted_at")?.is_some();
            Ok(ContentRef {
                author_id: col(&r, "author_id")?,
                deleted,
            })
        })
        .transpose()
    }

    async fn update_comment(
        &self,
        id: i64,
        author_id: i64,
        content: &str,
        now: Timestamp,
        follow_up: &[&'static str],
        mentions: &[i64],
    ) -> Result<Option<Comment>> {
        crate::db::retrying(|| {
            self.update_comment_once(id, author_id, content, now, follow_up, mentions)
        })
        .await
    }

    async fn comment_versions(&self, id: i64) -> Result<Vec<CommentVersion>> {
        let rows = self
            .stmt("SELECT version, content, created_at FROM comment_versions WHERE comment_id = ? ORDER BY version DESC")
            .bind(id)
            .fetch_all(&mut *self.rd_lagging().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CommentVersion {
                    version: col(r, "version")?,
                    content: col(r, "content")?,
                    created_at: Timestamp(col(r, "created_at")?),
                })
            })
            .collect()
    }

    async fn delete_comment(&self, id: i64, now: Timestamp) -> Result<Option<i64>> {
        let Some(row) = self
            .stmt("SELECT post_id FROM comments WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?
        else {
            return Ok(None);
        };
        let post_id: i64 = col(&row, "post_id")?;
        let mut tx = self.begin().await?;
        let done = self
            .set_comment_deleted_in(&mut tx, id, post_id, Some(now))
            .await?;
        commit(tx).await?;
        Ok(done.then_some(post_id))
    }

    async fn set_comment_vote(
        &self,
        comment_id: i64,
        user_id: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        // The post is read, not locked: only the comment's row is. A reply locks its
        // post and then its thread's comment; locking the post here too, after the
        // comment, would make a cycle with it.
        let live = self
            .stmt(
                "SELECT p.id FROM comments c JOIN posts p ON p.id = c.post_id \
                 WHERE c.id = ? AND p.deleted_at IS NULL",
            )
            .bind(comment_id)
            .fetch_optional(&mut *tx)
            .await?;
        if live.is_none() {
            return Ok(None);
        }
        let lock = format!(
            "SELECT vote_count FROM comments WHERE id = ? AND deleted_at IS NULL{}",
            self.for_update()
        );
        let Some(row) = self
            .stmt(&lock)
            .bind(comment_id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let before = (col(&row, "vote_count")?, now);
        let (votes, changed) = self
            .toggle_vote(&mut tx, VoteTable::Comment, comment_id, user_id, on, before)
            .await?;
        if changed {
            self.stmt("UPDATE comments SET vote_count = ? WHERE id = ?")
                .bind(votes)
                .bind(comment_id)
                .execute(&mut *tx)
                .await?;
        }
        commit(tx).await?;
        Ok(Some(votes))
    }

    async fn comments_voted(&self, ids: &[i64], user_id: i64) -> Result<Vec<i64>> {
        let mut s =
            self.stmt("SELECT comment_id FROM comment_votes WHERE user_id = ? AND comment_id IN ");
        s.args_add(user_id);
        s.push_in_list(ids);
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        rows.iter().map(|r| col(r, "comment_id")).collect()
    }

    async fn comments_of_post(&self, post_id: i64, page: &PageRequest) -> Result<Page<Comment>> {
        self.thread_page(post_id, page).await
    }

    async fn comments_of_user(&self, user_id: i64, page: &PageRequest) -> Result<Page<Comment>> {
        self.user_comment_page(user_id, page).await
    }

    async fn best_comments(
        &self,
        post_id: i64,
        min_votes: i64,
        limit: u32,
    ) -> Result<Vec<Comment>> {
        // Walks the post's comments (comments_post); a post's thread is small enough
        // that an index on votes would cost every comment vote more than it saves here.
        let mut s = self.stmt(COMMENT_SELECT);
        s.push_bind(" AND c.post_id = ?", post_id);
        s.push_bind(" AND c.vote_count >= ?", min_votes.max(1));
        s.push_bind(
            " ORDER BY c.vote_count DESC, c.id LIMIT ?",
            i64::from(limit),
        );
        let mut conn = self.rd_lagging().await?;
        let rows = s.fetch_all(&mut *conn).await?;
        let mut best = rows
            .iter()
            .map(comment_from_row)
            .collect::<Result<Vec<_>>>()?;
        self.with_mentions(&mut conn, &mut best).await?;
        Ok(best)
    }
}

/// The writes above, once each; their trait methods run them again when the engine
/// ended one to break a lock cycle with a concurrent write (see `db::retrying`).
impl Db {
    async fn insert_comment_once(&self, new: &NewComment) -> Result<Option<i64>> {
        let now = new.now.millis();
        let mut tx = self.begin().await?;
        let lock = format!(
            "SELECT id FROM posts WHERE id = ? AND deleted_at IS NULL{}",
            self.for_update()
        );
        if self
            .stmt(&lock)
            .bind(new.post_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        // A reply's thread: under the post's lock, so its counts move with no other
        // write of the post's comments in between.
        if let Some(root) = new.parent_id {
            let Some(r) = self
                .stmt("SELECT deleted_at, reply_count FROM comments WHERE id = ? AND post_id = ? AND parent_id IS NULL")
                .bind(root)
                .bind(new.post_id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(None);
            };
            self.stmt("UPDATE comments SET reply_count = reply_count + 1 WHERE id = ?")
                .bind(root)
                .execute(&mut *tx)
                .await?;
            // A deleted thread with no live reply was not listed; it is again, as a
            // placeholder.
            if col::<Option<i64>>(&r, "deleted_at")?.is_some()
                && col::<i64>(&r, "reply_count")? == 0
            {
                self.count_thread(&mut tx, new.post_id, 1).await?;
            }
        } else {
            self.count_thread(&mut tx, new.post_id, 1).await?;
        }
        let id = self
            .stmt(
                "INSERT INTO comments (post_id, author_id, parent_id, reply_to_id, content, version, vote_count, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)",
            )
            .bind(new.post_id)
            .bind(new.author_id)
            .bind(new.parent_id)
            .bind(new.reply_to_id)
            .bind(new.content.as_str().to_owned())
            .bind(now)
            .bind(now)
            .insert_id(&mut *tx)
            .await?;
        self.stmt("INSERT INTO comment_versions (comment_id, version, content, created_at) VALUES (?, 1, ?, ?)")
            .bind(id)
            .bind(new.content.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.add_mentions_in(&mut tx, In::Comment, id, &new.mentions)
            .await?;
        self.stmt("UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?")
            .bind(new.post_id)
            .execute(&mut *tx)
            .await?;
        self.enqueue_follow_ups(&mut tx, &new.follow_up, id, new.now)
            .await?;
        commit(tx).await?;
        self.outbox_written();
        Ok(Some(id))
    }

    async fn update_comment_once(
        &self,
        id: i64,
        author_id: i64,
        content: &str,
        now: Timestamp,
        follow_up: &[&'static str],
        mentions: &[i64],
    ) -> Result<Option<Comment>> {
        let mut tx = self.begin().await?;
        let n = self
            .stmt(
                "UPDATE comments SET content = ?, version = version + 1, updated_at = ? \
                 WHERE id = ? AND author_id = ? AND deleted_at IS NULL",
            )
            .bind(content.to_owned())
            .bind(now.millis())
            .bind(id)
            .bind(author_id)
            .execute(&mut *tx)
            .await?;
        if n == 0 {
            return Ok(None);
        }
        let row = self
            .stmt("SELECT version FROM comments WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let version: i64 = col(&row, "version")?;
        self.stmt("INSERT INTO comment_versions (comment_id, version, content, created_at) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(version)
            .bind(content.to_owned())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        self.set_mentions_in(&mut tx, In::Comment, id, mentions)
            .await?;
        let mut s = self.stmt(COMMENT_SELECT);
        s.push_bind(" AND c.id = ?", id);
        let mut comment = comment_from_row(&s.fetch_one(&mut *tx).await?)?;
        comment.mentions = self
            .mentions_of(&mut tx, In::Comment, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        self.enqueue_follow_ups(&mut tx, follow_up, id, now).await?;
        commit(tx).await?;
        self.outbox_written();
        Ok(Some(comment))
    }
}
