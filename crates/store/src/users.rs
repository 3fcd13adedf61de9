//! Accounts, login history and public profiles.

use async_trait::async_trait;
use madang_domain::listing::{KeyValue, Page, PageRequest};
use madang_domain::ports::{LoginAttempt, NewUser, SessionRef, UserStore};
use madang_domain::users::{Email, LoginRecord, PublicProfile, Role, User, UserName, UserState};
use madang_domain::{Error, Result, Timestamp};
use sqlx::any::AnyRow;

use crate::db::{Db, OnConstraint, col, commit, count, push_page};

pub(crate) const USER_COLS: &str =
    "u.id, u.name, u.email, u.role, u.state, u.state_until, u.state_reason, u.created_at";

/// Index names are chosen so that one substring identifies the field on every engine.
const NAME_KEY: &str = "name_key";
const EMAIL_KEY: &str = "email_key";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    let role: String = col(row, "role")?;
    let state: String = col(row, "state")?;
    let reason = col::<Option<String>>(row, "state_reason")?.unwrap_or_default();
    let state = match state.as_str() {
        "suspended" => UserState::Suspended {
            until: Timestamp(col::<Option<i64>>(row, "state_until")?.unwrap_or(0)),
            reason,
        },
        "banned" => UserState::Banned { reason },
        _ => UserState::Active,
    };
    Ok(User {
        id: col(row, "id")?,
        name: col::<Option<String>>(row, "name")?.unwrap_or_default(),
        email: col::<Option<String>>(row, "email")?.unwrap_or_default(),
        role: Role::parse(&role).unwrap_or(Role::User),
        state,
        created_at: Timestamp(col(row, "created_at")?),
    })
}

/// The conflict a taken name is, for a write the name's unique key refused.
fn name_taken() -> Error {
    Error::conflict("name", "this name is taken")
}

fn email_taken() -> Error {
    Error::conflict("email", "this email is registered already")
}

impl Db {
    /// Stores every name's key as [`UserName::key`] computes it now, for names stored
    /// under an earlier rule: run once, by `migrate`, after the migration that changed
    /// the rule. A name whose new key an earlier name holds already keeps a key of its
    /// own (`key#id`), which nothing typed can match, so it logs in by email only.
    /// Answers how many keys changed.
    pub async fn rekey_names(&self) -> Result<u64> {
        let rows = self
            .stmt("SELECT id, name, name_key FROM users WHERE name IS NOT NULL ORDER BY id")
            .fetch_all(&mut *self.wr_migrating().await?)
            .await?;
        let mut changed = 0;
        for r in &rows {
            let id: i64 = col(r, "id")?;
            let name: String = col(r, "name")?;
            let old: Option<String> = col(r, "name_key")?;
            let key = madang_domain::users::name_key(&name);
            let own = format!("{key}#{id}");
            if old.as_deref() == Some(key.as_str()) || old.as_deref() == Some(own.as_str()) {
                continue;
            }
            let set = |key: String| {
                self.stmt("UPDATE users SET name_key = ? WHERE id = ?")
                    .bind(key)
                    .bind(id)
            };
            let first = set(key.clone())
                .execute(&mut *self.wr_migrating().await?)
                .await
                .on_unique(NAME_KEY, name_taken);
            match first {
                Ok(_) => {}
                // An earlier name holds the key now: this one keeps one of its own.
                Err(Error::Conflict { .. }) => {
                    set(own).execute(&mut *self.wr_migrating().await?).await?;
                }
                Err(e) => return Err(e),
            }
            changed += 1;
        }
        Ok(changed)
    }

    /// Reports a taken name or email before writing, for a clear answer; the unique
    /// indexes remain the judge when two sign-ups race.
    async fn check_free(
        &self,
        id: i64,
        name: Option<&UserName>,
        email: Option<&Email>,
    ) -> Result<()> {
        if let Some(n) = name {
            let s = self
                .stmt("SELECT COUNT(*) AS n FROM users WHERE name_key = ? AND id <> ?")
                .bind(n.key())
                .bind(id);
            if count(s, &mut *self.rd().await?).await? > 0 {
                return Err(Error::conflict("name", "this name is taken"));
            }
        }
        if let Some(e) = email {
            let s = self
                .stmt("SELECT COUNT(*) AS n FROM users WHERE email_key = ? AND id <> ?")
                .bind(e.key())
                .bind(id);
            if count(s, &mut *self.rd().await?).await? > 0 {
                return Err(Error::conflict("email", "this email is registered already"));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl UserStore for Db {
    async fn insert_user(&self, new: &NewUser) -> Result<User> {
        self.check_free(0, Some(&new.name), Some(&new.email))
            .await?;
        let now = new.now.millis();
        let id = self
            .stmt(
                "INSERT INTO users (name, name_key, email, email_key, password_hash, role, state, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)",
            )
            .bind(new.name.as_str().to_owned())
            .bind(new.name.key())
            .bind(new.email.as_str().to_owned())
            .bind(new.email.key())
            .bind(new.password_hash.clone())
            .bind(new.role.as_str().to_owned())
            .bind(now)
            .bind(now)
            .insert_id(&mut *self.wr().await?)
            .await
            .on_unique(NAME_KEY, name_taken)
            .on_unique(EMAIL_KEY, email_taken)?;
        self.user_on_primary(id)
            .await?
            .ok_or(Error::NotFound("user"))
    }

    async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql =
            format!("SELECT {USER_COLS} FROM users u WHERE u.id = ? AND u.deleted_at IS NULL");
        let row = self
            .stmt(&sql)
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_key(&self, name_key: &str, email_key: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users u WHERE (u.name_key = ? OR u.email_key = ?) AND u.deleted_at IS NULL"
        );
        let row = self
            .stmt(&sql)
            .bind(name_key.to_owned())
            .bind(email_key.to_owned())
            .fetch_optional(&mut *self.rd().await?)
            .await;
        row?.as_ref().map(user_from_row).transpose()
    }

    async fn credentials(&self, name_key: &str, email_key: &str) -> Result<Option<(User, String)>> {
        let sql = format!(
            "SELECT {USER_COLS}, u.password_hash FROM users u \
             WHERE (u.name_key = ? OR u.email_key = ?) AND u.deleted_at IS NULL"
        );
        let row = self
            .stmt(&sql)
            .bind(name_key.to_owned())
            .bind(email_key.to_owned())
            .fetch_optional(&mut *self.rd().await?)
            .await;
        match row? {
            Some(r) => {
                let hash: Option<String> = col(&r, "password_hash")?;
                Ok(hash
                    .map(|h| user_from_row(&r).map(|u| (u, h)))
                    .transpose()?)
            }
            None => Ok(None),
        }
    }

    async fn staff_names(&self) -> Result<Vec<(i64, String)>> {
        let rows = self
            .stmt(
                "SELECT id, name FROM users WHERE role IN ('moderator', 'admin') \
                 AND deleted_at IS NULL AND name IS NOT NULL",
            )
            .fetch_all(&mut *self.rd().await?)
            .await?;
        rows.iter()
            .map(|r| Ok((col(r, "id")?, col(r, "name")?)))
            .collect()
    }

    async fn ids_by_name_keys(&self, keys: &[String]) -> Result<Vec<(String, i64)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut s =
            self.stmt("SELECT name_key, id FROM users WHERE deleted_at IS NULL AND name_key IN (");
        for (i, k) in keys.iter().enumerate() {
            s.push_bind(if i == 0 { "?" } else { ", ?" }, k.clone());
        }
        s.push_sql(")");
        let rows = s.fetch_all(&mut *self.rd().await?).await?;
        rows.iter()
            .map(|r| Ok((col(r, "name_key")?, col(r, "id")?)))
            .collect()
    }

    async fn password_hash(&self, id: i64) -> Result<Option<String>> {
        let row = self
            .stmt("SELECT password_hash FROM users WHERE id = ? AND deleted_at IS NULL")
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        Ok(match row {
            Some(r) => col::<Option<String>>(&r, "password_hash")?,
            None => None,
        })
    }

    async fn update_profile(
        &self,
        id: i64,
        name: Option<&UserName>,
        email: Option<&Email>,
        now: Timestamp,
    ) -> Result<User> {
        self.check_free(id, name, email).await?;
        let mut s = self.stmt("UPDATE users SET updated_at = ?");
        s.args_add(now.millis());
        if let Some(n) = name {
            s.push_bind(", name = ?", n.as_str().to_owned());
            s.push_bind(", name_key = ?", n.key());
        }
        if let Some(e) = email {
            s.push_bind(", email = ?", e.as_str().to_owned());
            s.push_bind(", email_key = ?", e.key());
        }
        s.push_bind(" WHERE id = ? AND deleted_at IS NULL", id);
        s.execute(&mut *self.wr().await?)
            .await
            .on_unique(NAME_KEY, name_taken)
            .on_unique(EMAIL_KEY, email_taken)?;
        self.user_on_primary(id)
            .await?
            .ok_or(Error::NotFound("user"))
    }

    async fn update_password(
        &self,
        id: i64,
        hash: &str,
        keep: SessionRef,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.stmt("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
            .bind(hash.to_owned())
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Every kind of session of the member ends but the one the change came from.
        let (api, member, console) = match keep {
            SessionRef::Api(k) => (k, 0, 0),
            SessionRef::Member(k) => (0, k, 0),
            SessionRef::Console(k) => (0, 0, k),
        };
        for (table, keep_id) in [
            ("sessions", api),
            ("member_sessions", member),
            ("console_sessions", console),
        ] {
            let sql = format!(
                "UPDATE {table} SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?"
            );
            self.stmt(&sql)
                .bind(now.millis())
                .bind(id)
                .bind(keep_id)
                .execute(&mut *tx)
                .await?;
        }
        commit(tx).await
    }

    async fn erase_user(&self, id: i64, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        self.stmt(
            "UPDATE users SET name = NULL, name_key = NULL, email = NULL, email_key = NULL, password_hash = NULL, \
             state_reason = NULL, deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
        )
        .bind(now.millis())
        .bind(now.millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.stmt("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.stmt("DELETE FROM login_history WHERE user_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.stmt("UPDATE user_states SET reason = NULL WHERE user_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        commit(tx).await
    }

    async fn record_login(&self, a: &LoginAttempt) -> Result<()> {
        self.stmt("INSERT INTO login_history (user_id, succeeded, ip, user_agent, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(a.user_id)
            .bind(i64::from(a.succeeded))
            .bind(a.ip.clone())
            .bind(a.user_agent.clone())
            .bind(a.now.millis())
            .execute(&mut *self.wr().await?)
            .await
            .map(|_| ())
            .map_err(Into::into)
    }

    async fn logins(&self, user_id: i64, page: &PageRequest) -> Result<Page<LoginRecord>> {
        let mut s = self.stmt(
            "SELECT id, succeeded, ip, user_agent, created_at FROM login_history WHERE user_id = ?",
        );
        s.args_add(user_id);
        push_page(&mut s, "created_at", "id", true, page);
        let rows = s.fetch_all(&mut *self.rd_lagging().await?).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(LoginRecord {
                    id: col(r, "id")?,
                    created_at: Timestamp(col(r, "created_at")?),
                    succeeded: col::<i64>(r, "succeeded")? != 0,
                    ip: col(r, "ip")?,
                    user_agent: col(r, "user_agent")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let total = count(
            self.stmt("SELECT COUNT(*) AS n FROM login_history WHERE user_id = ?")
                .bind(user_id),
            &mut *self.rd_lagging().await?,
        )
        .await?;
        Ok(Page::from_rows(items, page, "logins", total, false, |l| {
            (KeyValue::Int(l.created_at.millis()), l.id)
        }))
    }

    async fn public_profile(&self, id: i64) -> Result<Option<PublicProfile>> {
        let row = self
            .stmt(
                "SELECT u.id, u.name, u.created_at, \
                 (SELECT COUNT(*) FROM posts p WHERE p.author_id = u.id AND p.deleted_at IS NULL) AS post_count, \
                 (SELECT COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id \
                   WHERE c.author_id = u.id AND c.deleted_at IS NULL AND p.deleted_at IS NULL) AS comment_count \
                 FROM users u WHERE u.id = ? AND u.deleted_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *self.rd_lagging().await?)
            .await?;
        row.map(|r| {
            Ok(PublicProfile {
                id: col(&r, "id")?,
                name: col::<Option<String>>(&r, "name")?.unwrap_or_default(),
                created_at: Timestamp(col(&r, "created_at")?),
                post_count: col(&r, "post_count")?,
                comment_count: col(&r, "comment_count")?,
            })
        })
        .transpose()
    }

    async fn set_role(&self, id: i64, role: Role, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        self.set_role_in(&mut tx, id, role, now).await?;
        commit(tx).await
    }

    async fn set_state(&self, id: i64, state: &UserState, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        self.set_state_in(&mut tx, id, state, now).await?;
        commit(tx).await
    }
}

impl Db {
    /// Sets a member's role in the caller's transaction.
    pub(crate) async fn set_role_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        role: Role,
        now: Timestamp,
    ) -> Result<()> {
        let n = self
            .stmt("UPDATE users SET role = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL")
            .bind(role.as_str().to_owned())
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if n == 0 {
            Err(Error::NotFound("user"))
        } else {
            Ok(())
        }
    }

    /// Sets a member's state, and records it in their state history, in the caller's
    /// transaction.
    pub(crate) async fn set_state_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        state: &UserState,
        now: Timestamp,
    ) -> Result<()> {
        let (until, reason) = match state {
            UserState::Active => (None, None),
            UserState::Suspended { until, reason } => (Some(until.millis()), Some(reason.clone())),
            UserState::Banned { reason } => (None, Some(reason.clone())),
        };
        let n = self
            .stmt(
                "UPDATE users SET state = ?, state_until = ?, state_reason = ?, updated_at = ? \
                 WHERE id = ? AND deleted_at IS NULL",
            )
            .bind(state.kind().to_owned())
            .bind(until)
            .bind(reason.clone())
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if n == 0 {
            return Err(Error::NotFound("user"));
        }
        self.stmt("INSERT INTO user_states (user_id, state, until_at, reason, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(id)
            .bind(state.kind().to_owned())
            .bind(until)
            .bind(reason)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

impl Db {
    /// Reads a user just written, from the primary.
    async fn user_on_primary(&self, id: i64) -> Result<Option<User>> {
        let sql =
            format!("SELECT {USER_COLS} FROM users u WHERE u.id = ? AND u.deleted_at IS NULL");
        let row = self
            .stmt(&sql)
            .bind(id)
            .fetch_optional(&mut *self.wr().await?)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}
