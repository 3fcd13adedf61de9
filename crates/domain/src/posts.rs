//! Posts: entities, input rules and use cases. Every edit is a new version; the
//! post row carries the current one and the counters its lists sort by.

use std::sync::Arc;

use crate::accounts::Actor;
use crate::cache::{Entry, read_through, scope};
use crate::categories::CategoryTree;
use crate::categories::load_tree;
use crate::error::{Error, Result, Violation};
use crate::jobs::FollowUps;
use crate::listing::{Cursor, KeyValue, Page, PageRequest};
use crate::ports::{Cache, CategoryStore, PostStore};
use crate::search::text::nfc;
use crate::search::{
    Highlights, PostSearch, SearchQuery, SearchRequest, highlight, hot_rank, post_search_text,
};
use crate::sentiment::parse_label;
use crate::time::{Clock, Timestamp};
use crate::users::AuthorRef;
use crate::validate::{Violations, char_len, not_blank, positive_id};

pub const TITLE_MAX: usize = 200;
pub const CONTENT_MAX: usize = 50_000;
pub const EXCERPT_CHARS: usize = 200;
/// How deep a keyword search pages by number; beyond, its cursor goes on.
pub const SEARCH_OFFSET_MAX: u64 = 10_000;

/// 1–200 characters, not blank; kept in NFC without surrounding white space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(s: &str) -> Result<Self, Violation> {
        let s = nfc(s.trim());
        not_blank("title", &s)?;
        char_len("title", &s, 1, TITLE_MAX)?;
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Body text of `min..=max` characters, not blank; kept as written, in NFC (so what
/// is stored, searched and highlighted is the same text whichever way it was typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub fn parse(field: &str, s: &str, max: usize) -> Result<Self, Violation> {
        let s = nfc(s);
        not_blank(field, &s)?;
        char_len(field, &s, 1, max)?;
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sentiment {
    pub label: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PostDetail {
    pub id: i64,
    pub category: CategoryRef,
    pub author: Option<AuthorRef>,
    pub title: String,
    pub content: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub comment_count: i64,
    pub vote_count: i64,
    pub sentiment: Option<Sentiment>,
    pub deleted_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PostSummary {
    pub id: i64,
    pub category: CategoryRef,
    pub author: Option<AuthorRef>,
    pub title: String,
    pub excerpt: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub comment_count: i64,
    pub vote_count: i64,
    pub hot_rank: f64,
    pub sentiment: Option<Sentiment>,
    /// Where a keyword search matched; `None` in other lists.
    pub highlights: Option<Highlights>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostVersion {
    pub version: i64,
    pub title: String,
    pub content: String,
    pub created_at: Timestamp,
}

/// Who wrote a post or comment and whether it is deleted: what permission checks need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRef {
    pub author_id: Option<i64>,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct NewPost {
    pub category_id: i64,
    pub author_id: i64,
    pub title: Title,
    pub content: Body,
    pub search_text: String,
    pub hot_rank: f64,
    pub now: Timestamp,
    /// Jobs enqueued in the same transaction, about the new post.
    pub follow_up: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct PostEdit {
    pub title: Title,
    pub content: Body,
    pub category_id: Option<i64>,
    pub search_text: String,
    pub now: Timestamp,
    /// Jobs enqueued in the same transaction, about the edited post.
    pub follow_up: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostSort {
    #[default]
    New,
    Top,
    Hot,
    /// Keyword searches only: title matches first, then more matches, then newer.
    Relevance,
}

impl PostSort {
    pub fn parse(s: &str) -> Result<Self, Violation> {
        match s {
            "new" => Ok(Self::New),
            "top" => Ok(Self::Top),
            "hot" => Ok(Self::Hot),
            "relevance" => Ok(Self::Relevance),
            _ => Err(Violation::new(
                "sort",
                "one_of",
                "sort must be one of new, top, hot, relevance",
            )),
        }
    }

    /// The name a cursor of this ordering carries.
    pub fn order(self) -> &'static str {
        match self {
            Self::New => "posts.new",
            Self::Top => "posts.top",
            Self::Hot => "posts.hot",
            Self::Relevance => "posts.relevance",
        }
    }

    /// The sort key and id of a listed post, for its cursor. Relevance is not a column
    /// of the post: its key comes from the search index.
    pub fn key_of(self, p: &PostSummary) -> (KeyValue, i64) {
        match self {
            Self::New | Self::Relevance => (KeyValue::Int(p.created_at.millis()), p.id),
            Self::Top => (KeyValue::Int(p.vote_count), p.id),
            Self::Hot => (KeyValue::Float(p.hot_rank), p.id),
        }
    }
}

/// A checked post list request.
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    /// Only posts with this sentiment label (staff only).
    pub sentiment: Option<String>,
    /// The chosen category and all below it.
    pub category_ids: Option<Vec<i64>>,
    pub author_id: Option<i64>,
    pub sort: PostSort,
}

/// A post list request as received.
#[derive(Debug, Clone, Default)]
pub struct PostQuery {
    pub category_id: Option<i64>,
    pub keyword: Option<String>,
    pub author_id: Option<i64>,
    pub sort: Option<String>,
    /// `positive` or `negative`; moderators and admins only.
    pub sentiment: Option<String>,
    pub page: Option<i64>,
    pub size: Option<i64>,
    pub cursor: Option<String>,
}

/// Post create/edit input as received.
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub category_id: Option<i64>,
    pub title: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteState {
    pub vote_count: i64,
    pub voted: bool,
}

/// How many numbered pages of a list without a keyword are cached.
pub const LIST_CACHED_PAGES: u32 = 10;

/// A list page as the cache keeps it (a cursor's order is a static name: rebuilt).
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedList {
    items: Vec<PostSummary>,
    total_items: i64,
    total_capped: bool,
    next: Option<(KeyValue, i64)>,
}

pub struct Posts {
    posts: Arc<dyn PostStore>,
    search: Arc<dyn PostSearch>,
    categories: Arc<dyn CategoryStore>,
    cache: Arc<dyn Cache>,
    follow_ups: FollowUps,
    clock: Arc<dyn Clock>,
}

impl Posts {
    pub fn new(
        posts: Arc<dyn PostStore>,
        search: Arc<dyn PostSearch>,
        categories: Arc<dyn CategoryStore>,
        cache: Arc<dyn Cache>,
        follow_ups: FollowUps,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            posts,
            search,
            categories,
            cache,
            follow_ups,
            clock,
        }
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

    /// Checks the fields of a create (`category_required`) or an edit.
    async fn parse_input(
        &self,
        input: &PostInput,
        category_required: bool,
    ) -> Result<(Title, Body, Option<i64>)> {
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
                Some(id) if self.tree().await?.get(id).is_none() => {
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
        v.into_result()?;
        match (title, content) {
            (Some(t), Some(c)) => Ok((t, c, category)),
            _ => Err(Error::internal(crate::error::Message(
                "post fields checked above".into(),
            ))),
        }
    }

    pub async fn create(&self, actor: &Actor, input: PostInput) -> Result<PostDetail> {
        actor.ensure_can_write()?;
        let (title, content, category) = self.parse_input(&input, true).await?;
        let category_id = category
            .ok_or_else(|| Error::invalid("category_id", "required", "category_id is required"))?;
        let now = self.clock.now();
        let new = NewPost {
            category_id,
            author_id: actor.id,
            search_text: post_search_text(title.as_str(), content.as_str()),
            hot_rank: hot_rank(0, now),
            title,
            content,
            now,
            follow_up: self.follow_ups.post_written.clone(),
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

    /// A post as `viewer` may see it, and whether the viewer voted for it.
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
    pub async fn edit(
        &self,
        actor: &Actor,
        id: i64,
        input: PostInput,
    ) -> Result<(PostDetail, bool)> {
        actor.ensure_can_write()?;
        let r = self.visible_ref(id, None).await?;
        if r.author_id != Some(actor.id) {
            return Err(Error::Forbidden("only the author may edit a post".into()));
        }
        let (title, content, category_id) = self.parse_input(&input, false).await?;
        let edit = PostEdit {
            search_text: post_search_text(title.as_str(), content.as_str()),
            title,
            content,
            category_id,
            now: self.clock.now(),
            follow_up: self.follow_ups.post_written.clone(),
        };
        let post = self
            .posts
            .update_post(id, actor.id, &edit)
            .await?
            .ok_or(Error::NotFound("post"))?;
        self.changed(id, None).await;
        Ok((post, self.posts.post_voted(id, actor.id).await?))
    }

    pub async fn versions(&self, id: i64, viewer: Option<&Actor>) -> Result<Vec<PostVersion>> {
        self.visible_ref(id, viewer).await?;
        self.posts.post_versions(id).await
    }

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
    pub async fn stamps(&self, from: i64, to: i64) -> Result<Vec<(i64, Timestamp)>> {
        self.posts.post_stamps(from, to).await
    }

    /// The highest post id given so far.
    pub async fn last_id(&self) -> Result<i64> {
        self.posts.last_post_id().await
    }

    pub async fn list(&self, q: PostQuery, viewer: Option<&Actor>) -> Result<Page<PostSummary>> {
        if q.sentiment.is_some() && !viewer.is_some_and(Actor::is_staff) {
            return Err(Error::Forbidden(
                "filtering by sentiment is for moderators".into(),
            ));
        }
        let mut v = Violations::new();
        let sentiment = q
            .sentiment
            .as_deref()
            .and_then(|s| v.check(parse_label("sentiment", s)));
        let sort = match q.sort.as_deref() {
            None | Some("") => PostSort::New,
            Some(s) => v.check(PostSort::parse(s)).unwrap_or_default(),
        };
        let keyword = q
            .keyword
            .as_deref()
            .and_then(|k| v.check(SearchQuery::parse("keyword", k)))
            .flatten();
        v.into_result()?;
        // Relevance orders matches; without a keyword (or with a blank one) every post
        // matches equally, and the list is the newest first.
        let sort = match (sort, &keyword) {
            (PostSort::Relevance, None) => PostSort::New,
            (s, _) => s,
        };
        let page = PageRequest::parse(q.page, q.size, q.cursor.as_deref(), sort.order())?;
        let category_ids = match q.category_id {
            Some(id) => Some(self.tree().await?.subtree_ids(id)),
            None => None,
        };
        let filter = PostFilter {
            category_ids,
            author_id: q.author_id,
            sort,
            sentiment,
        };
        match keyword {
            Some(query) => self.search(&query, &filter, &page).await,
            // The numbered first pages are what most readers ask for: cached for a
            // few seconds, and dropped at once by any post's change.
            None if page.after.is_none() && page.page <= LIST_CACHED_PAGES => {
                let key = format!(
                    "{}:{}:{}:{}:{}:{}",
                    sort.order(),
                    q.category_id.unwrap_or(0),
                    filter.author_id.unwrap_or(0),
                    filter.sentiment.as_deref().unwrap_or(""),
                    page.page,
                    page.size
                );
                let cached: CachedList =
                    read_through(self.cache.as_ref(), Entry::post_list(&key), || async {
                        let p = self.posts.list_posts(&filter, &page).await?;
                        Ok(CachedList {
                            next: p.next_cursor.map(|c| (c.key, c.id)),
                            items: p.items,
                            total_items: p.total_items,
                            total_capped: p.total_capped,
                        })
                    })
                    .await?;
                Ok(Page {
                    items: cached.items,
                    total_items: cached.total_items,
                    total_capped: cached.total_capped,
                    current_page: page.page,
                    size: page.size,
                    next_cursor: cached.next.map(|(key, id)| Cursor {
                        page: page.page.saturating_add(1),
                        order: sort.order(),
                        key,
                        id,
                    }),
                })
            }
            None => self.posts.list_posts(&filter, &page).await,
        }
    }

    /// A keyword search: the index picks the page's posts, the store reads them, and
    /// each gets its excerpt around the first match and its highlights.
    async fn search(
        &self,
        query: &SearchQuery,
        filter: &PostFilter,
        page: &PageRequest,
    ) -> Result<Page<PostSummary>> {
        if page.after.is_none() && page.offset() + u64::from(page.size) > SEARCH_OFFSET_MAX {
            return Err(Error::invalid(
                "page",
                "range",
                format!(
                    "a keyword search pages by number up to its {SEARCH_OFFSET_MAX}th match; \
                     follow next_cursor to go further"
                ),
            ));
        }
        let found = self
            .search
            .search(&SearchRequest {
                query,
                category_ids: filter.category_ids.as_deref(),
                author_id: filter.author_id,
                sentiment: filter.sentiment.as_deref(),
                sort: filter.sort,
                page,
            })
            .await?;
        let ids: Vec<i64> = found.hits.iter().map(|h| h.id).collect();
        let mut rows = self.posts.post_summaries(&ids).await?;
        // The index and the rows can disagree for the moment a post is deleted between
        // the two reads: such a post is left out rather than shown half.
        let mut items = Vec::with_capacity(found.hits.len());
        for hit in found.hits {
            if let Some(i) = rows.iter().position(|r| r.0.id == hit.id) {
                let (mut summary, content) = rows.swap_remove(i);
                let (excerpt, h) = highlight(&summary.title, &content, query);
                summary.excerpt = excerpt;
                summary.highlights = Some(h);
                items.push((summary, hit));
            }
        }
        let order = filter.sort.order();
        Ok(
            Page::from_rows(items, page, order, found.total, found.capped, |(_, h)| {
                (h.key, h.id)
            })
            .map(|(summary, _)| summary),
        )
    }
}
