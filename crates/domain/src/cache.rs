//! Cache-aside for read models, over the `Cache` port.
//!
//! Values are stored under *scopes* (`post:42`, `user:7`, `categories`, …). A write
//! invalidates the scopes it changed; the adapter then never serves a value read
//! before that invalidation (see `madang-cache` for how). Loading a missing value runs
//! once per node however many requests ask for it at the same moment.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::ports::Cache;

/// Bumped when a cached type changes shape, so old entries are never read.
const FORMAT: &str = "v2";

pub type Loader<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>>> + Send + 'a>>;

/// What a cached read model is, how long it lives, and the scopes that make it stale.
pub struct Entry {
    pub kind: &'static str,
    pub key: String,
    pub scopes: Vec<String>,
    pub ttl: Duration,
}

pub mod scope {
    /// Names of authors and categories shown inside other read models.
    pub const NAMES: &str = "names";
    pub const CATEGORIES: &str = "categories";
    pub const SEMINARS: &str = "seminars";
    /// Which members' names contain a search term: changed by a sign-up, a rename or a
    /// resignation.
    pub const AUTHORS: &str = "authors";
    /// The cached first pages of post lists: any post's change makes them stale.
    pub const POST_LISTS: &str = "post_lists";

    pub fn post(id: i64) -> String {
        format!("post:{id}")
    }

    /// What a change to post `id` (its text, state, counts or label) makes stale:
    /// the post and the lists that show it.
    pub fn post_changed(id: i64) -> [String; 2] {
        [post(id), POST_LISTS.to_owned()]
    }

    pub fn user(id: i64) -> String {
        format!("user:{id}")
    }
}

impl Entry {
    pub fn post(id: i64) -> Self {
        Self {
            kind: "post",
            key: format!("{FORMAT}:post:{id}"),
            scopes: vec![scope::post(id), scope::NAMES.to_owned()],
            ttl: Duration::from_secs(120),
        }
    }

    pub fn profile(id: i64) -> Self {
        Self {
            kind: "profile",
            key: format!("{FORMAT}:profile:{id}"),
            scopes: vec![scope::user(id)],
            ttl: Duration::from_secs(120),
        }
    }

    pub fn categories() -> Self {
        Self {
            kind: "categories",
            key: format!("{FORMAT}:categories"),
            scopes: vec![scope::CATEGORIES.to_owned()],
            ttl: Duration::from_secs(600),
        }
    }

    /// The staff dashboard's counts of the days before today, from `first` (UTC).
    /// Users, posts and comments are only soft-deleted, so their past counts stand; a
    /// withdrawn vote (deleted) or a seed that backfills old dates moves them, and the
    /// entry's ten minutes bound how long the chart can lag that. No invalidation.
    pub fn past_day_counts(first: &str) -> Self {
        Self {
            kind: "past_day_counts",
            key: format!("{FORMAT}:past-day-counts:{first}"),
            scopes: Vec::new(),
            ttl: Duration::from_secs(600),
        }
    }

    /// The ids of the members whose folded name contains `term` (a keyword search's
    /// author-name match).
    pub fn authors_named(term: &str) -> Self {
        Self {
            kind: "authors_named",
            key: format!("{FORMAT}:authors-named:{term}"),
            scopes: vec![scope::AUTHORS.to_owned()],
            ttl: Duration::from_secs(300),
        }
    }

    /// One of the first pages of a post list without a keyword (the front page, a
    /// board, a member's posts), keyed by its filter, order and page. Five seconds at
    /// most: every post write invalidates it anyway.
    pub fn post_list(query_key: &str) -> Self {
        Self {
            kind: "post_list",
            key: format!("{FORMAT}:post-list:{query_key}"),
            scopes: vec![
                scope::POST_LISTS.to_owned(),
                scope::NAMES.to_owned(),
                scope::CATEGORIES.to_owned(),
            ],
            ttl: Duration::from_secs(5),
        }
    }

    /// One of the first pages of a post's comments. Five seconds at most: new,
    /// edited and deleted comments invalidate it; a comment's vote count may lag.
    pub fn post_comments(post_id: i64, page: u32, size: u32) -> Self {
        Self {
            kind: "post_comments",
            key: format!("{FORMAT}:post-comments:{post_id}:{page}:{size}"),
            scopes: vec![scope::post(post_id), scope::NAMES.to_owned()],
            ttl: Duration::from_secs(5),
        }
    }

    /// The pinned posts heading the first page of a board (with the site's), or of the
    /// whole list. Any post's change or a pin makes them stale, like the list pages.
    pub fn pins(board: Option<i64>) -> Self {
        Self {
            kind: "pins",
            key: format!("{FORMAT}:pins:{}", board.unwrap_or(0)),
            scopes: vec![
                scope::POST_LISTS.to_owned(),
                scope::NAMES.to_owned(),
                scope::CATEGORIES.to_owned(),
            ],
            ttl: Duration::from_secs(5),
        }
    }

    pub fn seminar_list(query_key: &str) -> Self {
        Self {
            kind: "seminar_list",
            key: format!("{FORMAT}:seminars:{query_key}"),
            scopes: vec![scope::SEMINARS.to_owned()],
            ttl: Duration::from_secs(60),
        }
    }
}

/// Reads `entry` through the cache, loading it with `load` on a miss.
pub async fn read_through<T, F, Fut>(cache: &dyn Cache, entry: Entry, load: F) -> Result<T>
where
    T: Serialize + DeserializeOwned + Send,
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<T>> + Send,
{
    let loader: Loader<'_> = Box::pin(async {
        let value = load().await?;
        serde_json::to_vec(&value).map_err(Error::internal)
    });
    let bytes = cache.get_or_load(&entry, loader).await?;
    match serde_json::from_slice(&bytes) {
        Ok(v) => Ok(v),
        // An entry this build cannot read: answer from the source instead.
        Err(_) => load().await,
    }
}
