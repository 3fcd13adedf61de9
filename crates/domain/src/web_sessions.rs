//! Members' sessions in the web app: log-in behind a cookie, the CSRF token every
//! form carries, log-out, and the sessions a password change or a resignation ends.
//!
//! Like the console's, a session is a stored row under the SHA-256 of a random token;
//! the cookie carries the token. The API's bearer tokens are a separate family.

use std::sync::Arc;

use async_trait::async_trait;

use crate::accounts::{Accounts, Actor, ClientInfo, LoginGate, PasswordChange};
use crate::error::{Error, Result};
use crate::ports::{SessionRef, TokenCodec};
use crate::time::{Clock, Timestamp};
use crate::users::User;

/// Where members' web sessions are kept.
#[async_trait]
pub trait MemberSessionStore: Send + Sync {
    async fn open_member_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<i64>;
    /// The live session under this token hash, with its member (not erased), and
    /// the session's CSRF token.
    async fn member_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, User, String)>>;
    async fn close_member_session(&self, id: i64, now: Timestamp) -> Result<()>;
    /// Ends every web session of a member but `keep` (0 keeps none).
    async fn close_member_sessions_of(&self, user_id: i64, keep: i64, now: Timestamp)
    -> Result<()>;
}

/// A member signed in to the web app.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The member, with the state in force now.
    pub user: User,
    pub session_id: i64,
    pub csrf: String,
}

impl SignedIn {
    /// The member as the use cases see a caller.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.user.id,
            role: self.user.role,
            state: self.user.state.clone(),
            // Not an API session: a password change keeps none of those.
            session_id: 0,
        }
    }

    /// Checks a submitted form's CSRF token against the session's.
    pub fn check_csrf(&self, token: &str) -> Result<()> {
        check_form_token(token, &self.csrf)
    }
}

/// Compares a form's token with the expected one in constant time.
pub fn check_form_token(sent: &str, expected: &str) -> Result<()> {
    let (a, b) = (sent.as_bytes(), expected.as_bytes());
    let same = !b.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    if same {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "the form is stale or was not sent by this site; reload the page and try again".into(),
        ))
    }
}

/// Web session settings.
#[derive(Debug, Clone, Copy)]
pub struct WebSessionSettings {
    pub ttl_secs: i64,
}

impl Default for WebSessionSettings {
    fn default() -> Self {
        Self {
            ttl_secs: 30 * 24 * 3600,
        }
    }
}

pub struct MemberSessions {
    store: Arc<dyn MemberSessionStore>,
    accounts: Arc<Accounts>,
    tokens: Arc<dyn TokenCodec>,
    clock: Arc<dyn Clock>,
    settings: WebSessionSettings,
}

impl MemberSessions {
    pub fn new(
        store: Arc<dyn MemberSessionStore>,
        accounts: Arc<Accounts>,
        tokens: Arc<dyn TokenCodec>,
        clock: Arc<dyn Clock>,
        settings: WebSessionSettings,
    ) -> Self {
        Self {
            store,
            accounts,
            tokens,
            clock,
            settings,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.settings.ttl_secs
    }

    /// A fresh random token (for the CSRF cookie of a visitor's forms).
    pub fn new_form_token(&self) -> String {
        self.tokens.new_refresh().token
    }

    /// Logs a member in: answers the session token for the cookie. Log-ins are
    /// throttled as everywhere (per client and per account and client).
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<(String, SignedIn)> {
        let gate = LoginGate { min_role: None };
        let user = self
            .accounts
            .check_credentials(username, password, client, &gate)
            .await?;
        self.open(user).await
    }

    /// Opens a session for a member just signed up.
    pub async fn open(&self, user: User) -> Result<(String, SignedIn)> {
        let now = self.clock.now();
        let secret = self.tokens.new_refresh();
        let csrf = self.tokens.new_refresh().token;
        let expires = now.plus_secs(self.settings.ttl_secs);
        let session_id = self
            .store
            .open_member_session(user.id, &secret.hash, &csrf, expires, now)
            .await?;
        Ok((
            secret.token,
            SignedIn {
                user,
                session_id,
                csrf,
            },
        ))
    }

    /// The member a session token belongs to, if the session is live.
    pub async fn signed_in(&self, token: &str) -> Result<Option<SignedIn>> {
        if token.is_empty() {
            return Ok(None);
        }
        let now = self.clock.now();
        let hash = self.tokens.hash_refresh(token);
        let Some((session_id, mut user, csrf)) = self.store.member_session(&hash, now).await?
        else {
            return Ok(None);
        };
        user.state = user.state.at(now).clone();
        Ok(Some(SignedIn {
            user,
            session_id,
            csrf,
        }))
    }

    pub async fn log_out(&self, member: &SignedIn) -> Result<()> {
        self.store
            .close_member_session(member.session_id, self.clock.now())
            .await
    }

    /// Changes the password (the account rules apply); every other session of the
    /// member ends, in the web app and in the API.
    pub async fn change_password(&self, member: &SignedIn, input: PasswordChange) -> Result<()> {
        self.accounts
            .change_password_from(
                &member.actor(),
                input,
                SessionRef::Member(member.session_id),
            )
            .await
            .map_err(|e| match e {
                Error::Unauthorized(m) => Error::invalid("current_password", "matches", m),
                e => e,
            })
    }

    /// Resigns the member (their password confirms it) and ends all their sessions.
    pub async fn resign(&self, member: &SignedIn, password: Option<&str>) -> Result<()> {
        self.accounts
            .resign(&member.actor(), password.filter(|p| !p.is_empty()))
            .await
            .map_err(|e| match e {
                Error::Unauthorized(m) => Error::invalid("password", "matches", m),
                e => e,
            })?;
        self.store
            .close_member_sessions_of(member.user.id, 0, self.clock.now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_must_match_exactly_and_not_be_empty() {
        assert!(check_form_token("abc", "abc").is_ok());
        assert!(check_form_token("abd", "abc").is_err());
        assert!(check_form_token("ab", "abc").is_err());
        assert!(check_form_token("", "").is_err());
    }
}
