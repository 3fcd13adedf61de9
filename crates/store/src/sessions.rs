//! Log-in sessions and their rotating refresh tokens.

use async_trait::async_trait;
use madang_domain::ports::{Rotation, SessionStore};
use madang_domain::users::User;
use madang_domain::{Result, Timestamp};

use crate::db::{Db, col, commit};
use crate::users::{USER_COLS, user_from_row};

#[async_trait]
impl SessionStore for Db {
    async fn open_session(
        &self,
        user_id: i64,
        refresh_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let session_id = self
            .stmt("INSERT INTO sessions (user_id, created_at) VALUES (?, ?)")
            .bind(user_id)
            .bind(now.millis())
            .insert_id(&mut *tx)
            .await?;
        self.stmt("INSERT INTO refresh_tokens (session_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?)")
            .bind(session_id)
            .bind(refresh_hash.to_owned())
            .bind(expires_at.millis())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        commit(tx).await?;
        Ok(session_id)
    }

    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
        grace_ms: i64,
    ) -> Result<Rotation> {
        // Two tabs refreshing one token at once meet on its row; the engine may end
        // one of them to break the lock cycle, and that one simply runs again.
        let mut attempt = 0;
        loop {
            match self
                .rotate_refresh_once(old_hash, new_hash, expires_at, now, grace_ms)
                .await
            {
                Err(e) if attempt < 3 && crate::db::is_lock_conflict(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    async fn revoke_sessions(&self, user_id: i64, now: Timestamp) -> Result<()> {
        self.stmt("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(now.millis())
            .bind(user_id)
            .execute(&mut *self.wr().await?)
            .await
            .map(|_| ())
            .map_err(Into::into)
    }

    async fn session_user(&self, session_id: i64, user_id: i64) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND u.deleted_at IS NULL"
        );
        let row = self
            .stmt(&sql)
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}

impl Db {
    /// One attempt of [`SessionStore::rotate_refresh`], in one transaction.
    async fn rotate_refresh_once(
        &self,
        old_hash: &str,
        new_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
        grace_ms: i64,
    ) -> Result<Rotation> {
        let mut tx = self.begin().await?;
        // The token row is locked, so two clients presenting the same token are
        // served one after the other: the second sees it spent.
        let sql = format!(
            "SELECT rt.id, rt.session_id, rt.expires_at, rt.used_at, s.user_id, s.revoked_at \
             FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = ?{}",
            self.for_update()
        );
        let Some(row) = self
            .stmt(&sql)
            .bind(old_hash.to_owned())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(Rotation::Invalid);
        };
        let token_id: i64 = col(&row, "id")?;
        let session_id: i64 = col(&row, "session_id")?;
        let user_id: i64 = col(&row, "user_id")?;
        if col::<Option<i64>>(&row, "revoked_at")?.is_some() {
            return Ok(Rotation::Invalid);
        }
        let used_at = col::<Option<i64>>(&row, "used_at")?;
        if used_at.is_some_and(|used| now.millis() - used > grace_ms) {
            self.stmt("UPDATE sessions SET revoked_at = ? WHERE id = ?")
                .bind(now.millis())
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            commit(tx).await?;
            return Ok(Rotation::Reused);
        }
        if col::<i64>(&row, "expires_at")? <= now.millis() {
            return Ok(Rotation::Invalid);
        }
        // Spent just now by another tab: it stays spent when it was, and this
        // refresh gets a token of its own in the same session.
        if used_at.is_none() {
            self.stmt("UPDATE refresh_tokens SET used_at = ? WHERE id = ?")
                .bind(now.millis())
                .bind(token_id)
                .execute(&mut *tx)
                .await?;
        }
        self.stmt("INSERT INTO refresh_tokens (session_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?)")
            .bind(session_id)
            .bind(new_hash.to_owned())
            .bind(expires_at.millis())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        commit(tx).await?;
        Ok(Rotation::Rotated {
            user_id,
            session_id,
        })
    }
}
