//! Posts, their versions and votes. Counters and the current version live on the
//! post row and change in the same transaction as the write that moves them.

use async_trait::async_trait;
use madang_domain::listing::{Page, PageRequest};
use madang_domain::ports::PostStore;
use madang_domain::posts::{
    CategoryRef, ContentRef, EXCERPT_CHARS, NewPost, PinScope, PostDetail, PostEdit, PostFilter,
    PostSort, PostSummary, PostVersion, PrefixRef, Sentiment,
};
use madang_domain::search::hot_rank;
use madang_domain::users::AuthorRef;
use madang_domain::{Error, Result, Timestamp};
use sqlx::any::AnyRow;

use crate::db::{
    COUNT_CAP, Db, OnConstraint, Stmt, col, commit, count, push_after, push_order, push_page,
};
use crate::mentions::In;
use crate::votes::VoteTable;

mod list;
use list::counted_by_categories;
mod sentiments;

pub(crate) fn author_from_row(row: &AnyRow) -> Result<Option<AuthorRef>> {
    let id: Option<i64> = col(row, "author_id")?;
    let name: Option<String> = col(row, "author_name")?;
    // A resigned author keeps the id on the row but has no name: shown as no author.
    Ok(match (id, name) {
        (Some(id), Some(name)) => Some(AuthorRef { id, name }),
        _ => None,
    })
}

pub(crate) fn sentiment_from_row(row: &AnyRow) -> Result<Option<Sentiment>> {
    let label: Option<String> = col(row, "sentiment_label")?;
    let score: Option<f64> = col(row, "sentiment_score")?;
    Ok(label
        .zip(score)
        .map(|(label, score)| Sentiment { label, score }))
}

pub(crate) fn prefix_from_row(row: &AnyRow) -> Result<Option<PrefixRef>> {
    let id: Option<i64> = col(row, "prefix_id")?;
    let name: Option<String> = col(row, "prefix_name")?;
    Ok(id.zip(name).map(|(id, name)| PrefixRef { id, name }))
}

/// The columns of a list item (read by `summary_from_row`), its `excerpt` being the
/// expression given.
fn summary_columns(excerpt: &str) -> String {
    format!(
        "p.id, p.category_id, c.name AS category_name, p.author_id, u.name AS author_name, p.title, \
         {excerpt} AS excerpt, p.created_at, p.updated_at, p.comment_count, p.vote_count, p.hot_rank, \
         p.sentiment_label, p.sentiment_score, pv.view_count, p.prefix_id, bp.name AS prefix_name"
    )
}

/// The joins a list item's columns read (after `FROM … p`).
const SUMMARY_JOINS: &str = " JOIN categories c ON c.id = p.category_id LEFT JOIN users u ON u.id = p.author_id \
     LEFT JOIN board_prefixes bp ON bp.id = p.prefix_id LEFT JOIN post_views pv ON pv.post_id = p.id";

/// A list item's SELECT for posts reached `from` another table (`… JOIN posts p …`),
/// with `extra` columns, and its first `EXCERPT_CHARS` characters as the excerpt.
pub(crate) fn summary_select(extra: &str, from: &str) -> String {
    let columns = summary_columns(&format!("SUBSTR(p.content, 1, {EXCERPT_CHARS})"));
    format!("SELECT {columns}{extra} FROM {from}{SUMMARY_JOINS}")
}

fn category_from_row(row: &AnyRow) -> Result<CategoryRef> {
    Ok(CategoryRef {
        id: col(row, "category_id")?,
        name: col(row, "category_name")?,
    })
}

/// The answer to a post written into a category that is not there.
fn unknown_category() -> Error {
    Error::invalid(
        "category_id",
        "exists",
        "category_id does not name a category",
    )
}

fn detail_from_row(r: &AnyRow) -> Result<PostDetail> {
    Ok(PostDetail {
        id: col(r, "id")?,
        category: category_from_row(r)?,
        author: author_from_row(r)?,
        title: col(r, "title")?,
        content: col(r, "content")?,
        version: col(r, "version")?,
        created_at: Timestamp(col(r, "created_at")?),
        updated_at: Timestamp(col(r, "updated_at")?),
        comment_count: col(r, "comment_count")?,
        vote_count: col(r, "vote_count")?,
        view_count: views_from_row(r)?,
        prefix: prefix_from_row(r)?,
        pin: match col::<Option<String>>(r, "pin_scope")?.as_deref() {
            Some("site") => Some(PinScope::Site),
            Some(_) => Some(PinScope::Board),
            None => None,
        },
        sentiment: sentiment_from_row(r)?,
        deleted_at: col::<Option<i64>>(r, "deleted_at")?.map(Timestamp),
        mentions: Vec::new(),
    })
}

/// A list item from a row of `post_page_stmt` or `post_summaries`.
pub(crate) fn summary_from_row(r: &AnyRow) -> Result<PostSummary> {
    Ok(PostSummary {
        id: col(r, "id")?,
        category: category_from_row(r)?,
        author: author_from_row(r)?,
        title: col(r, "title")?,
        excerpt: col(r, "excerpt")?,
        created_at: Timestamp(col(r, "created_at")?),
        updated_at: Timestamp(col(r, "updated_at")?),
        comment_count: col(r, "comment_count")?,
        vote_count: col(r, "vote_count")?,
        view_count: views_from_row(r)?,
        hot_rank: col(r, "hot_rank")?,
        prefix: prefix_from_row(r)?,
        pinned: false,
        sentiment: sentiment_from_row(r)?,
        highlights: None,
    })
}

/// A post's views. Every post has its row in `post_views` (written with the post), but
/// the lists join it with LEFT JOIN so that a missing row reads as no views, never as
/// a missing post.
pub(crate) fn views_from_row(r: &AnyRow) -> Result<i64> {
    Ok(col::<Option<i64>>(r, "view_count")?.unwrap_or(0))
}

impl Db {
    fn post_detail_stmt(&self, id: i64, include_deleted: bool) -> Stmt {
        let mut s = self.stmt(
            "SELECT p.id, p.category_id, c.name AS category_name, p.author_id, u.name AS author_name, p.title, \
             p.content, p.version, p.created_at, p.updated_at, p.comment_count, p.vote_count, p.sentiment_label, \
             p.sentiment_score, p.deleted_at, pv.view_count, p.prefix_id, bp.name AS prefix_name, pp.scope AS pin_scope \
             FROM posts p JOIN categories c ON c.id = p.category_id LEFT JOIN users u ON u.id = p.author_id \
             LEFT JOIN board_prefixes bp ON bp.id = p.prefix_id LEFT JOIN post_pins pp ON pp.post_id = p.id \
             LEFT JOIN post_views pv ON pv.post_id = p.id \
             WHERE p.id = ?",
        );
        s.args_add(id);
        if !include_deleted {
            s.push_sql(" AND p.deleted_at IS NULL");
        }
        s
    }

    async fn lock_active_post(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
    ) -> Result<Option<AnyRow>> {
        let sql = format!(
            "SELECT id, category_id, author_id, created_at, vote_count FROM posts WHERE id = ? AND deleted_at IS NULL{}",
            self.for_update()
        );
        self.stmt(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(Into::into)
    }

    /// Soft-deletes (`Some(when)`) or restores (`None`) a post in the caller's
    /// transaction, keeping its category's count; `false` if it was already so.
    pub(crate) async fn set_post_deleted_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        deleted: Option<Timestamp>,
    ) -> Result<bool> {
        let sql = format!(
            "SELECT category_id FROM posts WHERE id = ? AND deleted_at IS {}NULL{}",
            if deleted.is_some() { "" } else { "NOT " },
            self.for_update()
        );
        let Some(row) = self.stmt(&sql).bind(id).fetch_optional(&mut *tx).await? else {
            return Ok(false);
        };
        self.stmt("UPDATE posts SET deleted_at = ? WHERE id = ?")
            .bind(deleted.map(Timestamp::millis))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // A deleted post leaves the pins (a restore does not pin it again).
        if deleted.is_some() {
            self.stmt("DELETE FROM post_pins WHERE post_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        self.note_search_change(tx, id).await?;
        let delta = if deleted.is_some() { -1 } else { 1 };
        self.count_in_category(tx, col(&row, "category_id")?, delta)
            .await?;
        Ok(true)
    }

    async fn post_mentions(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: i64,
    ) -> Result<Vec<madang_domain::users::AuthorRef>> {
        Ok(self
            .mentions_of(conn, In::Post, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default())
    }

    /// Moves a category's count of active posts by `delta`, in the caller's transaction.
    async fn count_in_category(
        &self,
        tx: &mut sqlx::AnyConnection,
        category_id: i64,
        delta: i64,
    ) -> Result<()> {
        self.stmt("UPDATE categories SET post_count = post_count + ? WHERE id = ?")
            .bind(delta)
            .bind(category_id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl PostStore for Db {
    async fn insert_post(&self, new: &NewPost) -> Result<i64> {
        crate::db::retrying(|| self.insert_post_once(new)).await
    }

    async fn post(&self, id: i64, include_deleted: bool) -> Result<Option<PostDetail>> {
        let mut conn = self.rd_lagging().await?;
        let row = self
            .post_detail_stmt(id, include_deleted)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut post = detail_from_row(&row)?;
        post.mentions = self.post_mentions(&mut conn, id).await?;
        Ok(Some(post))
    }

    async fn post_ref(&self, id: i64) -> Result<Option<ContentRef>> {
        let row = self
            .stmt("SELECT author_id, deleted_at FROM posts WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *self.rd_lagging().await?)
            .await?;
        row.map(|r| {
            Ok(ContentRef {
                author_id: col(&r, "author_id")?,
                deleted: col::<Option<i64>>(&r, "deleted_at")?.is_some(),
            })
        })
        .transpose()
    }

    async fn post_voted(&self, post_id: i64, user_id: i64) -> Result<bool> {
        let n = count(
            self.stmt("SELECT COUNT(*) AS n FROM post_votes WHERE post_id = ? AND user_id = ?")
                .bind(post_id)
                .bind(user_id),
            &mut *self.rd_lagging().await?,
        )
        .await?;
        Ok(n > 0)
    }

    async fn update_post(
        &self,
        id: i64,
        author_id: i64,
        edit: &PostEdit,
    ) -> Result<Option<PostDetail>> {
        crate::db::retrying(|| self.update_post_once(id, author_id, edit)).await
    }

    async fn post_versions(&self, id: i64) -> Result<Vec<PostVersion>> {
        let rows = self
            .stmt("SELECT version, title, content, created_at FROM post_versions WHERE post_id = ? ORDER BY version DESC")
            .bind(id)
            .fetch_all(&mut *self.rd_lagging().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PostVersion {
                    version: col(r, "version")?,
                    title: col(r, "title")?,
                    content: col(r, "content")?,
                    created_at: Timestamp(col(r, "created_at")?),
                })
            })
            .collect()
    }

    async fn delete_post(&self, id: i64, now: Timestamp) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = self.set_post_deleted_in(&mut tx, id, Some(now)).await?;
        commit(tx).await?;
        Ok(done)
    }

    async fn set_post_vote(
        &self,
        post_id: i64,
        user_id: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        // Lock the post before touching its votes: on InnoDB, a vote insert takes a
        // shared lock on the post through the foreign key, and two such locks
        // upgrading to the counter update would deadlock.
        let Some(post) = self.lock_active_post(&mut tx, post_id).await? else {
            return Ok(None);
        };
        let before = (col(&post, "vote_count")?, now);
        let (votes, changed) = self
            .toggle_vote(&mut tx, VoteTable::Post, post_id, user_id, on, before)
            .await?;
        if changed {
            let rank = hot_rank(votes, Timestamp(col(&post, "created_at")?));
            self.stmt("UPDATE posts SET vote_count = ?, hot_rank = ? WHERE id = ?")
                .bind(votes)
                .bind(rank)
                .bind(post_id)
                .execute(&mut *tx)
                .await?;
            self.note_search_change(&mut tx, post_id).await?;
        }
        commit(tx).await?;
        Ok(Some(votes))
    }

    async fn list_posts(&self, f: &PostFilter, page: &PageRequest) -> Result<Page<PostSummary>> {
        let s = self.post_page_stmt(f, page);
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        let items = rows
            .iter()
            .map(summary_from_row)
            .collect::<Result<Vec<_>>>()?;
        // The total came with the rows, unless there were none (a page past the end).
        let (total, capped) = match rows.first() {
            Some(r) if counted_by_categories(f) => (col(r, "total_n")?, false),
            _ => self.count_posts(f).await?,
        };
        let sort = f.sort;
        Ok(Page::from_rows(
            items,
            page,
            sort.order(),
            total,
            capped,
            |p| sort.key_of(p),
        ))
    }

    async fn post_summaries(&self, ids: &[i64]) -> Result<Vec<(PostSummary, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The whole content comes as `excerpt`: the search cuts its own around the match.
        let mut s = self.stmt(&format!(
            "SELECT {} FROM posts p{SUMMARY_JOINS} WHERE p.deleted_at IS NULL AND p.id IN ",
            summary_columns("p.content")
        ));
        s.push_in_list(ids);
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        rows.iter()
            .map(|r| {
                // The row's `excerpt` column is the whole content (see the SELECT).
                let mut summary = summary_from_row(r)?;
                let content = std::mem::take(&mut summary.excerpt);
                Ok((summary, content))
            })
            .collect()
    }

    async fn post_stamps(&self, from: i64, to: i64) -> Result<Vec<(i64, Timestamp)>> {
        let rows = self
            .stmt(
                "SELECT id, updated_at FROM posts WHERE id >= ? AND id <= ? AND deleted_at IS NULL ORDER BY id",
            )
            .bind(from)
            .bind(to)
            .fetch_all(&mut *self.rd_lagging().await?)
            .await?;
        rows.iter()
            .map(|r| Ok((col(r, "id")?, Timestamp(col(r, "updated_at")?))))
            .collect()
    }

    async fn last_post_id(&self) -> Result<i64> {
        let row = self
            .stmt("SELECT COALESCE(MAX(id), 0) AS last FROM posts")
            .fetch_one(&mut *self.rd_lagging().await?)
            .await?;
        col(&row, "last")
    }
}

/// The writes above, once each; their trait methods run them again when the engine
/// ended one to break a lock cycle with a concurrent write (see `db::retrying`).
impl Db {
    async fn insert_post_once(&self, new: &NewPost) -> Result<i64> {
        let now = new.now.millis();
        let mut tx = self.begin().await?;
        // The counter first: its row lock is taken before the insert's foreign-key check
        // takes a shared one on the same category row. The other way round, two posts
        // created at once in one category deadlock on MariaDB (each holds the shared
        // lock the other's update waits for).
        self.count_in_category(&mut tx, new.category_id, 1).await?;
        let id = self
            .stmt(
                "INSERT INTO posts (category_id, author_id, prefix_id, title, content, search_text, version, \
                 comment_count, vote_count, hot_rank, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 0, 0, ?, ?, ?)",
            )
            .bind(new.category_id)
            .bind(new.author_id)
            .bind(new.prefix_id)
            .bind(new.title.as_str().to_owned())
            .bind(new.content.as_str().to_owned())
            .bind(new.search_text.clone())
            .bind(new.hot_rank)
            .bind(now)
            .bind(now)
            .insert_id(&mut *tx)
            .await
            .on_foreign_key(unknown_category)?;
        self.note_search_change(&mut tx, id).await?;
        self.stmt("INSERT INTO post_views (post_id, view_count) VALUES (?, 0)")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.stmt("INSERT INTO post_versions (post_id, version, title, content, created_at) VALUES (?, 1, ?, ?, ?)")
            .bind(id)
            .bind(new.title.as_str().to_owned())
            .bind(new.content.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.add_mentions_in(&mut tx, In::Post, id, &new.mentions)
            .await?;
        self.enqueue_follow_ups(&mut tx, &new.follow_up, id, new.now)
            .await?;
        commit(tx).await?;
        self.outbox_written();
        Ok(id)
    }

    async fn update_post_once(
        &self,
        id: i64,
        author_id: i64,
        edit: &PostEdit,
    ) -> Result<Option<PostDetail>> {
        let now = edit.now.millis();
        let mut tx = self.begin().await?;
        // A move between categories moves the post between two category counters: the
        // row lock taken here orders it with other edits and the delete.
        let moved_from = match edit.category_id {
            Some(to) => match self.lock_active_post(&mut tx, id).await? {
                Some(row) if col::<Option<i64>>(&row, "author_id")? == Some(author_id) => {
                    Some(col::<i64>(&row, "category_id")?).filter(|from| *from != to)
                }
                _ => return Ok(None),
            },
            None => None,
        };
        // Both counters before the UPDATE's foreign-key check, in id order (see
        // insert_post): moves in opposite directions then lock in the same order.
        if let (Some(from), Some(to)) = (moved_from, edit.category_id) {
            let mut moves = [(from, -1), (to, 1)];
            moves.sort_unstable();
            for (category, delta) in moves {
                self.count_in_category(&mut tx, category, delta).await?;
            }
        }
        // The UPDATE takes the row lock (if the move did not), so concurrent edits are
        // numbered one after the other.
        let mut s = self.stmt("UPDATE posts SET prefix_id = ?, title = ?, content = ?, search_text = ?, version = version + 1, updated_at = ?");
        s.args_add(edit.prefix_id);
        s.args_add(edit.title.as_str().to_owned());
        s.args_add(edit.content.as_str().to_owned());
        s.args_add(edit.search_text.clone());
        s.args_add(now);
        if let Some(c) = edit.category_id {
            s.push_bind(", category_id = ?", c);
        }
        s.push_bind(" WHERE id = ?", id);
        s.push_bind(" AND author_id = ? AND deleted_at IS NULL", author_id);
        if s.execute(&mut *tx).await.on_foreign_key(unknown_category)? == 0 {
            return Ok(None);
        }
        let row = self
            .stmt("SELECT version FROM posts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let version: i64 = col(&row, "version")?;
        self.note_search_change(&mut tx, id).await?;
        self.stmt("INSERT INTO post_versions (post_id, version, title, content, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(id)
            .bind(version)
            .bind(edit.title.as_str().to_owned())
            .bind(edit.content.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.set_mentions_in(&mut tx, In::Post, id, &edit.mentions)
            .await?;
        let row = self.post_detail_stmt(id, false).fetch_one(&mut *tx).await?;
        let mut post = detail_from_row(&row)?;
        post.mentions = self.post_mentions(&mut tx, id).await?;
        self.enqueue_follow_ups(&mut tx, &edit.follow_up, id, edit.now)
            .await?;
        commit(tx).await?;
        self.outbox_written();
        Ok(Some(post))
    }
}
