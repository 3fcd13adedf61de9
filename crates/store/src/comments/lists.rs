//! The lists of comments: a post's threads, and a member's comments.

use madang_domain::Result;
use madang_domain::comments::{Comment, ORDER_OF_POST, ORDER_OF_USER, REPLIES_SHOWN};
use madang_domain::listing::{Page, PageRequest};

use super::{COMMENT_COLS, COMMENT_FROM, COMMENT_SELECT, comment_from_row};
use crate::db::{COUNT_CAP, Db, col, count, push_page};
use crate::mentions::In;

impl Db {
    /// A post's threads: a page of its top-level comments (placeholders included), each
    /// followed by up to `REPLIES_SHOWN` of its replies, totalled by `thread_count`.
    pub(super) async fn thread_page(
        &self,
        post_id: i64,
        page: &PageRequest,
    ) -> Result<Page<Comment>> {
        let mut conn = self.rd_lagging().await?;
        let mut s = self.stmt(&format!(
            "SELECT {COMMENT_COLS} {COMMENT_FROM} WHERE p.deleted_at IS NULL AND c.post_id = ? \
             AND c.parent_id IS NULL AND (c.deleted_at IS NULL OR c.reply_count > 0)"
        ));
        s.args_add(post_id);
        push_page(&mut s, "c.created_at", "c.id", false, page);
        let rows = s.fetch_all(&mut *conn).await?;
        let tops = rows
            .iter()
            .map(comment_from_row)
            .collect::<Result<Vec<_>>>()?;
        let total = self
            .stmt("SELECT thread_count AS n FROM posts WHERE id = ? AND deleted_at IS NULL")
            .bind(post_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| col::<i64>(&r, "n"))
            .transpose()?
            .unwrap_or(0);
        // The extra row only tells that a next page exists: its replies are not read.
        let shown: Vec<i64> = tops
            .iter()
            .take(page.size as usize)
            .filter(|c| c.reply_count > 0)
            .map(|c| c.id)
            .collect();
        let mut replies: std::collections::HashMap<i64, Vec<Comment>> = Default::default();
        if !shown.is_empty() {
            let mut s = self.stmt(&format!(
                "SELECT * FROM (SELECT {COMMENT_COLS}, ROW_NUMBER() OVER \
                 (PARTITION BY c.parent_id ORDER BY c.created_at, c.id) AS rn {COMMENT_FROM} \
                 WHERE c.deleted_at IS NULL AND c.parent_id IN "
            ));
            s.push_in_list(&shown);
            s.push_bind(
                ") t WHERE t.rn <= ? ORDER BY t.parent_id, t.created_at, t.id",
                i64::from(REPLIES_SHOWN),
            );
            for r in s.fetch_all(&mut *conn).await? {
                let c = comment_from_row(&r)?;
                replies.entry(c.parent_id.unwrap_or(0)).or_default().push(c);
            }
        }
        let first = Page::from_rows(tops, page, ORDER_OF_POST, total, false, Comment::key);
        let mut items = Vec::with_capacity(first.items.len());
        for top in &first.items {
            let id = top.id;
            items.push(top.clone());
            items.extend(replies.remove(&id).unwrap_or_default());
        }
        self.with_mentions(&mut conn, &mut items).await?;
        Ok(Page { items, ..first })
    }

    /// Fills each comment's mentions, in one query.
    pub(super) async fn with_mentions(
        &self,
        conn: &mut sqlx::AnyConnection,
        items: &mut [Comment],
    ) -> Result<()> {
        let ids: Vec<i64> = items.iter().filter(|c| !c.deleted).map(|c| c.id).collect();
        let mut found = self.mentions_of(conn, In::Comment, &ids).await?;
        for c in items.iter_mut() {
            c.mentions = found.remove(&c.id).unwrap_or_default();
        }
        Ok(())
    }

    /// A member's comments, newest first, counted up to COUNT_CAP.
    pub(super) async fn user_comment_page(
        &self,
        user_id: i64,
        page: &PageRequest,
    ) -> Result<Page<Comment>> {
        let filter = " AND c.author_id = ?";
        let mut s = self.stmt(COMMENT_SELECT);
        s.push_bind(filter, user_id);
        push_page(&mut s, "c.created_at", "c.id", true, page);
        let mut conn = self.rd_lagging().await?;
        let rows = s.fetch_all(&mut *conn).await?;
        let mut items = rows
            .iter()
            .map(comment_from_row)
            .collect::<Result<Vec<_>>>()?;
        self.with_mentions(&mut conn, &mut items).await?;
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT c.id FROM comments c JOIN posts p ON p.id = c.post_id \
             WHERE c.deleted_at IS NULL AND p.deleted_at IS NULL{filter} LIMIT ?) t"
        );
        let s = self.stmt(&count_sql).bind(user_id).bind(COUNT_CAP + 1);
        let n = count(s, &mut *conn).await?;
        Ok(Page::from_rows(
            items,
            page,
            ORDER_OF_USER,
            n.min(COUNT_CAP),
            n > COUNT_CAP,
            Comment::key,
        ))
    }
}
