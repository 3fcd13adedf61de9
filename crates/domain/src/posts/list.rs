//! Post lists: the sorted pages (their first pages cached, headed by the pins) and
//! keyword searches through the index.

use crate::accounts::Actor;
use crate::cache::{Entry, read_through};
use crate::error::{Error, Result};
use crate::listing::{Cursor, KeyValue, Page, PageRequest};
use crate::search::{SearchQuery, SearchRequest, highlight};
use crate::sentiment::parse_label;
use crate::validate::{Violations, positive_id};

use super::{PostFilter, PostQuery, PostSort, PostSummary, Posts, SEARCH_OFFSET_MAX};

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

impl Posts {
    #[tracing::instrument(name = "posts.list", skip_all)]
    pub async fn list(&self, q: PostQuery, viewer: Option<&Actor>) -> Result<Page<PostSummary>> {
        let (sentiment, sort, keyword) = checked(&q, viewer)?;
        let page = PageRequest::parse(q.page, q.size, q.cursor.as_deref(), sort.order())?;
        let category_ids = match q.category_id {
            Some(id) => Some(self.tree().await?.subtree_ids(id)),
            None => None,
        };
        let filter = PostFilter {
            category_ids,
            author_id: q.author_id,
            prefix_id: q.prefix_id,
            sort,
            sentiment,
        };
        // Pinned notices head the first page of the whole list and of a board, above
        // whatever order the list is in.
        let headed = keyword.is_none()
            && page.after.is_none()
            && page.page == 1
            && filter.author_id.is_none()
            && filter.sentiment.is_none()
            && filter.prefix_id.is_none();
        let mut list = match keyword {
            Some(query) => {
                let mut found = self.search(&query, &filter, &page).await?;
                if filter.author_id.is_none() {
                    self.hide_blocked(&mut found.items, viewer).await?;
                }
                return Ok(found);
            }
            // The numbered first pages are what most readers ask for: cached for a
            // few seconds, and dropped at once by any post's change.
            None if page.after.is_none() && page.page <= LIST_CACHED_PAGES => {
                self.cached_page(q.category_id, &filter, &page).await?
            }
            None => self.posts.list_posts(&filter, &page).await?,
        };
        if headed {
            let mut pins = self.pinned_head(q.category_id).await?;
            pins.append(&mut list.items);
            list.items = pins;
        }
        // A member's own list (their profile) is asked for by name: nothing is hidden.
        if filter.author_id.is_none() {
            self.hide_blocked(&mut list.items, viewer).await?;
        }
        Ok(list)
    }

    /// Leaves out the posts of members the viewer blocks (from the page as read, so a
    /// page may hold fewer; its total still counts every post).
    async fn hide_blocked(
        &self,
        items: &mut Vec<PostSummary>,
        viewer: Option<&Actor>,
    ) -> Result<()> {
        if let Some(v) = viewer {
            let blocked: Vec<i64> = self.blocks.blocked_ids(v.id).await?;
            crate::blocks::hide_posts(items, &blocked);
        }
        Ok(())
    }

    /// One of the first numbered pages of a list, through the cache.
    async fn cached_page(
        &self,
        category_id: Option<i64>,
        filter: &PostFilter,
        page: &PageRequest,
    ) -> Result<Page<PostSummary>> {
        let key = format!(
            "{}:{}:{}:{}:{}:{}:{}",
            filter.sort.order(),
            category_id.unwrap_or(0),
            filter.author_id.unwrap_or(0),
            filter.prefix_id.unwrap_or(0),
            filter.sentiment.as_deref().unwrap_or(""),
            page.page,
            page.size
        );
        let cached: CachedList =
            read_through(self.cache.as_ref(), Entry::post_list(&key), || async {
                let p = self.posts.list_posts(filter, page).await?;
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
                order: filter.sort.order(),
                key,
                id,
            }),
        })
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

/// A list request's rules: who may filter by sentiment, and which filters and sorts a
/// keyword search takes. Answers the sentiment label, the sort and the search query.
fn checked(
    q: &PostQuery,
    viewer: Option<&Actor>,
) -> Result<(Option<String>, PostSort, Option<SearchQuery>)> {
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
    if let Some(p) = q.prefix_id {
        v.check(positive_id("prefix_id", p));
    }
    if keyword.is_some() {
        // The search index orders by what it holds; views and prefixes change too
        // often (or are too local) to be part of it.
        if sort == PostSort::Views {
            v.add(
                "sort",
                "not_with_keyword",
                "a keyword search cannot sort by views",
            );
        }
        if q.prefix_id.is_some() {
            v.add(
                "prefix_id",
                "not_with_keyword",
                "a keyword search cannot filter by prefix",
            );
        }
    }
    v.into_result()?;
    // Relevance orders matches; without a keyword (or with a blank one) every post
    // matches equally, and the list is the newest first.
    let sort = match (sort, &keyword) {
        (PostSort::Relevance, None) => PostSort::New,
        (s, _) => s,
    };
    Ok((sentiment, sort, keyword))
}
