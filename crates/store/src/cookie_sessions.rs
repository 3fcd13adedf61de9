//! Cookie sessions, the console's and the web app's: one table each, the same
//! columns and the same statements (a row under the SHA-256 of the cookie's token).

use async_trait::async_trait;
use madang_domain::users::User;
use madang_domain::web_sessions::MemberSessionStore;
use madang_domain::{Result, Timestamp};

use crate::db::{Db, col};
use crate::users::{USER_COLS, user_from_row};

/// Which cookie sessions a statement is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CookieTable {
    Console,
    Member,
}

impl CookieTable {
    fn name(self) -> &'static str {
        match self {
            Self::Console => "console_sessions",
            Self::Member => "member_sessions",
        }
    }
}

pub(crate) struct NewCookieSession<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub csrf: &'a str,
    pub expires: Timestamp,
    pub now: Timestamp,
}

impl Db {
    pub(crate) async fn open_cookie_session(
        &self,
        table: CookieTable,
        new: &NewCookieSession<'_>,
    ) -> Result<i64> {
        let sql = format!(
            "INSERT INTO {} (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            table.name()
        );
        self.stmt(&sql)
            .bind(new.token_hash.to_owned())
            .bind(new.user_id)
            .bind(new.csrf.to_owned())
            .bind(new.now.millis())
            .bind(new.expires.millis())
            .insert_id(&mut *self.wr().await?)
            .await
            .map_err(Into::into)
    }

    /// The live session under this token hash: its id, its member (not erased) and
    /// its CSRF token.
    pub(crate) async fn cookie_session(
        &self,
        table: CookieTable,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, User, String)>> {
        let sql = format!(
            "SELECT cs.id AS session_id, cs.csrf, {USER_COLS} FROM {} cs \
             JOIN users u ON u.id = cs.user_id \
             WHERE cs.token_hash = ? AND cs.revoked_at IS NULL AND cs.expires_at > ? AND u.deleted_at IS NULL",
            table.name()
        );
        let row = self
            .stmt(&sql)
            .bind(token_hash.to_owned())
            .bind(now.millis())
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((
            col(&row, "session_id")?,
            user_from_row(&row)?,
            col(&row, "csrf")?,
        )))
    }

    pub(crate) async fn close_cookie_session(
        &self,
        table: CookieTable,
        id: i64,
        now: Timestamp,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            table.name()
        );
        self.stmt(&sql)
            .bind(now.millis())
            .bind(id)
            .execute(&mut *self.wr().await?)
            .await?;
        Ok(())
    }

    /// Ends every session of a member but `keep`.
    pub(crate) async fn close_cookie_sessions_of(
        &self,
        table: CookieTable,
        user_id: i64,
        keep: i64,
        now: Timestamp,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL",
            table.name()
        );
        self.stmt(&sql)
            .bind(now.millis())
            .bind(user_id)
            .bind(keep)
            .execute(&mut *self.wr().await?)
            .await?;
        Ok(())
    }
}

impl Db {
    /// Deletes the cookie sessions of both kinds that expired or were revoked before
    /// `before`.
    pub(crate) async fn purge_ended_cookie_sessions(&self, before: Timestamp) -> Result<u64> {
        let mut n = 0;
        for table in [CookieTable::Console, CookieTable::Member] {
            let sql = format!(
                "DELETE FROM {} WHERE expires_at < ? OR revoked_at < ?",
                table.name()
            );
            n += self
                .stmt(&sql)
                .bind(before.millis())
                .bind(before.millis())
                .execute(&mut *self.wr().await?)
                .await?;
        }
        Ok(n)
    }
}

#[async_trait]
impl MemberSessionStore for Db {
    async fn open_member_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<i64> {
        let new = NewCookieSession {
            user_id,
            token_hash,
            csrf,
            expires,
            now,
        };
        self.open_cookie_session(CookieTable::Member, &new).await
    }

    async fn member_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, User, String)>> {
        self.cookie_session(CookieTable::Member, token_hash, now)
            .await
    }

    async fn close_member_session(&self, id: i64, now: Timestamp) -> Result<()> {
        self.close_cookie_session(CookieTable::Member, id, now)
            .await
    }

    async fn close_member_sessions_of(
        &self,
        user_id: i64,
        keep: i64,
        now: Timestamp,
    ) -> Result<()> {
        self.close_cookie_sessions_of(CookieTable::Member, user_id, keep, now)
            .await
    }
}
