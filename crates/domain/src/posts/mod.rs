//! Posts: use cases. Every edit is a new version; the post row carries the current
//! one and the counters its lists sort by.

mod bookmarks;
mod list;
mod model;
mod pins;

pub use list::LIST_CACHED_PAGES;
pub use model::*;
pub use pins::PINS_PER_SCOPE;

use std::sync::Arc;

use crate::accounts::{Actor, ClientInfo};
use crate::cache::{Entry, read_through, scope};
use crate::categories::{CategoryTree, load_tree};
use crate::error::{Error, Result};
use crate::jobs::FollowUps;
use crate::ports::{BookmarkStore, Cache, CategoryStore, PinStore, PostStore, UserStore};
use crate::prefixes::check_post_prefix;
use crate::search::{PostSearch, hot_rank, post_search_text};
use crate::time::{Clock, Timestamp};
use crate::validate::{Violations, positive_id};
use crate::views::Views;

/// What the post use cases are made of.
pub struct PostPorts {
    pub posts: Arc<dyn PostStore>,
    pub search: Arc<dyn PostSearch>,
    pub categories: Arc<dyn CategoryStore>,
    pub pins: Arc<dyn PinStore>,
    pub bookmarks: Arc<dyn BookmarkStore>,
    pub blocks: Arc<dyn crate::blocks::BlockStore>,
    pub users: Arc<dyn UserStore>,
    pub views: Arc<Views>,
    pub cache: Arc<dyn Cache>,
    pub follow_ups: FollowUps,
    pub clock: Arc<dyn Clock>,
}

pub struct Posts {
    posts: Arc<dyn PostStore>,
    search: Arc<dyn PostSearch>,
    categories: Arc<dyn CategoryStore>,
    pins: Arc<dyn PinStore>,
    bookmarks: Arc<dyn BookmarkStore>,
    blocks: Arc<dyn crate::blocks::BlockStore>,
    users: Arc<dyn UserStore>,
    views: Arc<Views>,
    cache: Arc<dyn Cache>,
    follow_ups: FollowUps,
    clock: Arc<dyn Clock>,
}

/// A post's fields as checked: title, body, board and prefix.
struct Checked {
    title: Title,
    content: Body,
    category: Option<i64>,
    prefix: Option<i64>,
}

impl Posts {
    pub fn new(p: PostPorts) -> Self {
        Self {
            posts: p.posts,
            search: p.search,
            categories: p.categories,
            pins: p.pins,
            bookmarks: p.bookmarks,
            blocks: p.blocks,
            users: p.users,
            views: p.views,
            cache: p.cache,
            follow_ups: p.follow_ups,
            clock: p.clock,
        }
    }

    /// The jobs a post's write enqueues: its labelling, and its notifications when it
    /// mentions someone (posts tell nobody else).
    fn follow_ups_of(&self, mentions: &[i64]) -> Vec<&'static str> {
        let mut jobs = self.follow_ups.post_written.clone();
        if !mentions.is_empty() {
            jobs.extend(&self.follow_ups.post_mentioning);
        }
        jobs
    }

    /// The members a post's texts mention.
    async fn mentioned(&self, texts: &[&str]) -> Result<Vec<i64>> {
        crate::mentions::mentioned(self.users.as_ref(), &texts.join("\n")).await
    }

    async fn tree(&self) -> Result<CategoryTree> {
        load_tree(self.categories.as_ref(), self.cache.as_ref()).await
    }

    /// After a write that changed the post (and maybe its author's counts).
    async fn changed(&self, id: i64, author: Option<i64>) {
        let mut scopes = scope::post_changed(id).to_vec();
        scopes.extend(author.map(scope::user));
        self.cache.invalidate(&scopes).await;
    }

    /// Checks the fields of a create (no `current`) or of an edit of `current`.
    async fn parse_input(
        &self,
        input: &PostInput,
        current: Option<&PostDetail>,
    ) -> Result<Checked> {
        let category_required = current.is_none();
        let tree = self.tree().await?;
        let mut v = Violations::new();
        let title = match &input.title {
            Some(t) => v.check(Title::parse(t)),
            None => {
                v.add("title", "required", "title is required");
                None
            }
        };
        let content = match &input.content {
            Some(c) => v.check(Body::parse("content", c, CONTENT_MAX)),
            None => {
                v.add("content", "required", "content is required");
                None
            }
        };
        let category = match input.category_id {
            Some(id) => match v.check(positive_id("category_id", id)) {
                Some(id) if tree.get(id).is_none() => {
                    v.add(
                        "category_id",
                        "exists",
                        "category_id does not name a category",
                    );
                    None
                }
                other => other,
            },
            None if category_required => {
                v.add("category_id", "required", "category_id is required");
                None
            }
            None => None,
        };
        let board = category.or(current.map(|p| p.category.id));
        let prefix = match input.prefix_id {
            Some(Some(p)) => v.check(positive_id("prefix_id", p)),
            Some(None) => None,
            // An edit in the same board keeps the prefix; a move leaves it behind.
            None => current
                .filter(|p| Some(p.category.id) == board)
                .and_then(|p| p.prefix.as_ref().map(|x| x.id)),
        };
        if let Some(board) = board {
            v.check(check_post_prefix(&tree, board, prefix));
        }
        v.into_result()?;
        match (title, content) {
            (Some(title), Some(content)) => Ok(Checked {
                title,
                content,
                category,
                prefix,
            }),
            _ => Err(Error::internal(crate::error::Message(
                "post fields checked above".into(),
            ))),
        }
    }

    #[tracing::instrument(name = "posts.create", skip_all)]
    pub async fn create(&self, actor: &Actor, input: PostInput) -> Result<PostDetail> {
        actor.ensure_can_write()?;
        let c = self.parse_input(&input, None).await?;
        let category_id = c
            .category
            .ok_or_else(|| Error::invalid("category_id", "required", "category_id is required"))?;
        let now = self.clock.now();
        let mentions = self
            .mentioned(&[c.title.as_str(), c.content.as_str()])
            .await?;
        let follow_up = self.follow_ups_of(&mentions);
        let new = NewPost {
            mentions,
            category_id,
            author_id: actor.id,
            prefix_id: c.prefix,
            search_text: post_search_text(c.title.as_str(), c.content.as_str()),
            hot_rank: hot_rank(0, now),
            title: c.title,
            content: c.content,
            now,
            follow_up,
        };
        let id = self.posts.insert_post(&new).await?;
        self.changed(id, Some(actor.id)).await;
        let post = self
            .posts
            .post(id, false)
            .await?
            .ok_or(Error::NotFound("post"))?;
        Ok(post)
    }

    /// A post read by a member or a visitor: [`Posts::get`], with the read counted.
    #[tracing::instrument(name = "posts.view", skip_all)]
    pub async fn view(
        &self,
        id: i64,
        viewer: Option<&Actor>,
        client: &ClientInfo,
    ) -> Result<(PostDetail, Option<bool>)> {
        let (post, voted) = self.get(id, viewer).await?;
        self.views.record(&post, viewer, client).await;
        Ok((post, voted))
    }

    /// A post as `viewer` may see it, and whether the viewer voted for it.
    #[tracing::instrument(name = "posts.get", skip_all)]
    pub async fn get(&self, id: i64, viewer: Option<&Actor>) -> Result<(PostDetail, Option<bool>)> {
        // Staff also see deleted posts: they read the store. Everyone else shares
        // the cached view of the active post; `voted` is theirs alone.
        let post = if viewer.is_some_and(Actor::is_staff) {
            self.posts
                .post(id, true)
                .await?
                .ok_or(Error::NotFound("post"))?
        } else {
            read_through(self.cache.as_ref(), Entry::post(id), || async {
                self.posts
                    .post(id, false)
                    .await?
                    .ok_or(Error::NotFound("post"))
            })
            .await?
        };
        let voted = match viewer {
            Some(a) => Some(self.posts.post_voted(id, a.id).await?),
            None => None,
        };
        Ok((post, voted))
    }

    /// A post's ref when it is active, or visible to `viewer` while deleted.
    async fn visible_ref(&self, id: i64, viewer: Option<&Actor>) -> Result<ContentRef> {
        match self.posts.post_ref(id).await? {
            Some(r) if !r.deleted || viewer.is_some_and(Actor::is_staff) => Ok(r),
            _ => Err(Error::NotFound("post")),
        }
    }

    /// Stores the edit as a new version; answers the post and whether the editor voted for it.
    #[tracing::instrument(name = "posts.edit", skip_all)]
    pub async fn edit(
        &self,
        actor: &Actor,
        id: i64,
        input: PostInput,
    ) -> Result<(PostDetail, bool)> {
        actor.ensure_can_write()?;
        let current = self
            .posts
            .post(id, false)
            .await?
            .ok_or(Error::NotFound("post"))?;
        if current.author.as_ref().map(|a| a.id) != Some(actor.id) {
            return Err(Error::Forbidden("only the author may edit a post".into()));
        }
        let c = self.parse_input(&input, Some(&current)).await?;
        let mentions = self
            .mentioned(&[c.title.as_str(), c.content.as_str()])
            .await?;
        let edit = PostEdit {
            follow_up: self.follow_ups_of(&mentions),
            mentions,
            search_text: post_search_text(c.title.as_str(), c.content.as_str()),
            title: c.title,
            content: c.content,
            category_id: c.category,
            prefix_id: c.prefix,
            now: self.clock.now(),
        };
        let post = self
            .posts
            .update_post(id, actor.id, &edit)
            .await?
            .ok_or(Error::NotFound("post"))?;
        self.changed(id, None).await;
        Ok((post, self.posts.post_voted(id, actor.id).await?))
    }

    #[tracing::instrument(name = "posts.versions", skip_all)]
    pub async fn versions(&self, id: i64, viewer: Option<&Actor>) -> Result<Vec<PostVersion>> {
        self.visible_ref(id, viewer).await?;
        self.posts.post_versions(id).await
    }

    #[tracing::instrument(name = "posts.delete", skip_all)]
    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.ensure_can_write()?;
        let r = self.visible_ref(id, None).await?;
        if r.author_id != Some(actor.id) && !actor.is_staff() {
            return Err(Error::Forbidden(
                "only the author or staff may delete a post".into(),
            ));
        }
        if self.posts.delete_post(id, self.clock.now()).await? {
            self.changed(id, r.author_id).await;
            Ok(())
        } else {
            Err(Error::NotFound("post"))
        }
    }

    #[tracing::instrument(name = "posts.vote", skip_all)]
    pub async fn vote(&self, actor: &Actor, id: i64, on: bool) -> Result<VoteState> {
        actor.ensure_can_write()?;
        let vote_count = self
            .posts
            .set_post_vote(id, actor.id, on, self.clock.now())
            .await?
            .ok_or(Error::NotFound("post"))?;
        self.changed(id, None).await;
        Ok(VoteState {
            vote_count,
            voted: on,
        })
    }

    /// The active posts with ids in `from..=to` and when each last changed (the
    /// sitemap's pages: id ranges, so that any page is one index range scan).
    #[tracing::instrument(name = "posts.stamps", skip_all)]
    pub async fn stamps(&self, from: i64, to: i64) -> Result<Vec<(i64, Timestamp)>> {
        self.posts.post_stamps(from, to).await
    }

    /// The highest post id given so far.
    #[tracing::instrument(name = "posts.last_id", skip_all)]
    pub async fn last_id(&self) -> Result<i64> {
        self.posts.last_post_id().await
    }
}
