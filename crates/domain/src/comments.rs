//! Comments on posts, versioned like posts.

use std::sync::Arc;

use crate::accounts::Actor;
use crate::blocks::BlockStore;
use crate::cache::{Entry, read_through, scope};
use crate::error::{Error, Result};
use crate::jobs::FollowUps;
use crate::listing::{Cursor, KeyValue, Page, PageRequest};
use crate::ports::{Cache, CommentStore, PostStore, UserStore};
use crate::posts::{Body, Sentiment, VoteState};
use crate::time::{Clock, Timestamp};
use crate::users::AuthorRef;

pub const CONTENT_MAX: usize = 10_000;

/// Cursor ordering names of comment lists.
pub const ORDER_OF_POST: &str = "comments.post";
pub const ORDER_OF_USER: &str = "comments.user";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    pub author: Option<AuthorRef>,
    pub content: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub vote_count: i64,
    pub sentiment: Option<Sentiment>,
    /// One of the best comments (베스트 댓글) lifted to the head of the first page; the
    /// same comment keeps its place in the thread too, unmarked.
    #[serde(default)]
    pub best: bool,
    /// A reply's thread: the top-level comment it is under (`None` for a top-level one).
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// The comment a reply answers: its thread's top-level comment or another reply.
    #[serde(default)]
    pub reply_to_id: Option<i64>,
    /// A top-level comment's live replies.
    #[serde(default)]
    pub reply_count: i64,
    /// A deleted top-level comment kept as a placeholder because it has replies: its
    /// content and author are not shown.
    #[serde(default)]
    pub deleted: bool,
    /// By a member the reader blocks, kept (blanked) because others replied to it.
    #[serde(default)]
    pub blocked: bool,
    /// The members it mentions (`@이름`), by their current names.
    #[serde(default)]
    pub mentions: Vec<AuthorRef>,
}

/// Replies a thread shows in a post's comment list (its `reply_count` tells the rest).
pub const REPLIES_SHOWN: u32 = 100;

/// What a reply is made under: the comment answered, as the store finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyTarget {
    pub post_id: i64,
    /// The answered comment's own thread (`None`: it is top-level, so it is the thread).
    pub parent_id: Option<i64>,
    pub deleted: bool,
}

/// How many best comments head a post's first page of comments.
pub const BEST_COMMENTS: u32 = 3;

impl Comment {
    /// Cursor key: creation time, then id.
    pub fn key(&self) -> (KeyValue, i64) {
        (KeyValue::Int(self.created_at.millis()), self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentVersion {
    pub version: i64,
    pub content: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewComment {
    pub post_id: i64,
    pub author_id: i64,
    /// For a reply: its thread's top-level comment, and the comment it answers.
    pub parent_id: Option<i64>,
    pub reply_to_id: Option<i64>,
    pub content: Body,
    /// The members its text mentions.
    pub mentions: Vec<i64>,
    pub now: Timestamp,
    /// Jobs enqueued in the same transaction, about the new comment.
    pub follow_up: Vec<&'static str>,
}

/// A comment and whether the caller voted for it (`None` without a caller).
pub type CommentView = (Comment, Option<bool>);

/// A page of a post's comments as the cache keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedComments {
    best: Vec<Comment>,
    items: Vec<Comment>,
    total_items: i64,
    total_capped: bool,
    next: Option<(KeyValue, i64)>,
}

/// The stores the comment use cases read and write.
pub struct CommentStores {
    pub comments: Arc<dyn CommentStore>,
    pub posts: Arc<dyn PostStore>,
    pub blocks: Arc<dyn BlockStore>,
    pub users: Arc<dyn UserStore>,
}

pub struct Comments {
    comments: Arc<dyn CommentStore>,
    posts: Arc<dyn PostStore>,
    blocks: Arc<dyn BlockStore>,
    users: Arc<dyn UserStore>,
    cache: Arc<dyn Cache>,
    follow_ups: FollowUps,
    clock: Arc<dyn Clock>,
    /// Votes a comment needs to be one of the best.
    best_min_votes: i64,
}

fn parse_content(content: Option<&str>) -> Result<Body> {
    match content {
        Some(c) => Body::parse("content", c, CONTENT_MAX).map_err(|v| Error::Validation(vec![v])),
        None => Err(Error::invalid("content", "required", "content is required")),
    }
}

impl Comments {
    pub fn new(
        CommentStores {
            comments,
            posts,
            blocks,
            users,
        }: CommentStores,
        cache: Arc<dyn Cache>,
        follow_ups: FollowUps,
        clock: Arc<dyn Clock>,
        best_min_votes: i64,
    ) -> Self {
        Self {
            comments,
            posts,
            blocks,
            users,
            cache,
            follow_ups,
            clock,
            best_min_votes,
        }
    }

    /// A comment was added or removed: the post's count and the author's profile moved.
    async fn counts_changed(&self, post_id: i64, author: Option<i64>) {
        let mut scopes = scope::post_changed(post_id).to_vec();
        scopes.extend(author.map(scope::user));
        self.cache.invalidate(&scopes).await;
    }

    async fn with_votes(
        &self,
        items: Vec<Comment>,
        viewer: Option<&Actor>,
    ) -> Result<Vec<CommentView>> {
        let Some(actor) = viewer else {
            return Ok(items.into_iter().map(|c| (c, None)).collect());
        };
        let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
        let voted = if ids.is_empty() {
            Vec::new()
        } else {
            self.comments.comments_voted(&ids, actor.id).await?
        };
        Ok(items
            .into_iter()
            .map(|c| {
                let v = voted.contains(&c.id);
                (c, Some(v))
            })
            .collect())
    }

    async fn one(&self, id: i64, viewer: Option<&Actor>) -> Result<CommentView> {
        let c = self
            .comments
            .comment(id)
            .await?
            .ok_or(Error::NotFound("comment"))?;
        let mut v = self.with_votes(vec![c], viewer).await?;
        v.pop().ok_or(Error::NotFound("comment"))
    }

    /// Where a reply to `answered` goes: (its thread's top-level comment, the comment
    /// answered). A reply to a reply joins the same thread, one level deep as on Korean
    /// boards. The answered comment must be a live comment of the same post.
    async fn thread_of(&self, post_id: i64, answered: i64) -> Result<(i64, i64)> {
        let refuse = |code, message: &str| Err(Error::invalid("parent_id", code, message));
        match self.comments.reply_target(answered).await? {
            None => refuse("not_found", "parent_id names no comment"),
            Some(t) if t.post_id != post_id => {
                refuse("other_post", "parent_id is a comment of another post")
            }
            Some(t) if t.deleted => refuse("deleted", "parent_id names a deleted comment"),
            Some(t) => Ok((t.parent_id.unwrap_or(answered), answered)),
        }
    }

    #[tracing::instrument(name = "comments.create", skip_all)]
    pub async fn create(
        &self,
        actor: &Actor,
        post_id: i64,
        content: Option<&str>,
        parent: Option<i64>,
    ) -> Result<CommentView> {
        actor.ensure_can_write()?;
        // A missing post is 404 before any validation of the body.
        match self.posts.post_ref(post_id).await? {
            Some(r) if !r.deleted => {}
            _ => return Err(Error::NotFound("post")),
        }
        let content = parse_content(content)?;
        let (parent_id, reply_to_id) = match parent {
            Some(answered) => {
                let (root, answered) = self.thread_of(post_id, answered).await?;
                (Some(root), Some(answered))
            }
            None => (None, None),
        };
        let new = NewComment {
            post_id,
            author_id: actor.id,
            parent_id,
            reply_to_id,
            mentions: crate::mentions::mentioned(self.users.as_ref(), content.as_str()).await?,
            content,
            now: self.clock.now(),
            follow_up: self.follow_ups.comment_written.clone(),
        };
        let id = self
            .comments
            .insert_comment(&new)
            .await?
            .ok_or(Error::NotFound("post"))?;
        self.counts_changed(post_id, Some(actor.id)).await;
        let view = self.one(id, Some(actor)).await?;
        Ok(view)
    }

    #[tracing::instrument(name = "comments.of_post", skip_all)]
    pub async fn of_post(
        &self,
        post_id: i64,
        page: &PageRequest,
        viewer: Option<&Actor>,
    ) -> Result<Page<CommentView>> {
        let load = || async {
            match self.posts.post_ref(post_id).await? {
                Some(r) if !r.deleted => {}
                _ => return Err(Error::NotFound("post")),
            }
            self.comments.comments_of_post(post_id, page).await
        };
        // The first page opens with the best comments.
        let first = page.after.is_none() && page.page == 1;
        let best = || async {
            if !first {
                return Ok(Vec::new());
            }
            let mut best = self
                .comments
                .best_comments(post_id, self.best_min_votes, BEST_COMMENTS)
                .await?;
            for c in &mut best {
                c.best = true;
            }
            Ok(best)
        };
        // The numbered pages are cached for a few seconds under the post's scope,
        // which new, edited and deleted comments (and the post's own changes) drop.
        let page = if page.after.is_none() && page.page <= 10 {
            let cached: CachedComments = read_through(
                self.cache.as_ref(),
                Entry::post_comments(post_id, page.page, page.size),
                || async {
                    let p = load().await?;
                    Ok(CachedComments {
                        best: best().await?,
                        next: p.next_cursor.map(|c| (c.key, c.id)),
                        items: p.items,
                        total_items: p.total_items,
                        total_capped: p.total_capped,
                    })
                },
            )
            .await?;
            let mut items = cached.best;
            items.extend(cached.items);
            Page {
                items,
                total_items: cached.total_items,
                total_capped: cached.total_capped,
                current_page: page.page,
                size: page.size,
                next_cursor: cached.next.map(|(key, id)| Cursor {
                    page: page.page.saturating_add(1),
                    order: ORDER_OF_POST,
                    key,
                    id,
                }),
            }
        } else {
            let mut p = load().await?;
            let mut items = best().await?;
            items.append(&mut p.items);
            p.items = items;
            p
        };
        let mut page = page;
        if let Some(v) = viewer {
            let blocked: Vec<i64> = self.blocks.blocked_ids(v.id).await?;
            crate::blocks::hide_comments(&mut page.items, &blocked);
        }
        self.page_with_votes(page, viewer).await
    }

    #[tracing::instrument(name = "comments.of_user", skip_all)]
    pub async fn of_user(&self, user_id: i64, page: &PageRequest) -> Result<Page<Comment>> {
        self.comments.comments_of_user(user_id, page).await
    }

    async fn page_with_votes(
        &self,
        page: Page<Comment>,
        viewer: Option<&Actor>,
    ) -> Result<Page<CommentView>> {
        let Page {
            items,
            total_items,
            total_capped,
            current_page,
            size,
            next_cursor,
        } = page;
        let items = self.with_votes(items, viewer).await?;
        Ok(Page {
            items,
            total_items,
            total_capped,
            current_page,
            size,
            next_cursor,
        })
    }

    #[tracing::instrument(name = "comments.edit", skip_all)]
    pub async fn edit(&self, actor: &Actor, id: i64, content: Option<&str>) -> Result<CommentView> {
        actor.ensure_can_write()?;
        let r = self
            .comments
            .comment_ref(id)
            .await?
            .filter(|r| !r.deleted)
            .ok_or(Error::NotFound("comment"))?;
        if r.author_id != Some(actor.id) {
            return Err(Error::Forbidden(
                "only the author may edit a comment".into(),
            ));
        }
        let content = parse_content(content)?;
        let mentions = crate::mentions::mentioned(self.users.as_ref(), content.as_str()).await?;
        let comment = self
            .comments
            .update_comment(
                id,
                actor.id,
                content.as_str(),
                self.clock.now(),
                &self.follow_ups.comment_written,
                &mentions,
            )
            .await?
            .ok_or(Error::NotFound("comment"))?;
        self.cache.invalidate(&[scope::post(comment.post_id)]).await;
        let mut v = self.with_votes(vec![comment], Some(actor)).await?;
        v.pop().ok_or(Error::NotFound("comment"))
    }

    #[tracing::instrument(name = "comments.versions", skip_all)]
    pub async fn versions(&self, id: i64) -> Result<Vec<CommentVersion>> {
        self.comments
            .comment_ref(id)
            .await?
            .filter(|r| !r.deleted)
            .ok_or(Error::NotFound("comment"))?;
        self.comments.comment_versions(id).await
    }

    #[tracing::instrument(name = "comments.delete", skip_all)]
    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.ensure_can_write()?;
        let r = self
            .comments
            .comment_ref(id)
            .await?
            .filter(|r| !r.deleted)
            .ok_or(Error::NotFound("comment"))?;
        if r.author_id != Some(actor.id) && !actor.is_staff() {
            return Err(Error::Forbidden(
                "only the author or staff may delete a comment".into(),
            ));
        }
        let post_id = self
            .comments
            .delete_comment(id, self.clock.now())
            .await?
            .ok_or(Error::NotFound("comment"))?;
        self.counts_changed(post_id, r.author_id).await;
        Ok(())
    }

    #[tracing::instrument(name = "comments.vote", skip_all)]
    pub async fn vote(&self, actor: &Actor, id: i64, on: bool) -> Result<VoteState> {
        actor.ensure_can_write()?;
        let vote_count = self
            .comments
            .set_comment_vote(id, actor.id, on, self.clock.now())
            .await?
            .ok_or(Error::NotFound("comment"))?;
        Ok(VoteState {
            vote_count,
            voted: on,
        })
    }
}
