//! The category tree's rows.

use async_trait::async_trait;
use std::collections::HashMap;

use madang_domain::categories::{Category, CategoryName};
use madang_domain::ports::CategoryStore;
use madang_domain::posts::PrefixRef;
use madang_domain::prefixes::PrefixName;
use madang_domain::{Error, Result, Timestamp};

use crate::db::{Db, DbError, OnConstraint, col, commit, count};

/// A write of a category that its constraints refused, answered as what it means: a
/// taken name under the parent, or a parent that is not there.
fn checked<T>(r: std::result::Result<T, DbError>) -> Result<T> {
    r.on_unique("name_key", || {
        Error::conflict(
            "name",
            "a category with this name exists under the same parent",
        )
    })
    .on_foreign_key(|| Error::invalid("parent_id", "exists", "parent_id does not name a category"))
}

impl Db {
    /// Renames a category in the caller's transaction (the sibling-name rule applies).
    /// Sets whether the board asks every post for a prefix; whether a row changed.
    pub(crate) async fn set_prefix_required_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        required: bool,
    ) -> Result<bool> {
        let n = self
            .stmt("UPDATE categories SET prefix_required = ? WHERE id = ?")
            .bind(i64::from(required))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(n > 0)
    }

    /// Adds a prefix at the end of the board's list; its id.
    pub(crate) async fn add_prefix_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        board: i64,
        name: &PrefixName,
        now: Timestamp,
    ) -> Result<i64> {
        let row = self
            .stmt("SELECT COALESCE(MAX(position), 0) AS last FROM board_prefixes WHERE category_id = ?")
            .bind(board)
            .fetch_one(&mut *tx)
            .await?;
        let last: i64 = col(&row, "last")?;
        self.stmt("INSERT INTO board_prefixes (category_id, name, name_key, position, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(board)
            .bind(name.as_str().to_owned())
            .bind(name.key())
            .bind(last + 1)
            .bind(now.millis())
            .insert_id(&mut *tx)
            .await
            .on_unique("name", || {
                Error::conflict("name", "the board has a prefix of this name")
            })
    }

    /// Removes a board's prefix and clears it from its posts; whether it was there.
    pub(crate) async fn delete_prefix_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        board: i64,
        prefix: i64,
    ) -> Result<bool> {
        let n = self
            .stmt("DELETE FROM board_prefixes WHERE id = ? AND category_id = ?")
            .bind(prefix)
            .bind(board)
            .execute(&mut *tx)
            .await?;
        if n == 0 {
            return Ok(false);
        }
        self.stmt("UPDATE posts SET prefix_id = NULL WHERE prefix_id = ?")
            .bind(prefix)
            .execute(&mut *tx)
            .await?;
        Ok(true)
    }

    pub(crate) async fn rename_category_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        name: &CategoryName,
    ) -> Result<bool> {
        let n = self
            .stmt("UPDATE categories SET name = ?, name_key = ? WHERE id = ?")
            .bind(name.as_str().to_owned())
            .bind(name.key())
            .bind(id)
            .execute(&mut *tx)
            .await;
        Ok(checked(n)? > 0)
    }
}

#[async_trait]
impl CategoryStore for Db {
    async fn all_categories(&self) -> Result<Vec<Category>> {
        let mut conn = self.rd_lagging().await?;
        let rows = self
            .stmt("SELECT id, name, parent_id, prefix_required FROM categories")
            .fetch_all(&mut *conn)
            .await?;
        let prefixes = self
            .stmt("SELECT id, category_id, name FROM board_prefixes ORDER BY category_id, position, id")
            .fetch_all(&mut *conn)
            .await?;
        let mut by_board: HashMap<i64, Vec<PrefixRef>> = HashMap::new();
        for p in &prefixes {
            by_board
                .entry(col(p, "category_id")?)
                .or_default()
                .push(PrefixRef {
                    id: col(p, "id")?,
                    name: col(p, "name")?,
                });
        }
        rows.iter()
            .map(|r| {
                let id = col(r, "id")?;
                Ok(Category {
                    id,
                    name: col(r, "name")?,
                    parent_id: col(r, "parent_id")?,
                    prefixes: by_board.remove(&id).unwrap_or_default(),
                    prefix_required: col::<i64>(r, "prefix_required")? != 0,
                })
            })
            .collect()
    }

    async fn set_prefix_required(&self, id: i64, required: bool) -> Result<()> {
        self.set_prefix_required_in(&mut *self.wr().await?, id, required)
            .await
            .map(|_| ())
    }

    async fn add_prefix(&self, board: i64, name: &PrefixName, now: Timestamp) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = self.add_prefix_in(&mut tx, board, name, now).await?;
        commit(tx).await?;
        Ok(id)
    }

    async fn delete_prefix(&self, board: i64, prefix: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        if !self.delete_prefix_in(&mut tx, board, prefix).await? {
            return Ok(false);
        }
        commit(tx).await?;
        Ok(true)
    }

    async fn create_category(
        &self,
        name: &CategoryName,
        parent: Option<i64>,
        now: Timestamp,
    ) -> Result<i64> {
        let id = self
            .stmt("INSERT INTO categories (name, name_key, parent_id, parent_key, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(name.as_str().to_owned())
            .bind(name.key())
            .bind(parent)
            .bind(parent.unwrap_or(0))
            .bind(now.millis())
            .insert_id(&mut *self.wr().await?)
            .await;
        checked(id)
    }

    async fn update_category(
        &self,
        id: i64,
        name: &CategoryName,
        parent: Option<i64>,
    ) -> Result<()> {
        let n = self
            .stmt("UPDATE categories SET name = ?, name_key = ?, parent_id = ?, parent_key = ? WHERE id = ?")
            .bind(name.as_str().to_owned())
            .bind(name.key())
            .bind(parent)
            .bind(parent.unwrap_or(0))
            .bind(id)
            .execute(&mut *self.wr().await?)
            .await;
        if checked(n)? == 0 {
            Err(Error::NotFound("category"))
        } else {
            Ok(())
        }
    }

    async fn delete_category(&self, id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let children = count(
            self.stmt("SELECT COUNT(*) AS n FROM categories WHERE parent_id = ?")
                .bind(id),
            &mut *tx,
        )
        .await?;
        if children > 0 {
            return Err(Error::state_conflict(
                "the category has child categories; move or delete them first",
            ));
        }
        let posts = count(
            self.stmt("SELECT COUNT(*) AS n FROM posts WHERE category_id = ?")
                .bind(id),
            &mut *tx,
        )
        .await?;
        if posts > 0 {
            return Err(Error::state_conflict(
                "the category holds posts; move them first",
            ));
        }
        let n = self
            .stmt("DELETE FROM categories WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .on_foreign_key(|| {
                Error::state_conflict("the category holds posts or child categories")
            })?;
        if n == 0 {
            return Err(Error::NotFound("category"));
        }
        commit(tx).await
    }
}
