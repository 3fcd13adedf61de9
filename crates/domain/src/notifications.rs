//! Notifications (알림): someone commented on my post or replied to my comment, a
//! moderator removed my content, a report of mine was decided.
//!
//! They are never written in the request. A comment's transaction enqueues a job
//! through the outbox (so a rolled-back comment notifies nobody), and the job's handler
//! works out who to tell. Each notification is keyed by its recipient, kind and source
//! event (`comment:12`, `audit:34`), so a job delivered twice, or a worker that died
//! after writing, still notifies exactly once.

use std::sync::Arc;

use async_trait::async_trait;

use crate::accounts::Actor;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest};
use crate::time::{Clock, Timestamp};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Someone commented on my post.
    Comment,
    /// Someone replied to my comment.
    Reply,
    /// Someone mentioned me (`@이름`) in a post or a comment.
    Mention,
    /// A moderator removed my post or comment (with the reason).
    Removed,
    /// A report of mine was decided.
    ReportDecided,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Comment,
        Kind::Reply,
        Kind::Mention,
        Kind::Removed,
        Kind::ReportDecided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Comment => "comment",
            Kind::Reply => "reply",
            Kind::Mention => "mention",
            Kind::Removed => "removed",
            Kind::ReportDecided => "report_decided",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A notification as its recipient reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub kind: Kind,
    /// Who did it (`None` for a moderator, who is never named, or an erased member).
    pub actor: Option<crate::users::AuthorRef>,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    /// A moderator's reason, or a report's outcome.
    pub reason: Option<String>,
    pub read: bool,
    pub created_at: Timestamp,
}

/// A notification to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: Kind,
    pub actor_id: Option<i64>,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub reason: Option<String>,
    /// The event it comes from; with the recipient and kind, its identity.
    pub source: String,
    pub at: Timestamp,
}

/// A new comment, as a notification job reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentEvent {
    pub comment_id: i64,
    pub post_id: i64,
    pub author_id: Option<i64>,
    pub post_author_id: Option<i64>,
    /// The author of the comment a reply answers.
    pub answered_author_id: Option<i64>,
    /// The members it mentions.
    pub mentioned: Vec<i64>,
    pub deleted: bool,
    pub at: Timestamp,
}

/// A new or edited post, as a notification job reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostEvent {
    pub post_id: i64,
    pub author_id: Option<i64>,
    pub mentioned: Vec<i64>,
    pub deleted: bool,
    pub at: Timestamp,
}

/// A staff decision about content, as a notification job reads it from the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationEvent {
    pub audit_id: i64,
    /// `delete`, `remove` or `dismiss`.
    pub action: String,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub author_id: Option<i64>,
    pub reason: Option<String>,
    /// The reporters whose reports this decision resolved, and its outcome.
    pub reporters: Vec<i64>,
    pub outcome: Option<String>,
    pub at: Timestamp,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    async fn comment_event(&self, comment_id: i64) -> Result<Option<CommentEvent>>;
    async fn post_event(&self, post_id: i64) -> Result<Option<PostEvent>>;
    async fn moderation_event(&self, audit_id: i64) -> Result<Option<ModerationEvent>>;
    /// The kinds each of `users` turned off.
    async fn muted(&self, users: &[i64]) -> Result<Vec<(i64, Kind)>>;
    /// Writes each notification once (a repeat of one already written is skipped);
    /// answers how many were new.
    async fn deliver(&self, items: &[NewNotification]) -> Result<u64>;
    async fn notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        page: &PageRequest,
    ) -> Result<Page<Notification>>;
    async fn notification(&self, user_id: i64, id: i64) -> Result<Option<Notification>>;
    async fn unread_count(&self, user_id: i64) -> Result<i64>;
    /// Marks one notification of the member read; `false` if it is not theirs.
    async fn mark_read(&self, user_id: i64, id: i64, now: Timestamp) -> Result<bool>;
    async fn mark_all_read(&self, user_id: i64, now: Timestamp) -> Result<u64>;
    async fn set_muted(&self, user_id: i64, kind: Kind, muted: bool) -> Result<()>;
}

/// Each kind and whether the member gets it.
pub type Preferences = Vec<(Kind, bool)>;

pub struct Notifications {
    store: Arc<dyn NotificationStore>,
    blocks: Arc<dyn crate::blocks::BlockStore>,
    clock: Arc<dyn Clock>,
}

impl Notifications {
    pub fn new(
        store: Arc<dyn NotificationStore>,
        blocks: Arc<dyn crate::blocks::BlockStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            blocks,
            clock,
        }
    }

    /// Who a new comment tells: the author of the comment it answers (a reply) and the
    /// post's author (a comment on their post), never the commenter, and not in a kind
    /// they turned off. A comment deleted before the job ran tells nobody.
    #[tracing::instrument(name = "notifications.comment", skip_all)]
    pub async fn on_comment(&self, comment_id: i64) -> Result<u64> {
        let Some(e) = self.store.comment_event(comment_id).await? else {
            return Ok(0);
        };
        if e.deleted {
            return Ok(0);
        }
        let mut to: Vec<(i64, Kind)> = Vec::with_capacity(2 + e.mentioned.len());
        if let Some(a) = e.answered_author_id {
            to.push((a, Kind::Reply));
        }
        if let Some(p) = e.post_author_id.filter(|p| !to.iter().any(|(u, _)| u == p)) {
            to.push((p, Kind::Comment));
        }
        // A member already told of this comment is not told again of its mention.
        for m in &e.mentioned {
            if !to.iter().any(|(u, _)| u == m) {
                to.push((*m, Kind::Mention));
            }
        }
        let source = format!("comment:{}", e.comment_id);
        let about = (Some(e.post_id), Some(e.comment_id));
        self.tell(to, e.author_id, about, &source, e.at).await
    }

    /// Who a new or edited post tells: the members it mentions.
    #[tracing::instrument(name = "notifications.post", skip_all)]
    pub async fn on_post(&self, post_id: i64) -> Result<u64> {
        let Some(e) = self.store.post_event(post_id).await? else {
            return Ok(0);
        };
        if e.deleted {
            return Ok(0);
        }
        let to = e.mentioned.iter().map(|m| (*m, Kind::Mention)).collect();
        let source = format!("post:{}", e.post_id);
        self.tell(to, e.author_id, (Some(e.post_id), None), &source, e.at)
            .await
    }

    /// Delivers what `actor` did to each of `to`, leaving out the actor and every
    /// member who blocks them.
    async fn tell(
        &self,
        mut to: Vec<(i64, Kind)>,
        actor: Option<i64>,
        (post_id, comment_id): (Option<i64>, Option<i64>),
        source: &str,
        at: Timestamp,
    ) -> Result<u64> {
        to.retain(|(u, _)| Some(*u) != actor);
        // Nobody hears from a member they block.
        if let Some(actor) = actor {
            let users: Vec<i64> = to.iter().map(|(u, _)| *u).collect();
            let blockers = self.blocks.blockers_among(actor, &users).await?;
            to.retain(|(u, _)| !blockers.contains(u));
        }
        let items = to
            .into_iter()
            .map(|(user_id, kind)| NewNotification {
                user_id,
                kind,
                actor_id: actor,
                post_id,
                comment_id,
                reason: None,
                source: source.to_owned(),
                at,
            })
            .collect();
        self.deliver(items).await
    }

    /// Who a staff decision tells: the author of removed content (with the reason),
    /// and every member whose report it decided (with the outcome). The moderator is
    /// never named.
    #[tracing::instrument(name = "notifications.moderation", skip_all)]
    pub async fn on_moderation(&self, audit_id: i64) -> Result<u64> {
        let Some(e) = self.store.moderation_event(audit_id).await? else {
            return Ok(0);
        };
        let source = format!("audit:{audit_id}");
        let base = |user_id, kind, reason| NewNotification {
            user_id,
            kind,
            actor_id: None,
            post_id: e.post_id,
            comment_id: e.comment_id,
            reason,
            source: source.clone(),
            at: e.at,
        };
        let mut items = Vec::new();
        if let Some(a) = e.author_id.filter(|_| e.action != "dismiss") {
            items.push(base(a, Kind::Removed, e.reason.clone()));
        }
        for r in &e.reporters {
            items.push(base(*r, Kind::ReportDecided, e.outcome.clone()));
        }
        self.deliver(items).await
    }

    async fn deliver(&self, mut items: Vec<NewNotification>) -> Result<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let users: Vec<i64> = items.iter().map(|n| n.user_id).collect();
        let muted = self.store.muted(&users).await?;
        items.retain(|n| !muted.contains(&(n.user_id, n.kind)));
        if items.is_empty() {
            return Ok(0);
        }
        self.store.deliver(&items).await
    }

    pub async fn list(
        &self,
        actor: &Actor,
        unread_only: bool,
        page: Option<i64>,
        size: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>> {
        let page = PageRequest::parse(page, size, cursor, "notifications.new")?;
        self.store.notifications(actor.id, unread_only, &page).await
    }

    /// One of the member's notifications; 404 if it is not theirs.
    pub async fn get(&self, actor: &Actor, id: i64) -> Result<Notification> {
        self.store
            .notification(actor.id, id)
            .await?
            .ok_or(Error::NotFound("notification"))
    }

    pub async fn unread_count(&self, actor: &Actor) -> Result<i64> {
        self.store.unread_count(actor.id).await
    }

    /// Marks a notification read, idempotently; 404 if it is not the member's.
    pub async fn read(&self, actor: &Actor, id: i64) -> Result<()> {
        if self.store.mark_read(actor.id, id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(Error::NotFound("notification"))
        }
    }

    pub async fn read_all(&self, actor: &Actor) -> Result<u64> {
        self.store.mark_all_read(actor.id, self.clock.now()).await
    }

    pub async fn preferences(&self, actor: &Actor) -> Result<Preferences> {
        let muted = self.store.muted(&[actor.id]).await?;
        Ok(Kind::ALL
            .into_iter()
            .map(|k| (k, !muted.contains(&(actor.id, k))))
            .collect())
    }

    /// Turns kinds on or off; `changes` name kinds by their API name.
    pub async fn set_preferences(
        &self,
        actor: &Actor,
        changes: &[(String, bool)],
    ) -> Result<Preferences> {
        let mut v = crate::validate::Violations::new();
        let mut parsed = Vec::new();
        for (name, on) in changes {
            match Kind::parse(name) {
                Some(k) => parsed.push((k, *on)),
                None => v.add(name, "unknown", format!("no notification kind {name}")),
            }
        }
        v.into_result()?;
        for (k, on) in parsed {
            self.store.set_muted(actor.id, k, !on).await?;
        }
        self.preferences(actor).await
    }
}
