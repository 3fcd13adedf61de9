//! Blocking (차단): a member hides another member's posts and comments from their own
//! lists, and is never notified of what the blocked member does. The blocked member is
//! not told, and still sees everything.

use std::sync::Arc;

use async_trait::async_trait;

use crate::accounts::Actor;
use crate::comments::Comment;
use crate::error::{Error, Result};
use crate::posts::PostSummary;
use crate::time::{Clock, Timestamp};
use crate::users::AuthorRef;

/// Most members one member may block.
pub const MAX_BLOCKS: usize = 1000;

#[async_trait]
pub trait BlockStore: Send + Sync {
    /// Blocks (`on`) or unblocks `target` for `user_id`, idempotently; `false` if the
    /// target is not a member (or is erased).
    async fn set_block(&self, user_id: i64, target: i64, on: bool, now: Timestamp) -> Result<bool>;
    /// The members `user_id` blocks, most recently blocked first.
    async fn blocked(&self, user_id: i64) -> Result<Vec<AuthorRef>>;
    /// Their ids only (what each list a member reads filters by).
    async fn blocked_ids(&self, user_id: i64) -> Result<Vec<i64>>;
    /// Which of `users` block `actor`.
    async fn blockers_among(&self, actor: i64, users: &[i64]) -> Result<Vec<i64>>;
}

pub struct Blocks {
    store: Arc<dyn BlockStore>,
    clock: Arc<dyn Clock>,
}

impl Blocks {
    pub fn new(store: Arc<dyn BlockStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Blocks or unblocks a member; answers whether they are blocked now. Nobody blocks
    /// themselves (422), and a member may block at most [`MAX_BLOCKS`].
    #[tracing::instrument(name = "blocks.set", skip_all)]
    pub async fn set(&self, actor: &Actor, target: i64, on: bool) -> Result<bool> {
        if on && target == actor.id {
            return Err(Error::invalid("id", "self", "you cannot block yourself"));
        }
        if on && self.store.blocked_ids(actor.id).await?.len() >= MAX_BLOCKS {
            return Err(Error::invalid(
                "id",
                "limit",
                format!("at most {MAX_BLOCKS} members can be blocked"),
            ));
        }
        if self
            .store
            .set_block(actor.id, target, on, self.clock.now())
            .await?
        {
            Ok(on)
        } else {
            Err(Error::NotFound("user"))
        }
    }

    pub async fn list(&self, actor: &Actor) -> Result<Vec<AuthorRef>> {
        self.store.blocked(actor.id).await
    }

    /// The ids a viewer blocks (none for a visitor).
    pub async fn of(&self, viewer: Option<&Actor>) -> Result<Vec<i64>> {
        match viewer {
            Some(a) => self.store.blocked_ids(a.id).await,
            None => Ok(Vec::new()),
        }
    }
}

fn by(author: &Option<AuthorRef>, blocked: &[i64]) -> bool {
    author.as_ref().is_some_and(|a| blocked.contains(&a.id))
}

/// A list without the posts of blocked members.
pub fn hide_posts(items: &mut Vec<PostSummary>, blocked: &[i64]) {
    if !blocked.is_empty() {
        items.retain(|p| !by(&p.author, blocked));
    }
}

/// A comment list without blocked members' comments. A blocked member's top-level
/// comment that others replied to stays, blanked and marked `blocked`, so the thread
/// still reads.
pub fn hide_comments(items: &mut Vec<Comment>, blocked: &[i64]) {
    if blocked.is_empty() {
        return;
    }
    items.retain_mut(|c| {
        if !by(&c.author, blocked) {
            return true;
        }
        if c.parent_id.is_none() && c.reply_count > 0 && !c.best {
            c.content = String::new();
            c.author = None;
            c.sentiment = None;
            c.mentions.clear();
            c.blocked = true;
            return true;
        }
        false
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: i64, author: i64, parent: Option<i64>, replies: i64) -> Comment {
        Comment {
            id,
            post_id: 1,
            author: Some(AuthorRef {
                id: author,
                name: format!("u{author}"),
            }),
            content: "text".into(),
            version: 1,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            vote_count: 0,
            sentiment: None,
            best: false,
            parent_id: parent,
            reply_to_id: parent,
            reply_count: replies,
            deleted: false,
            blocked: false,
            mentions: Vec::new(),
        }
    }

    #[test]
    fn a_blocked_members_comments_go_but_a_thread_others_answered_stays_blanked() {
        let mut items = vec![
            comment(1, 7, None, 1),
            comment(2, 8, Some(1), 0),
            comment(3, 7, Some(1), 0),
            comment(4, 7, None, 0),
            comment(5, 8, None, 0),
        ];
        hide_comments(&mut items, &[7]);
        let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
        assert_eq!(ids, [1, 2, 5]);
        assert!(items[0].blocked && items[0].content.is_empty() && items[0].author.is_none());
        assert!(!items[1].blocked);
        let mut untouched = vec![comment(1, 7, None, 0)];
        hide_comments(&mut untouched, &[]);
        assert_eq!(untouched.len(), 1);
    }
}
