//! Rate limits: how often one member, and one client address, may do each action.
//!
//! Every limited action has a quota per member and a quota per client address (IPv4,
//! or the /64 an IPv6 address belongs to, since one household or phone gets a whole
//! /64). A request takes one from each allowance that applies; the first that is
//! spent refuses it with [`Error::RateLimited`] and the time until it may be tried
//! again. The allowances are kept by a [`RateLimiter`] adapter, in process or shared
//! by every node. Staff are exempt from the action limits (not from log-in
//! throttling, which protects their accounts most of all).
//!
//! **Log-in throttling** counts failed attempts per (account, client) and per client.
//! Each attempt takes its allowance before the password is checked (so parallel
//! guesses cannot outrun it) and a successful one gives it back, so only failures
//! count. The account is the lookup key of what was typed, so a name that does not
//! exist is throttled, and answered, exactly like one that does; and an attacker
//! elsewhere spends only their own (account, attacker) allowance, never the owner's.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::accounts::{Actor, ClientInfo};
use crate::users::Role;
use crate::{Error, Result};

/// A limited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    SignUp,
    /// Log-in attempts from one client, at any account.
    LogIn,
    /// Log-in attempts at one account from one client.
    LogInAccount,
    Refresh,
    Post,
    Edit,
    Comment,
    Vote,
    Search,
    Sentiment,
    Report,
    Upload,
    PasswordReset,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::SignUp,
        Action::LogIn,
        Action::LogInAccount,
        Action::Refresh,
        Action::Post,
        Action::Edit,
        Action::Comment,
        Action::Vote,
        Action::Search,
        Action::Sentiment,
        Action::Report,
        Action::Upload,
        Action::PasswordReset,
    ];

    /// The name in settings, keys and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Action::SignUp => "sign_up",
            Action::LogIn => "log_in",
            Action::LogInAccount => "log_in_account",
            Action::Refresh => "refresh",
            Action::Post => "post",
            Action::Edit => "edit",
            Action::Comment => "comment",
            Action::Vote => "vote",
            Action::Search => "search",
            Action::Sentiment => "sentiment",
            Action::Report => "report",
            Action::Upload => "upload",
            Action::PasswordReset => "password_reset",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Whose allowance: one member's, or one client address's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Member,
    Client,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Member => "member",
            Scope::Client => "client",
        }
    }
}

/// One allowance: `count` requests per `period`, all of them at once if need be
/// (a GCRA with a burst of `count` and one request earned back every
/// `period / count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub count: u32,
    pub period: Duration,
}

impl Quota {
    pub const fn new(count: u32, period_secs: u64) -> Self {
        Self {
            count,
            period: Duration::from_secs(period_secs),
        }
    }

    /// The time one request is earned back in.
    pub fn interval(self) -> Duration {
        self.period / self.count.max(1)
    }

    /// Reads `count/period`, the period a number with `s`, `m`, `h` or `d`
    /// (`10/1m`, `300/1h`).
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let bad = || format!("{text:?} is not a quota like 10/1m (count/period, s m h d)");
        let (count, period) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let unit = period.chars().last().ok_or_else(bad)?;
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = period[..period.len() - 1].parse().map_err(|_| bad())?;
        if count == 0 || n == 0 {
            return Err(bad());
        }
        Ok(Self::new(count, n.saturating_mul(scale)))
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.period.as_secs();
        let (n, unit) = match s {
            _ if s.is_multiple_of(86_400) => (s / 86_400, 'd'),
            _ if s.is_multiple_of(3600) => (s / 3600, 'h'),
            _ if s.is_multiple_of(60) => (s / 60, 'm'),
            _ => (s, 's'),
        };
        write!(f, "{}/{n}{unit}", self.count)
    }
}

/// Every action's quotas. The defaults are the README's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas(BTreeMap<(Action, Scope), Quota>);

impl Default for Quotas {
    fn default() -> Self {
        use Action::*;
        use Scope::*;
        const MIN: u64 = 60;
        const HOUR: u64 = 3600;
        let table = [
            ((SignUp, Client), Quota::new(5, HOUR)),
            ((LogIn, Client), Quota::new(30, 10 * MIN)),
            ((LogInAccount, Client), Quota::new(5, 15 * MIN)),
            ((Refresh, Member), Quota::new(30, 10 * MIN)),
            ((Refresh, Client), Quota::new(120, 10 * MIN)),
            ((Post, Member), Quota::new(10, 10 * MIN)),
            ((Post, Client), Quota::new(30, 10 * MIN)),
            ((Edit, Member), Quota::new(30, 10 * MIN)),
            ((Edit, Client), Quota::new(90, 10 * MIN)),
            ((Comment, Member), Quota::new(30, 10 * MIN)),
            ((Comment, Client), Quota::new(90, 10 * MIN)),
            ((Vote, Member), Quota::new(120, 10 * MIN)),
            ((Vote, Client), Quota::new(360, 10 * MIN)),
            ((Search, Member), Quota::new(60, MIN)),
            ((Search, Client), Quota::new(60, MIN)),
            ((Sentiment, Member), Quota::new(60, MIN)),
            ((Sentiment, Client), Quota::new(60, MIN)),
            ((Report, Member), Quota::new(20, HOUR)),
            ((Report, Client), Quota::new(60, HOUR)),
            ((Upload, Member), Quota::new(60, HOUR)),
            ((Upload, Client), Quota::new(180, HOUR)),
            ((PasswordReset, Client), Quota::new(5, HOUR)),
        ];
        Self(table.into_iter().collect())
    }
}

impl Quotas {
    pub fn get(&self, action: Action, scope: Scope) -> Option<Quota> {
        self.0.get(&(action, scope)).copied()
    }

    /// Every quota, in the table's order.
    pub fn iter(&self) -> impl Iterator<Item = (Action, Scope, Quota)> + '_ {
        self.0.iter().map(|(&(a, s), &q)| (a, s, q))
    }

    /// Overrides one quota by its settings name: `post` for the member's allowance,
    /// `post_per_client` for the client's.
    pub fn set(&mut self, name: &str, quota: &str) -> std::result::Result<(), String> {
        let (action, scope) = match name.strip_suffix("_per_client") {
            Some(a) => (a, Scope::Client),
            None => (name, Scope::Member),
        };
        let action = Action::from_name(action)
            .filter(|a| self.0.contains_key(&(*a, scope)))
            .ok_or_else(|| {
                let known: Vec<String> = self
                    .iter()
                    .map(|(a, s, _)| match s {
                        Scope::Member => a.name().to_owned(),
                        Scope::Client => format!("{}_per_client", a.name()),
                    })
                    .collect();
                format!("no rate limit {name:?}; known: {}", known.join(", "))
            })?;
        self.0.insert((action, scope), Quota::parse(quota)?);
        Ok(())
    }
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Spent; the next request would be allowed after this long.
    Refused {
        retry_after: Duration,
    },
}

/// Where allowances are kept. An adapter knows the [`Quotas`] it was made with and
/// must answer without failing: when its store is down it decides by itself.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes one request from `subject`'s allowance for (`action`, `scope`). A
    /// refusal takes nothing.
    async fn take(&self, action: Action, scope: Scope, subject: &str) -> Decision;
    /// Returns one request taken by [`take`](Self::take) (a log-in that succeeded).
    async fn give_back(&self, action: Action, scope: Scope, subject: &str);
}

/// The client part of a key: an IPv4 address, or an IPv6 address's /64.
pub fn client_group(ip: &str) -> Option<String> {
    let ip: IpAddr = ip.trim().parse().ok()?;
    Some(match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    })
}

/// The client's group, and the (account, client) pair's subject. The account is
/// hashed, so any name makes a short key and none is kept in Redis as typed.
fn log_in_subjects(account_key: &str, client: &ClientInfo) -> (Option<String>, String) {
    let group = client.ip.as_deref().and_then(client_group);
    let digest = Sha256::digest(account_key.as_bytes());
    let account: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let pair = format!("{account}@{}", group.as_deref().unwrap_or_default());
    (group, pair)
}

/// The rate-limit rules over a [`RateLimiter`].
pub struct Limits {
    limiter: Arc<dyn RateLimiter>,
    on: bool,
}

impl Limits {
    pub fn new(limiter: Arc<dyn RateLimiter>, on: bool) -> Self {
        Self { limiter, on }
    }

    /// Checks one `action` by `actor` (when signed in) from `client`: the member's
    /// allowance, then the client's. Staff are not limited.
    pub async fn check(
        &self,
        action: Action,
        actor: Option<&Actor>,
        client: &ClientInfo,
    ) -> Result<()> {
        if !self.on || actor.is_some_and(|a| matches!(a.role, Role::Moderator | Role::Admin)) {
            return Ok(());
        }
        if let Some(a) = actor {
            self.take(action, Scope::Member, &a.id.to_string()).await?;
        }
        if let Some(group) = client.ip.as_deref().and_then(client_group) {
            self.take(action, Scope::Client, &group).await?;
        }
        Ok(())
    }

    /// Checks one log-in attempt at what was typed as the name (`account_key`, its
    /// lookup key) from `client`, before the password is: it takes from the client's
    /// allowance for every account, then from the (account, client) pair's. Without
    /// a known client address only the account's allowance is kept, under an empty
    /// address. A log-in that then succeeds calls [`log_in_succeeded`](Self::log_in_succeeded).
    pub async fn check_log_in(&self, account_key: &str, client: &ClientInfo) -> Result<()> {
        if !self.on {
            return Ok(());
        }
        let (group, pair) = log_in_subjects(account_key, client);
        if let Some(g) = &group {
            self.take(Action::LogIn, Scope::Client, g).await?;
        }
        if let Err(e) = self.take(Action::LogInAccount, Scope::Client, &pair).await {
            if let Some(g) = &group {
                self.limiter
                    .give_back(Action::LogIn, Scope::Client, g)
                    .await;
            }
            return Err(e);
        }
        Ok(())
    }

    /// The attempt [`check_log_in`](Self::check_log_in) let through had the right
    /// password: it does not count.
    pub async fn log_in_succeeded(&self, account_key: &str, client: &ClientInfo) {
        if !self.on {
            return;
        }
        let (group, pair) = log_in_subjects(account_key, client);
        if let Some(g) = &group {
            self.limiter
                .give_back(Action::LogIn, Scope::Client, g)
                .await;
        }
        self.limiter
            .give_back(Action::LogInAccount, Scope::Client, &pair)
            .await;
    }

    async fn take(&self, action: Action, scope: Scope, subject: &str) -> Result<()> {
        match self.limiter.take(action, scope, subject).await {
            Decision::Allowed => Ok(()),
            Decision::Refused { retry_after } => Err(Error::RateLimited {
                message: match action {
                    Action::LogIn | Action::LogInAccount => {
                        "too many log-in attempts; try again later".to_owned()
                    }
                    _ => format!("too many requests ({}); try again later", action.name()),
                },
                // Rounded up: a client that waits this long is let through.
                retry_after_secs: retry_after.as_millis().div_ceil(1000).max(1) as u64,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::users::UserState;

    /// Counts takes per key and refuses past a fixed number.
    struct Counting {
        allow: u32,
        seen: Mutex<HashMap<String, u32>>,
    }

    #[async_trait]
    impl RateLimiter for Counting {
        async fn take(&self, action: Action, scope: Scope, subject: &str) -> Decision {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let n = seen
                .entry(format!("{}:{}:{subject}", action.name(), scope.name()))
                .or_default();
            if *n >= self.allow {
                Decision::Refused {
                    retry_after: Duration::from_millis(1500),
                }
            } else {
                *n += 1;
                Decision::Allowed
            }
        }

        async fn give_back(&self, action: Action, scope: Scope, subject: &str) {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let key = format!("{}:{}:{subject}", action.name(), scope.name());
            if let Some(n) = seen.get_mut(&key) {
                *n = n.saturating_sub(1);
            }
        }
    }

    fn limits(allow: u32) -> (Limits, Arc<Counting>) {
        let c = Arc::new(Counting {
            allow,
            seen: Mutex::new(HashMap::new()),
        });
        (Limits::new(c.clone(), true), c)
    }

    fn actor(role: Role) -> Actor {
        Actor {
            id: 7,
            role,
            state: UserState::Active,
            session_id: 1,
        }
    }

    fn from(ip: &str) -> ClientInfo {
        ClientInfo {
            ip: Some(ip.to_owned()),
            user_agent: None,
        }
    }

    #[test]
    fn quotas_parse_and_print() {
        assert_eq!(Quota::parse("10/1m"), Ok(Quota::new(10, 60)));
        assert_eq!(Quota::parse(" 300 / 2h "), Ok(Quota::new(300, 7200)));
        assert_eq!(Quota::new(5, 900).to_string(), "5/15m");
        assert_eq!(Quota::new(5, 90).to_string(), "5/90s");
        for bad in ["", "10", "0/1m", "10/0m", "10/1w", "x/1m", "10/m"] {
            assert!(Quota::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Quota::new(10, 60).interval(), Duration::from_secs(6));
    }

    #[test]
    fn overrides_name_the_action_and_scope() {
        let mut q = Quotas::default();
        q.set("post", "3/1m").unwrap();
        q.set("post_per_client", "4/1m").unwrap();
        assert_eq!(q.get(Action::Post, Scope::Member), Some(Quota::new(3, 60)));
        assert_eq!(q.get(Action::Post, Scope::Client), Some(Quota::new(4, 60)));
        let e = q.set("posts", "3/1m").unwrap_err();
        assert!(
            e.contains("known: ") && e.contains("post_per_client"),
            "{e}"
        );
        // Sign-up has no member allowance: there is no member yet.
        assert!(q.set("sign_up", "3/1m").is_err());
        assert!(q.set("post", "three").is_err());
    }

    #[test]
    fn ipv6_is_grouped_by_its_64_and_mapped_v4_as_v4() {
        assert_eq!(client_group("203.0.113.9").as_deref(), Some("203.0.113.9"));
        assert_eq!(
            client_group("2001:db8:1:2:aaaa::1"),
            client_group("2001:db8:1:2:ffff:1:2:3")
        );
        assert_ne!(
            client_group("2001:db8:1:2::1"),
            client_group("2001:db8:1:3::1")
        );
        assert_eq!(client_group("::ffff:10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(client_group("not an address"), None);
    }

    #[tokio::test]
    async fn members_and_clients_each_spend_their_own_and_staff_none() {
        let (l, c) = limits(2);
        let member = actor(Role::User);
        for _ in 0..2 {
            l.check(Action::Post, Some(&member), &from("10.0.0.1"))
                .await
                .unwrap();
        }
        let e = l
            .check(Action::Post, Some(&member), &from("10.0.0.2"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::RateLimited {
                    retry_after_secs: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        // Another action is another allowance.
        l.check(Action::Vote, Some(&member), &from("10.0.0.1"))
            .await
            .unwrap();
        // Staff take nothing.
        for _ in 0..5 {
            l.check(
                Action::Post,
                Some(&actor(Role::Moderator)),
                &from("10.0.0.3"),
            )
            .await
            .unwrap();
        }
        assert!(
            !c.seen
                .lock()
                .unwrap()
                .keys()
                .any(|k| k.contains("10.0.0.3"))
        );
        // Switched off, nothing is taken at all.
        let off = Limits::new(c.clone(), false);
        off.check(Action::Post, Some(&member), &from("10.0.0.1"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn log_in_attempts_count_per_account_and_client_whether_or_not_it_exists() {
        let (l, _) = limits(3);
        let attacker = from("198.51.100.7");
        for _ in 0..3 {
            l.check_log_in("admin", &attacker).await.unwrap();
        }
        assert!(l.check_log_in("admin", &attacker).await.is_err());
        // The owner, from their own client, is not affected.
        l.check_log_in("admin", &from("10.1.1.1")).await.unwrap();
        // A name nobody has is counted the same way.
        let (l, _) = limits(1);
        l.check_log_in("nobody-at-all", &attacker).await.unwrap();
        assert!(l.check_log_in("nobody-at-all", &attacker).await.is_err());
        // Log-ins that succeed do not count.
        let (l, _) = limits(2);
        let owner = from("10.1.1.1");
        for _ in 0..10 {
            l.check_log_in("owner", &owner).await.unwrap();
            l.log_in_succeeded("owner", &owner).await;
        }
    }
}
