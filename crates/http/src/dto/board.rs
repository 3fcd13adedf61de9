//! Requests and answers of what a Korean board adds: prefixes, pins and bookmarks.

use madang_domain::posts::{Bookmark, PrefixRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PostItemView, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct PrefixView {
    pub id: i64,
    /// Shown in brackets before a title: `질문` is `[질문]`.
    pub name: String,
}

impl From<PrefixRef> for PrefixView {
    fn from(p: PrefixRef) -> Self {
        Self {
            id: p.id,
            name: p.name,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PrefixRequest {
    /// 1–20 characters; surrounding brackets are dropped.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 22)]
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PinRequest {
    /// `board` (default): heads the post's board; `site`: heads every list.
    #[schema(value_type = Option<PinScopeParam>)]
    pub scope: Option<String>,
}

/// Pin scopes (documentation only: the domain parses the value).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PinScopeParam {
    Board,
    Site,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookmarkView {
    pub bookmarked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookmarkItemView {
    #[serde(flatten)]
    pub post: PostItemView,
    pub bookmarked_at: String,
}

impl From<Bookmark> for BookmarkItemView {
    fn from(b: Bookmark) -> Self {
        Self {
            post: b.post.into(),
            bookmarked_at: rfc3339(b.bookmarked_at),
        }
    }
}
