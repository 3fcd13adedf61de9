//! Pinned notices (공지): moderators and admins pin a post in its board or site-wide,
//! and the pins head the first page of their lists. Every pin and unpin is audited.

use crate::accounts::Actor;
use crate::cache::{Entry, read_through};
use crate::console::{AuditRecord, FieldChange};
use crate::error::{Error, Result};
use crate::ports::PinOutcome;

use super::{PinScope, PostDetail, PostSummary, Posts};

/// Most pins one board (or the site) holds at once.
pub const PINS_PER_SCOPE: usize = 5;

fn pin_name(p: Option<PinScope>) -> &'static str {
    p.map_or("", PinScope::as_str)
}

impl Posts {
    /// Pins an active post in `scope` (its board when not given); pinning it again is
    /// no change, and pinning it in the other scope moves it there.
    #[tracing::instrument(name = "posts.pin", skip_all)]
    pub async fn pin(&self, actor: &Actor, id: i64, scope: Option<&str>) -> Result<PostDetail> {
        ensure_pinner(actor)?;
        let scope = match scope {
            None => PinScope::Board,
            Some(s) => PinScope::parse(s).map_err(|v| Error::Validation(vec![v]))?,
        };
        let post = self
            .posts
            .post(id, false)
            .await?
            .ok_or(Error::NotFound("post"))?;
        let audit = self.pin_audit(actor, &post, "pin", Some(scope)).await?;
        match self.pins.pin_post(id, scope, &audit).await? {
            PinOutcome::Pinned | PinOutcome::Unchanged => {}
            PinOutcome::Full => return Err(scope.full()),
            PinOutcome::Missing => return Err(Error::NotFound("post")),
        }
        self.changed(id, None).await;
        self.posts
            .post(id, false)
            .await?
            .ok_or(Error::NotFound("post"))
    }

    /// Takes a post out of the pins; a post that is not pinned is no change.
    #[tracing::instrument(name = "posts.unpin", skip_all)]
    pub async fn unpin(&self, actor: &Actor, id: i64) -> Result<PostDetail> {
        ensure_pinner(actor)?;
        let post = self
            .posts
            .post(id, true)
            .await?
            .ok_or(Error::NotFound("post"))?;
        if post.pin.is_some() {
            let audit = self.pin_audit(actor, &post, "unpin", None).await?;
            self.pins.unpin_post(id, &audit).await?;
            self.changed(id, None).await;
        }
        self.posts
            .post(id, true)
            .await?
            .ok_or(Error::NotFound("post"))
    }

    async fn pin_audit(
        &self,
        actor: &Actor,
        post: &PostDetail,
        action: &'static str,
        to: Option<PinScope>,
    ) -> Result<AuditRecord> {
        let name = self
            .users
            .user(actor.id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        Ok(AuditRecord {
            actor_id: actor.id,
            actor_name: name,
            actor_role: actor.role,
            object_type: "post",
            object_id: post.id,
            object_repr: format!("#{} {}", post.id, post.title)
                .chars()
                .take(200)
                .collect(),
            action,
            changes: vec![FieldChange::new("pin", pin_name(post.pin), pin_name(to))],
            at: self.clock.now(),
            notify: false,
        })
    }

    /// The pins heading the first page of `board` (its own and the site's), or of the
    /// whole list (the site's), marked `pinned`.
    pub(super) async fn pinned_head(&self, board: Option<i64>) -> Result<Vec<PostSummary>> {
        let mut pins: Vec<PostSummary> =
            read_through(self.cache.as_ref(), Entry::pins(board), || async {
                self.pins.pinned_posts(board).await
            })
            .await?;
        for p in &mut pins {
            p.pinned = true;
        }
        Ok(pins)
    }
}

impl PinScope {
    /// Why a pin in this scope was refused when it holds [`PINS_PER_SCOPE`] already.
    pub fn full(self) -> Error {
        Error::Conflict {
            field: Some("scope"),
            message: format!(
                "{} holds at most {PINS_PER_SCOPE} pinned posts; unpin one first",
                match self {
                    PinScope::Board => "a board",
                    PinScope::Site => "the site",
                }
            ),
        }
    }
}

fn ensure_pinner(actor: &Actor) -> Result<()> {
    if !actor.is_staff() {
        return Err(Error::Forbidden(
            "only moderators and admins pin posts".into(),
        ));
    }
    actor.ensure_can_write()
}
