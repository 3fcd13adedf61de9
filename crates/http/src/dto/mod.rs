//! Request and response bodies: the API's JSON shapes and their OpenAPI schemas. The
//! requests are in `requests`, the board conventions' shapes in `board`, the responses
//! here.

use madang_domain::Timestamp;
use madang_domain::categories::CategoryNode;
use madang_domain::comments::Comment;
use madang_domain::listing::Page;
use madang_domain::posts::{CategoryRef, PostDetail, PostSummary, PostVersion, Sentiment};
use madang_domain::users::{AuthorRef, LoginRecord, PublicProfile, User, UserState};
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;
use utoipa::ToSchema;

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-22T03:04:05.123Z`.
pub fn rfc3339(t: Timestamp) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000)
        .ok()
        .and_then(|d| d.format(&fmt).ok())
        .unwrap_or_default()
}

mod board;
mod notifications;
mod reports;
mod requests;
pub use board::*;
pub use notifications::*;
pub use reports::*;
pub use requests::*;

// ---------------------------------------------------------------- responses

#[derive(Debug, Serialize, ToSchema)]
pub struct StateView {
    /// `suspended` or `banned`.
    pub state: &'static str,
    pub until: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// `user`, `moderator` or `admin`.
    pub role: &'static str,
    pub created_at: String,
    /// States in force; empty for an account in good standing.
    pub states: Vec<StateView>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        let states = match u.state {
            UserState::Active => vec![],
            UserState::Suspended { until, reason } => {
                vec![StateView {
                    state: "suspended",
                    until: Some(rfc3339(until)),
                    reason,
                }]
            }
            UserState::Banned { reason } => vec![StateView {
                state: "banned",
                until: None,
                reason,
            }],
        };
        Self {
            id: u.id,
            name: u.name,
            email: u.email,
            role: u.role.as_str(),
            created_at: rfc3339(u.created_at),
            states,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub post_count: i64,
    pub comment_count: i64,
}

impl From<PublicProfile> for ProfileView {
    fn from(p: PublicProfile) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: rfc3339(p.created_at),
            post_count: p.post_count,
            comment_count: p.comment_count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    pub id: i64,
    pub created_at: String,
    pub succeeded: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<LoginRecord> for LoginView {
    fn from(l: LoginRecord) -> Self {
        Self {
            id: l.id,
            created_at: rfc3339(l.created_at),
            succeeded: l.succeeded,
            ip: l.ip,
            user_agent: l.user_agent,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    /// Depth in the tree, 1 for a top-level category.
    pub tier: u32,
    /// The board's prefixes (말머리), in the order it offers them.
    pub prefixes: Vec<PrefixView>,
    /// Whether every post of the board carries a prefix.
    pub prefix_required: bool,
    #[schema(no_recursion)]
    pub children: Vec<CategoryView>,
}

impl From<CategoryNode> for CategoryView {
    fn from(n: CategoryNode) -> Self {
        Self {
            id: n.id,
            name: n.name,
            parent_id: n.parent_id,
            tier: n.tier,
            prefixes: n.prefixes.into_iter().map(Into::into).collect(),
            prefix_required: n.prefix_required,
            children: n.children.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRefView {
    pub id: i64,
    pub name: String,
}

impl From<CategoryRef> for CategoryRefView {
    fn from(c: CategoryRef) -> Self {
        Self {
            id: c.id,
            name: c.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorView {
    pub id: i64,
    pub name: String,
}

fn author(a: Option<AuthorRef>) -> Option<AuthorView> {
    a.map(|a| AuthorView {
        id: a.id,
        name: a.name,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SentimentView {
    /// `positive` or `negative`.
    pub label: String,
    /// Confidence, 0..1.
    pub score: f64,
}

fn sentiment(s: Option<Sentiment>) -> Option<SentimentView> {
    s.map(|s| SentimentView {
        label: s.label,
        score: s.score,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostView {
    pub id: i64,
    pub category: CategoryRefView,
    /// `null` when the author resigned.
    pub author: Option<AuthorView>,
    pub title: String,
    pub content: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub comment_count: i64,
    pub vote_count: i64,
    /// Counted reads (one per reader per 24 h; staff and the author are not counted).
    /// Counted in batches: it may lag the reads by a few seconds.
    pub view_count: i64,
    pub prefix: Option<PrefixView>,
    /// `board` or `site` when the post is pinned, else `null`.
    pub pinned: Option<String>,
    /// Whether the caller voted; present only with a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    /// `null` until the classifier has labelled the post.
    pub sentiment: Option<SentimentView>,
    /// Set only on a deleted post, which only staff can see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// The members the post mentions (`@이름`), by id and current name, to link them.
    pub mentions: Vec<AuthorView>,
}

impl PostView {
    pub fn new(p: PostDetail, voted: Option<bool>) -> Self {
        Self {
            id: p.id,
            category: p.category.into(),
            author: author(p.author),
            title: p.title,
            content: p.content,
            version: p.version,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
            comment_count: p.comment_count,
            vote_count: p.vote_count,
            view_count: p.view_count,
            prefix: p.prefix.map(Into::into),
            pinned: p.pin.map(|s| s.as_str().to_owned()),
            voted,
            sentiment: sentiment(p.sentiment),
            deleted_at: p.deleted_at.map(rfc3339),
            mentions: p
                .mentions
                .into_iter()
                .filter_map(|a| author(Some(a)))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostItemView {
    pub id: i64,
    pub category: CategoryRefView,
    pub author: Option<AuthorView>,
    pub title: String,
    /// 200 characters of the content: the first ones, or in a keyword search the ones
    /// around the first match in the content.
    pub excerpt: String,
    pub created_at: String,
    pub updated_at: String,
    pub comment_count: i64,
    pub vote_count: i64,
    pub view_count: i64,
    pub prefix: Option<PrefixView>,
    /// A pinned notice heading the first page (the post keeps its place below too).
    pub pinned: bool,
    pub sentiment: Option<SentimentView>,
    /// Keyword searches only: where the keyword matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlights: Option<HighlightsView>,
}

/// Matches as `[start, end)` character offsets (Unicode scalar values, NFC), ascending
/// and not overlapping.
#[derive(Debug, Serialize, ToSchema)]
pub struct HighlightsView {
    /// In `title`.
    #[schema(value_type = Vec<Vec<u32>>, example = json!([[0, 2]]))]
    pub title: Vec<[u32; 2]>,
    /// In `excerpt`.
    #[schema(value_type = Vec<Vec<u32>>, example = json!([[5, 7]]))]
    pub excerpt: Vec<[u32; 2]>,
}

impl From<PostSummary> for PostItemView {
    fn from(p: PostSummary) -> Self {
        Self {
            id: p.id,
            category: p.category.into(),
            author: author(p.author),
            title: p.title,
            excerpt: p.excerpt,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
            comment_count: p.comment_count,
            vote_count: p.vote_count,
            view_count: p.view_count,
            prefix: p.prefix.map(Into::into),
            pinned: p.pinned,
            sentiment: sentiment(p.sentiment),
            highlights: p.highlights.map(|h| HighlightsView {
                title: h.title,
                excerpt: h.excerpt,
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub title: String,
    pub content: String,
    pub created_at: String,
}

impl From<PostVersion> for VersionView {
    fn from(v: PostVersion) -> Self {
        Self {
            version: v.version,
            title: v.title,
            content: v.content,
            created_at: rfc3339(v.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentVersionView {
    pub version: i64,
    pub content: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView {
    pub vote_count: i64,
    pub voted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub post_id: i64,
    pub author: Option<AuthorView>,
    pub content: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub vote_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    pub sentiment: Option<SentimentView>,
    /// One of up to 3 best comments (베스트 댓글) heading the first page; the comment
    /// also keeps its place in the thread, with `best: false`.
    pub best: bool,
    /// The top-level comment a reply's thread is under; `null` for a top-level comment.
    pub parent_id: Option<i64>,
    /// The comment a reply answers (its thread's top-level comment or another reply).
    pub reply_to_id: Option<i64>,
    /// A top-level comment's live replies (a list shows up to 100 of them).
    pub reply_count: i64,
    /// A deleted comment kept in its thread because it has replies: `content` is empty
    /// and `author` null; show "삭제된 댓글입니다".
    pub deleted: bool,
    /// By a member you block, kept because others replied to it: `content` is empty
    /// and `author` null.
    pub blocked: bool,
    /// The members the comment mentions (`@이름`), by id and current name.
    pub mentions: Vec<AuthorView>,
}

impl CommentView {
    pub fn new(c: Comment, voted: Option<bool>) -> Self {
        Self {
            id: c.id,
            post_id: c.post_id,
            author: author(c.author),
            content: c.content,
            version: c.version,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            vote_count: c.vote_count,
            voted,
            sentiment: sentiment(c.sentiment),
            best: c.best,
            parent_id: c.parent_id,
            reply_to_id: c.reply_to_id,
            reply_count: c.reply_count,
            deleted: c.deleted,
            blocked: c.blocked,
            mentions: c
                .mentions
                .into_iter()
                .filter_map(|a| author(Some(a)))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageInfo {
    pub total_items: i64,
    pub total_pages: i64,
    pub current_page: u32,
    pub size: u32,
    /// True when `total_items` stopped counting at a cap (large keyword searches).
    pub total_capped: bool,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub data: Vec<T>,
    pub page_info: PageInfo,
    /// Pass back as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    pub fn new<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let page_info = PageInfo {
            total_items: page.total_items,
            total_pages: page.total_pages(),
            current_page: page.current_page,
            size: page.size,
            total_capped: page.total_capped,
        };
        let next_cursor = page.next_cursor.map(|c| c.encode());
        Self {
            data: page.items.into_iter().map(f).collect(),
            page_info,
            next_cursor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub checks: Vec<HealthCheckView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthCheckView {
    pub name: &'static str,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
