//! The search index's ports: what the post list asks of it ([`PostSearch`]) and what it
//! is built and kept in step from ([`SearchFeed`], the database's side).

use async_trait::async_trait;

use super::query::SearchQuery;
use crate::error::Result;
use crate::listing::{KeyValue, PageRequest};
use crate::posts::PostSort;
use crate::time::Timestamp;

/// One keyword search: the query, the list's filters, its order and its page.
#[derive(Debug, Clone, Copy)]
pub struct SearchRequest<'a> {
    pub query: &'a SearchQuery,
    /// The chosen category and all below it.
    pub category_ids: Option<&'a [i64]>,
    pub author_id: Option<i64>,
    pub sentiment: Option<&'a str>,
    pub sort: PostSort,
    pub page: &'a PageRequest,
}

/// A matching post and its sort key (for the page's cursor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchHit {
    pub id: i64,
    pub key: KeyValue,
}

/// One page of matches: up to `size + 1` hits (the extra one says a next page exists).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchHits {
    pub hits: Vec<SearchHit>,
    /// Matches in all, at most `COUNT_CAP`.
    pub total: i64,
    /// True when there are more than `COUNT_CAP` matches.
    pub capped: bool,
}

/// The largest total a search reports exactly; past it the total says "capped".
pub const COUNT_CAP: i64 = 10_000;

#[async_trait]
pub trait PostSearch: Send + Sync {
    /// The page of posts that match, exact as of the database's latest change. An index
    /// that cannot answer exactly (still being built, or too far behind) answers
    /// `Error::Unavailable`, never a wrong page.
    async fn search(&self, req: &SearchRequest<'_>) -> Result<SearchHits>;
}

/// Where the change log stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeedHead {
    /// Bumped when posts were written around the change log (a bulk seed): every
    /// index built for an older generation is rebuilt.
    pub generation: i64,
    /// The newest change's sequence number, 0 when there is none.
    pub max_seq: i64,
    /// Changes below this were purged: an index that stopped before it is rebuilt.
    pub purged_below: i64,
}

/// A post changed in a way the index must see (created, edited, moved, deleted,
/// restored, voted on or labelled), numbered by the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub post_id: i64,
}

/// An active post as the index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub id: i64,
    pub category_id: i64,
    pub author_id: Option<i64>,
    pub title: String,
    pub content: String,
    pub created_at: Timestamp,
    pub vote_count: i64,
    pub sentiment: Option<String>,
}

#[async_trait]
pub trait SearchFeed: Send + Sync {
    async fn search_head(&self) -> Result<FeedHead>;
    /// The generation and `search_changes(after, also, limit)`, in one round trip: what
    /// every search reads.
    async fn search_pending(
        &self,
        after: i64,
        also: &[i64],
        limit: u32,
    ) -> Result<(i64, Vec<Change>)>;
    /// Changes with `seq > after` or `seq` in `also`, oldest first, at most `limit`.
    async fn search_changes(&self, after: i64, also: &[i64], limit: u32) -> Result<Vec<Change>>;
    /// The active ones of these posts (a deleted or missing post is left out).
    async fn search_docs(&self, ids: &[i64]) -> Result<Vec<SearchDoc>>;
    /// Active posts with `id > after_id`, by id, at most `limit`: a rebuild's batches.
    async fn search_docs_after(&self, after_id: i64, limit: u32) -> Result<Vec<SearchDoc>>;
    /// How many active posts there are (a rebuild's progress).
    async fn active_posts(&self) -> Result<i64>;
    /// Ids of the members whose folded name contains `term`, at most `limit`.
    async fn authors_matching(&self, term: &str, limit: u32) -> Result<Vec<i64>>;
}
