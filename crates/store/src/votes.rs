//! Votes on posts and comments: one row per member and item, and the item's counter
//! moved in the same transaction. Both kinds share this; each keeps its own counter
//! update, since a post's vote also moves its hot rank.

use madang_domain::{Result, Timestamp};
use sqlx::{Any, Transaction};

use crate::db::Db;

/// The kind of item a vote is for: its vote table and the column naming the item.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VoteTable {
    Post,
    Comment,
}

impl VoteTable {
    fn insert(self) -> &'static str {
        match self {
            Self::Post => "post_votes (post_id, user_id, created_at) VALUES (?, ?, ?)",
            Self::Comment => "comment_votes (comment_id, user_id, created_at) VALUES (?, ?, ?)",
        }
    }

    fn delete(self) -> &'static str {
        match self {
            Self::Post => "DELETE FROM post_votes WHERE post_id = ? AND user_id = ?",
            Self::Comment => "DELETE FROM comment_votes WHERE comment_id = ? AND user_id = ?",
        }
    }
}

impl Db {
    /// Records (`on`) or withdraws a member's vote on an item whose row `tx` holds
    /// locked with `votes` counted; the count afterwards, and whether it moved (a
    /// second vote or a second withdrawal changes nothing).
    pub(crate) async fn toggle_vote(
        &self,
        tx: &mut Transaction<'static, Any>,
        table: VoteTable,
        item: i64,
        user_id: i64,
        on: bool,
        (votes, now): (i64, Timestamp),
    ) -> Result<(i64, bool)> {
        let changed = if on {
            self.stmt(&self.insert_ignore(table.insert()))
                .bind(item)
                .bind(user_id)
                .bind(now.millis())
                .execute(&mut **tx)
                .await?
        } else {
            self.stmt(table.delete())
                .bind(item)
                .bind(user_id)
                .execute(&mut **tx)
                .await?
        };
        Ok(match (changed > 0, on) {
            (false, _) => (votes, false),
            (true, true) => (votes + 1, true),
            (true, false) => (votes - 1, true),
        })
    }
}
