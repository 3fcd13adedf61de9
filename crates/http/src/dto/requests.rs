//! Request bodies and query parameters. Their fields are optional in Rust so that a
//! missing field is reported together with every other violation (422), instead of
//! failing the parse on the first one.

use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SignUpRequest {
    /// 2–30 letters (Hangul included), digits, `_`, `-`; unique ignoring case.
    #[schema(
        required = true,
        nullable = false,
        min_length = 2,
        max_length = 30,
        example = "김철수"
    )]
    pub name: Option<String>,
    #[schema(
        required = true,
        nullable = false,
        format = "email",
        example = "kim@example.com"
    )]
    pub email: Option<String>,
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password1: Option<String>,
    /// Must equal `password1`.
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password2: Option<String>,
}

/// Log-in: a name or an email, and the password. Sent as JSON or as the OAuth2
/// password form (`grant_type` and `scope` are accepted and ignored).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[schema(required = true, nullable = false)]
    pub username: Option<String>,
    #[schema(required = true, nullable = false)]
    pub password: Option<String>,
    #[serde(default)]
    pub grant_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(required = true, nullable = false)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProfileRequest {
    #[schema(min_length = 2, max_length = 30)]
    pub name: Option<String>,
    #[schema(format = "email")]
    pub email: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PasswordRequest {
    #[schema(required = true, nullable = false)]
    pub current_password: Option<String>,
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password1: Option<String>,
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password2: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResignRequest {
    #[schema(required = true, nullable = false)]
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CategoryRequest {
    #[schema(min_length = 1, max_length = 50)]
    pub name: Option<String>,
    /// `null` places the category at the top level.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub parent_id: Option<Option<i64>>,
    /// Whether every post of the board must carry one of its prefixes.
    pub prefix_required: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<i64>>, D::Error> {
    integral(d).map(Some)
}

/// An optional integer id. JSON has one number type, and JSON Schema counts `3.0` as
/// an integer, so a float with no fractional part within range is accepted too.
fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error as _;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
            Ok(Some(f as i64))
        }
        _ => Err(D::Error::custom(
            "invalid type: number, expected an integer id",
        )),
    }
}

/// A new post. (Deserialised as [`PostRequest`]; this type documents that
/// `category_id` is required on create.)
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewPostRequest {
    #[schema(minimum = 1)]
    pub category_id: i64,
    /// One of the board's prefixes (말머리); required when the board says so.
    #[schema(minimum = 1)]
    pub prefix_id: Option<i64>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(min_length = 1, max_length = 50000)]
    pub content: String,
}

/// A post edit; `category_id` moves the post.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PostRequest {
    #[serde(default, deserialize_with = "integral")]
    #[schema(minimum = 1)]
    pub category_id: Option<i64>,
    /// One of the board's prefixes. Absent keeps the post's prefix (unless the post
    /// moves to another board); `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub prefix_id: Option<Option<i64>>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50000)]
    pub content: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CommentRequest {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 10000)]
    pub content: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NewCommentRequest {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 10000)]
    pub content: Option<String>,
    /// Reply to this comment of the same post (대댓글). Replies are one level deep: a
    /// reply to a reply joins the same thread.
    #[serde(default, deserialize_with = "integral")]
    #[schema(minimum = 1)]
    pub parent_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    /// Items per page, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub size: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostListParams {
    /// Posts in this category or any category below it.
    pub category_id: Option<i64>,
    /// Matches title, content and author name: any substring, one Hangul syllable up,
    /// ignoring case, NFC-normalised. Words separated by spaces must all match, in any
    /// order; `"…"` keeps words together. At most 100 characters; blank or punctuation
    /// only is no filter.
    #[param(max_length = 100)]
    pub keyword: Option<String>,
    pub author_id: Option<i64>,
    /// Posts with this prefix (말머리) of their board; not with a keyword.
    pub prefix_id: Option<i64>,
    /// `new` (default), `top`, `hot`, `views` (most read; not with a keyword), or
    /// `relevance` (keyword searches: title matches first, then more matches, then
    /// newer; without a keyword the same as `new`). Pinned posts head the first page
    /// of the whole list and of a board, whatever the order.
    #[param(value_type = Option<PostSortParam>)]
    pub sort: Option<String>,
    /// `positive` or `negative`: posts the classifier labelled so (moderators and admins).
    #[param(pattern = "^(positive|negative)$")]
    pub sentiment: Option<String>,
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub size: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// Post list orders (documentation only: the domain parses the value).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PostSortParam {
    New,
    Top,
    Hot,
    Views,
    Relevance,
}
