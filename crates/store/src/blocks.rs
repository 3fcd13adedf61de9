//! Who blocks whom (차단).

use async_trait::async_trait;
use madang_domain::blocks::{BlockStore, MAX_BLOCKS};
use madang_domain::users::AuthorRef;
use madang_domain::{Result, Timestamp};

use crate::db::{Db, col, commit};

#[async_trait]
impl BlockStore for Db {
    async fn set_block(&self, user_id: i64, target: i64, on: bool, now: Timestamp) -> Result<bool> {
        let mut tx = self.begin().await?;
        let exists = self
            .stmt("SELECT id FROM users WHERE id = ? AND deleted_at IS NULL")
            .bind(target)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Ok(false);
        }
        if on {
            // The primary key keeps racing blocks to one row.
            let sql =
                self.insert_ignore("blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?)");
            self.stmt(&sql)
                .bind(user_id)
                .bind(target)
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
        } else {
            self.stmt("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?")
                .bind(user_id)
                .bind(target)
                .execute(&mut *tx)
                .await?;
        }
        commit(tx).await?;
        Ok(true)
    }

    async fn blocked(&self, user_id: i64) -> Result<Vec<AuthorRef>> {
        let sql = format!(
            "SELECT b.blocked_id, u.name FROM blocks b JOIN users u ON u.id = b.blocked_id \
             WHERE b.user_id = ? ORDER BY b.created_at DESC, b.blocked_id LIMIT {MAX_BLOCKS}"
        );
        // From the primary: a member who just blocked someone sees it on the next page.
        let rows = self
            .stmt(&sql)
            .bind(user_id)
            .fetch_all(&mut *self.wr().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuthorRef {
                    id: col(r, "blocked_id")?,
                    name: col::<Option<String>>(r, "name")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn blocked_ids(&self, user_id: i64) -> Result<Vec<i64>> {
        let sql = format!("SELECT blocked_id FROM blocks WHERE user_id = ? LIMIT {MAX_BLOCKS}");
        let rows = self
            .stmt(&sql)
            .bind(user_id)
            .fetch_all(&mut *self.wr().await?)
            .await?;
        rows.iter().map(|r| col(r, "blocked_id")).collect()
    }

    async fn blockers_among(&self, actor: i64, users: &[i64]) -> Result<Vec<i64>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = self.stmt("SELECT user_id FROM blocks WHERE blocked_id = ? AND user_id IN ");
        s.args_add(actor);
        s.push_in_list(users);
        let rows = s.fetch_all(&mut *self.rd().await?).await?;
        rows.iter().map(|r| col(r, "user_id")).collect()
    }
}
