//! Account use cases: sign-up, log-in, token refresh with rotation, log-out, profile
//! and password changes, resignation, and turning a bearer token into an `Actor`.

use std::sync::Arc;

use crate::cache::{Entry, read_through, scope};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::listing::{Page, PageRequest};
use crate::ports::{
    AccessClaims, Cache, LoginAttempt, NewUser, PasswordHasher, Rotation, SessionRef, SessionStore,
    TokenCodec, UserStore,
};
use crate::time::{Clock, Timestamp};
use crate::users::{
    Email, LoginRecord, Password, PublicProfile, Role, User, UserName, UserState, lookup_keys,
};
use crate::validate::Violations;

/// The authenticated caller of a request, read fresh from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub role: Role,
    /// The state in force now (a run-out suspension reads as active).
    pub state: UserState,
    pub session_id: i64,
}

impl Actor {
    /// Suspended and banned members may read but not write.
    pub fn ensure_can_write(&self) -> Result<()> {
        match &self.state {
            UserState::Active => Ok(()),
            UserState::Suspended { reason, until } => {
                let ms = until.millis().rem_euclid(crate::maintenance::DAY_MS);
                Err(Error::Forbidden(format!(
                    "account is suspended until {} {:02}:{:02} UTC: {reason}",
                    crate::maintenance::Day::containing(*until, 0),
                    ms / 3_600_000,
                    ms / 60_000 % 60
                )))
            }
            UserState::Banned { reason } => {
                Err(Error::Forbidden(format!("account is banned: {reason}")))
            }
        }
    }

    pub fn ensure_role(&self, min: Role) -> Result<()> {
        if self.role >= min {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "this needs the {} role",
                min.as_str()
            )))
        }
    }

    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }
}

/// Sign-up input as received; every field is checked and all failures reported.
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    pub name: Option<String>,
    pub email: Option<String>,
    pub password1: Option<String>,
    pub password2: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PasswordChange {
    pub current_password: Option<String>,
    pub password1: Option<String>,
    pub password2: Option<String>,
}

/// What a log-in must meet beyond a right password and a member who may write.
#[derive(Debug, Clone, Default)]
pub struct LoginGate {
    /// The least role that may log in here.
    pub min_role: Option<Role>,
}

/// Where a log-in came from, for the login history.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
}

/// How long after a refresh token is spent it may be spent again, by default: by
/// another tab or a retry that raced with the first refresh, without being taken for
/// a stolen copy (which revokes the session).
pub const REFRESH_GRACE_MS: i64 = 20_000;

pub struct Accounts {
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenCodec>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    limits: Arc<Limits>,
    refresh_grace_ms: i64,
}

fn required<'a>(v: &mut Violations, field: &str, value: &'a Option<String>) -> Option<&'a str> {
    match value {
        Some(s) => Some(s.as_str()),
        None => {
            v.add(field, "required", format!("{field} is required"));
            None
        }
    }
}

/// Checks `password1` against the rules and `password2` against `password1`.
fn new_password(v: &mut Violations, p1: &Option<String>, p2: &Option<String>) -> Option<Password> {
    let p1_raw = required(v, "password1", p1);
    let p2_raw = required(v, "password2", p2);
    let parsed = p1_raw.and_then(|p| v.check(Password::parse("password1", p)));
    if let (Some(a), Some(b)) = (p1_raw, p2_raw)
        && a != b
    {
        v.add("password2", "must_match", "password2 must match password1");
        return None;
    }
    parsed
}

impl Accounts {
    pub fn new(
        users: Arc<dyn UserStore>,
        sessions: Arc<dyn SessionStore>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenCodec>,
        cache: Arc<dyn Cache>,
        clock: Arc<dyn Clock>,
        limits: Arc<Limits>,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            tokens,
            cache,
            clock,
            limits,
            refresh_grace_ms: REFRESH_GRACE_MS,
        }
    }

    /// Another grace window for spending a refresh token twice (0: none).
    pub fn with_refresh_grace_ms(mut self, ms: i64) -> Self {
        self.refresh_grace_ms = ms.max(0);
        self
    }

    /// The user's name or existence changed: their profile, and every read model
    /// that shows author names.
    async fn identity_changed(&self, id: i64) {
        self.cache
            .invalidate(&[
                scope::user(id),
                scope::NAMES.to_owned(),
                scope::AUTHORS.to_owned(),
            ])
            .await;
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    #[tracing::instrument(name = "accounts.sign_up", skip_all)]
    pub async fn sign_up(&self, input: SignUp, role: Role) -> Result<User> {
        let mut v = Violations::new();
        let name =
            required(&mut v, "name", &input.name).and_then(|s| v.check(UserName::parse("name", s)));
        let email =
            required(&mut v, "email", &input.email).and_then(|s| v.check(Email::parse("email", s)));
        let password = new_password(&mut v, &input.password1, &input.password2);
        if let Some(n) = &name {
            self.refuse_lookalike_of_staff(&mut v, n, None, role)
                .await?;
        }
        v.into_result()?;
        let (Some(name), Some(email), Some(password)) = (name, email, password) else {
            return Err(Error::internal(crate::error::Message(
                "sign-up fields checked above".into(),
            )));
        };
        let password_hash = self.hasher.hash(&password).await?;
        let user = self
            .users
            .insert_user(&NewUser {
                name,
                email,
                password_hash,
                role,
                now: self.clock.now(),
            })
            .await?;
        // A new name a keyword search can match as an author.
        self.cache.invalidate(&[scope::AUTHORS.to_owned()]).await;
        Ok(user)
    }

    /// Log-in by name or email. A wrong name and a wrong password answer alike.
    #[tracing::instrument(name = "accounts.log_in", skip_all)]
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<TokenPair> {
        let user = self
            .check_credentials(username, password, &client, &LoginGate::default())
            .await?;
        let now = self.clock.now();
        let refresh = self.tokens.new_refresh();
        let expires = now.plus_secs(self.tokens.refresh_ttl_secs());
        let session_id = self
            .sessions
            .open_session(user.id, &refresh.hash, expires, now)
            .await?;
        self.pair(
            AccessClaims {
                user_id: user.id,
                session_id,
            },
            refresh.token,
            now,
        )
    }

    /// Checks a log-in and records it in the login history: the name (or email) and
    /// password, that the member may write, and what `gate` asks besides. A wrong name
    /// and a wrong password answer alike. Answers the member, in their state now.
    ///
    /// Every attempt first takes from the log-in allowances of its client and of the
    /// (name typed, client) pair, the one throttle of the API, the web app and the
    /// console (see [`Limits::check_log_in`]); past them it is refused with 429
    /// before the password is looked at.
    #[tracing::instrument(name = "accounts.check_credentials", skip_all)]
    pub async fn check_credentials(
        &self,
        username: &str,
        password: &str,
        client: &ClientInfo,
        gate: &LoginGate,
    ) -> Result<User> {
        let (key, email_key) = lookup_keys(username);
        self.limits.check_log_in(&key, client).await?;
        let found = if key.is_empty() {
            None
        } else {
            self.users.credentials(&key, &email_key).await?
        };
        let now = self.clock.now();
        let ok = self
            .hasher
            .verify(password, found.as_ref().map(|(_, h)| h.as_str()))
            .await?;
        let Some((mut user, _)) = found else {
            return Err(Error::Unauthorized("invalid username or password".into()));
        };
        let attempt = |succeeded| LoginAttempt {
            user_id: user.id,
            succeeded,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            now,
        };
        if !ok {
            self.users.record_login(&attempt(false)).await?;
            return Err(Error::Unauthorized("invalid username or password".into()));
        }
        self.limits.log_in_succeeded(&key, client).await;
        user.state = user.state.at(now).clone();
        let actor = Actor {
            id: user.id,
            role: user.role,
            state: user.state.clone(),
            session_id: 0,
        };
        let allowed = actor
            .ensure_can_write()
            .and_then(|()| gate.min_role.map_or(Ok(()), |r| actor.ensure_role(r)));
        if let Err(e) = allowed {
            self.users.record_login(&attempt(false)).await?;
            return Err(e);
        }
        self.users.record_login(&attempt(true)).await?;
        Ok(user)
    }

    fn pair(
        &self,
        claims: AccessClaims,
        refresh_token: String,
        now: Timestamp,
    ) -> Result<TokenPair> {
        Ok(TokenPair {
            access_token: self.tokens.issue_access(claims, now)?,
            expires_in: self.tokens.access_ttl_secs(),
            refresh_token,
        })
    }

    /// Exchanges a refresh token for a new pair. A token that was already exchanged
    /// revokes its whole session: someone else holds a copy.
    #[tracing::instrument(name = "accounts.refresh", skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        let now = self.clock.now();
        let old = self.tokens.hash_refresh(refresh_token);
        let new = self.tokens.new_refresh();
        let expires = now.plus_secs(self.tokens.refresh_ttl_secs());
        match self
            .sessions
            .rotate_refresh(&old, &new.hash, expires, now, self.refresh_grace_ms)
            .await?
        {
            Rotation::Rotated {
                user_id,
                session_id,
            } => {
                let user = self
                    .sessions
                    .session_user(session_id, user_id)
                    .await?
                    .ok_or_else(|| Error::Unauthorized("refresh token is not valid".into()))?;
                let actor = Actor {
                    id: user.id,
                    role: user.role,
                    state: user.state.at(now).clone(),
                    session_id,
                };
                actor.ensure_can_write()?;
                self.pair(
                    AccessClaims {
                        user_id,
                        session_id,
                    },
                    new.token,
                    now,
                )
            }
            Rotation::Reused => Err(Error::Unauthorized(
                "refresh token was already used; the session is revoked".into(),
            )),
            Rotation::Invalid => Err(Error::Unauthorized("refresh token is not valid".into())),
        }
    }

    /// Turns a bearer token into the caller, checking the session and the account
    /// state against the store on every request.
    #[tracing::instrument(name = "accounts.authenticate", skip_all)]
    pub async fn authenticate(&self, bearer: &str) -> Result<Actor> {
        let now = self.clock.now();
        let claims = self.tokens.verify_access(bearer, now)?;
        let user = self
            .sessions
            .session_user(claims.session_id, claims.user_id)
            .await?
            .ok_or_else(|| Error::Unauthorized("the session has ended".into()))?;
        Ok(Actor {
            id: user.id,
            role: user.role,
            state: user.state.at(now).clone(),
            session_id: claims.session_id,
        })
    }

    #[tracing::instrument(name = "accounts.log_out", skip_all)]
    pub async fn log_out(&self, actor: &Actor) -> Result<()> {
        self.sessions
            .revoke_sessions(actor.id, self.clock.now())
            .await
    }

    #[tracing::instrument(name = "accounts.me", skip_all)]
    pub async fn me(&self, actor: &Actor) -> Result<User> {
        self.users
            .user(actor.id)
            .await?
            .ok_or(Error::NotFound("user"))
    }

    #[tracing::instrument(name = "accounts.change_profile", skip_all)]
    pub async fn change_profile(&self, actor: &Actor, input: ProfileChange) -> Result<User> {
        actor.ensure_can_write()?;
        let mut v = Violations::new();
        let name = input
            .name
            .as_deref()
            .and_then(|s| v.check(UserName::parse("name", s)));
        let email = input
            .email
            .as_deref()
            .and_then(|s| v.check(Email::parse("email", s)));
        if let Some(n) = &name {
            self.refuse_lookalike_of_staff(&mut v, n, Some(actor.id), actor.role)
                .await?;
        }
        v.into_result()?;
        let user = self
            .users
            .update_profile(actor.id, name.as_ref(), email.as_ref(), self.clock.now())
            .await?;
        self.identity_changed(actor.id).await;
        Ok(user)
    }

    /// A member may not take a name that looks like a staff member's: one with the
    /// same confusable skeleton (`b0ss`, `bоss` with a Cyrillic о, `BOSS` for `boss`), other than
    /// their own. Staff name themselves freely.
    async fn refuse_lookalike_of_staff(
        &self,
        v: &mut Violations,
        name: &UserName,
        me: Option<i64>,
        role: Role,
    ) -> Result<()> {
        if role != Role::User {
            return Ok(());
        }
        let (key, wanted) = (name.key(), name.skeleton());
        let staff = self.users.staff_names().await?;
        // The staff member's very name (another case or width) is simply taken: the
        // uniqueness check answers that.
        if staff.iter().any(|(id, n)| {
            Some(*id) != me
                && crate::users::name_key(n) != key
                && crate::users::skeleton(n) == wanted
        }) {
            v.add(
                "name",
                "confusable",
                "name looks too much like a staff member's name",
            );
        }
        Ok(())
    }

    async fn check_password(&self, user_id: i64, password: &str) -> Result<()> {
        let hash = self.users.password_hash(user_id).await?;
        if self.hasher.verify(password, hash.as_deref()).await? {
            Ok(())
        } else {
            Err(Error::Unauthorized("password is wrong".into()))
        }
    }

    /// Needs the current password; every other session is signed out, in the API,
    /// the web app and the console.
    #[tracing::instrument(name = "accounts.change_password", skip_all)]
    pub async fn change_password(&self, actor: &Actor, input: PasswordChange) -> Result<()> {
        self.change_password_from(actor, input, SessionRef::Api(actor.session_id))
            .await
    }

    /// [`Accounts::change_password`] made from the session `keep`, which stays open.
    #[tracing::instrument(name = "accounts.change_password_from", skip_all)]
    pub async fn change_password_from(
        &self,
        actor: &Actor,
        input: PasswordChange,
        keep: SessionRef,
    ) -> Result<()> {
        actor.ensure_can_write()?;
        let mut v = Violations::new();
        let current = required(&mut v, "current_password", &input.current_password);
        let password = new_password(&mut v, &input.password1, &input.password2);
        v.into_result()?;
        let (Some(current), Some(password)) = (current, password) else {
            return Err(Error::internal(crate::error::Message(
                "password fields checked above".into(),
            )));
        };
        self.check_password(actor.id, current).await?;
        let hash = self.hasher.hash(&password).await?;
        self.users
            .update_password(actor.id, &hash, keep, self.clock.now())
            .await
    }

    #[tracing::instrument(name = "accounts.resign", skip_all)]
    pub async fn resign(&self, actor: &Actor, password: Option<&str>) -> Result<()> {
        let Some(password) = password else {
            return Err(Error::invalid(
                "password",
                "required",
                "password is required",
            ));
        };
        self.check_password(actor.id, password).await?;
        self.users.erase_user(actor.id, self.clock.now()).await?;
        self.identity_changed(actor.id).await;
        Ok(())
    }

    #[tracing::instrument(name = "accounts.logins", skip_all)]
    pub async fn logins(&self, actor: &Actor, page: &PageRequest) -> Result<Page<LoginRecord>> {
        self.users.logins(actor.id, page).await
    }

    #[tracing::instrument(name = "accounts.profile", skip_all)]
    pub async fn profile(&self, id: i64) -> Result<PublicProfile> {
        read_through(self.cache.as_ref(), Entry::profile(id), || async {
            self.users
                .public_profile(id)
                .await?
                .ok_or(Error::NotFound("user"))
        })
        .await
    }

    /// Looks up an account by name or email (for operators' commands).
    #[tracing::instrument(name = "accounts.find", skip_all)]
    pub async fn find(&self, name_or_email: &str) -> Result<User> {
        let (name_key, email_key) = lookup_keys(name_or_email);
        self.users
            .user_by_key(&name_key, &email_key)
            .await?
            .ok_or(Error::NotFound("user"))
    }

    #[tracing::instrument(name = "accounts.set_role", skip_all)]
    pub async fn set_role(&self, id: i64, role: Role) -> Result<()> {
        self.users.set_role(id, role, self.clock.now()).await
    }

    #[tracing::instrument(name = "accounts.set_state", skip_all)]
    pub async fn set_state(&self, id: i64, state: UserState) -> Result<()> {
        self.users.set_state(id, &state, self.clock.now()).await
    }
}
