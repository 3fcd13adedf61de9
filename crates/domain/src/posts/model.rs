//! What a post is: its entities, input values, orders and filters.

use crate::error::{Result, Violation};
use crate::listing::KeyValue;
use crate::search::Highlights;
use crate::search::text::nfc;
use crate::time::Timestamp;
use crate::users::AuthorRef;
use crate::validate::{char_len, not_blank, visible};

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
        visible("title", &s)?;
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

/// A board's prefix (말머리) as a post shows it before its title.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrefixRef {
    pub id: i64,
    pub name: String,
}

/// Where a pinned notice (공지) heads the lists: its board, or every list of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinScope {
    Board,
    Site,
}

impl PinScope {
    pub fn parse(s: &str) -> Result<Self, Violation> {
        match s {
            "board" => Ok(Self::Board),
            "site" => Ok(Self::Site),
            _ => Err(Violation::new(
                "scope",
                "one_of",
                "scope must be one of board, site",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Board => "board",
            Self::Site => "site",
        }
    }
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
    /// Counted reads; buffered, so it may lag by one flush of the view counter.
    pub view_count: i64,
    pub prefix: Option<PrefixRef>,
    /// Where the post is pinned, if it is.
    pub pin: Option<PinScope>,
    pub sentiment: Option<Sentiment>,
    pub deleted_at: Option<Timestamp>,
    /// The members the post mentions (`@이름`), by their current names.
    #[serde(default)]
    pub mentions: Vec<AuthorRef>,
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
    pub view_count: i64,
    pub hot_rank: f64,
    pub prefix: Option<PrefixRef>,
    /// A pinned notice heading the first page of a list (the same post also keeps its
    /// place in the sorted list below, unmarked).
    pub pinned: bool,
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
    pub prefix_id: Option<i64>,
    pub search_text: String,
    pub hot_rank: f64,
    pub now: Timestamp,
    /// Jobs enqueued in the same transaction, about the new post.
    pub follow_up: Vec<&'static str>,
    /// The members its text mentions.
    pub mentions: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct PostEdit {
    pub title: Title,
    pub content: Body,
    pub category_id: Option<i64>,
    /// The prefix the post has after the edit.
    pub prefix_id: Option<i64>,
    pub search_text: String,
    pub now: Timestamp,
    /// Jobs enqueued in the same transaction, about the edited post.
    pub follow_up: Vec<&'static str>,
    /// The members the edited text mentions (replacing the earlier ones).
    pub mentions: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostSort {
    #[default]
    New,
    Top,
    Hot,
    /// Most read first (조회순).
    Views,
    /// Keyword searches only: title matches first, then more matches, then newer.
    Relevance,
}

impl PostSort {
    pub fn parse(s: &str) -> Result<Self, Violation> {
        match s {
            "new" => Ok(Self::New),
            "top" => Ok(Self::Top),
            "hot" => Ok(Self::Hot),
            "views" => Ok(Self::Views),
            "relevance" => Ok(Self::Relevance),
            _ => Err(Violation::new(
                "sort",
                "one_of",
                "sort must be one of new, top, hot, views, relevance",
            )),
        }
    }

    /// The name a cursor of this ordering carries.
    pub fn order(self) -> &'static str {
        match self {
            Self::New => "posts.new",
            Self::Top => "posts.top",
            Self::Hot => "posts.hot",
            Self::Views => "posts.views",
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
            Self::Views => (KeyValue::Int(p.view_count), p.id),
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
    /// Only posts with this prefix (a prefix belongs to one board).
    pub prefix_id: Option<i64>,
    pub sort: PostSort,
}

/// A post list request as received.
#[derive(Debug, Clone, Default)]
pub struct PostQuery {
    pub category_id: Option<i64>,
    pub keyword: Option<String>,
    pub author_id: Option<i64>,
    pub prefix_id: Option<i64>,
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
    /// Absent: none on a create, unchanged on an edit in the same board. `Some(None)`
    /// clears it.
    pub prefix_id: Option<Option<i64>>,
    pub title: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteState {
    pub vote_count: i64,
    pub voted: bool,
}

/// A bookmarked post (스크랩) in its member's list.
#[derive(Debug, Clone, PartialEq)]
pub struct Bookmark {
    pub post: PostSummary,
    pub bookmarked_at: Timestamp,
}
