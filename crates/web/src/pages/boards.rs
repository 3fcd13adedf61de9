//! The lists: the front page (every board), one board with its sub-boards, and
//! search, each with the 최신 / 추천 / 인기 / 조회 tabs and the pager; a board with
//! prefixes (말머리) also has a tab for each.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use madang_domain::Error;
use madang_domain::categories::CategoryTree;
use madang_domain::limits::Action;
use madang_domain::listing::Page;
use madang_domain::posts::{PostQuery, PostSummary};

use super::{
    Chrome, Failure, FieldErrors, NavItem, PageResult, html, ok, path_id, query, within_limit,
};
use crate::WebState;
use crate::i18n::{Lang, Words};
use crate::session::Visitor;
use crate::view::{Pager, When, enc, highlighted};

/// Posts per list page.
pub const LIST_SIZE: i64 = 20;

/// A post in a list.
pub struct PostRow {
    pub id: i64,
    pub title_html: String,
    pub excerpt_html: String,
    pub board_id: i64,
    pub board_name: String,
    pub author: Option<(i64, String)>,
    pub when: When,
    pub comments: i64,
    pub votes: i64,
    pub views: i64,
    pub prefix: Option<String>,
    /// A pinned notice heading the list.
    pub pinned: bool,
    /// Younger than a day: the "N" mark.
    pub new: bool,
}

/// How long a post carries the "N" (new) mark.
const NEW_MARK_MS: i64 = 24 * 60 * 60 * 1000;

impl PostRow {
    pub fn new(p: &PostSummary, now: madang_domain::Timestamp, lang: Lang) -> Self {
        let (title_html, excerpt_html) = highlighted(&p.title, &p.excerpt, p.highlights.as_ref());
        Self {
            id: p.id,
            title_html,
            excerpt_html,
            board_id: p.category.id,
            board_name: p.category.name.clone(),
            author: p.author.as_ref().map(|a| (a.id, a.name.clone())),
            when: When::new(p.created_at, now, lang),
            comments: p.comment_count,
            votes: p.vote_count,
            views: p.view_count,
            prefix: p.prefix.as_ref().map(|x| x.name.clone()),
            pinned: p.pinned,
            new: now.millis().saturating_sub(p.created_at.millis()) < NEW_MARK_MS,
        }
    }
}

pub struct Tab {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub c: Chrome,
    pub heading: String,
    pub tabs: Vec<Tab>,
    /// A board's prefix filter: 전체 and one tab per prefix; empty elsewhere.
    pub prefix_tabs: Vec<Tab>,
    pub rows: Vec<PostRow>,
    pub pager: Pager,
    pub total: i64,
    pub capped: bool,
    pub search: Option<SearchBox>,
    pub sub_boards: Vec<NavItem>,
    pub feed: Option<String>,
    pub write_href: String,
    /// The board a board page's own search box searches.
    pub board_search: Option<i64>,
}

/// The search form on the search page, with what was asked.
pub struct SearchBox {
    pub q: String,
    pub boards: Vec<NavItem>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "setup.html")]
pub struct SetupPage {
    pub c: Chrome,
}

/// What a list page was asked for.
struct ListArgs {
    sort: String,
    page: Option<i64>,
    cursor: Option<String>,
    /// `prefix`: only the posts with this prefix (a board page's filter).
    prefix: Option<i64>,
}

fn list_args(
    raw: Option<&str>,
    lang: Lang,
    sorts: &[&str],
) -> Result<(ListArgs, madang_http::pages::FormData), Failure> {
    let f = query(raw, lang)?;
    let sort = f.get("sort").filter(|s| !s.is_empty()).unwrap_or(sorts[0]);
    if !sorts.contains(&sort) {
        return Err(Failure::new(
            Error::invalid(
                "sort",
                "one_of",
                format!("sort must be one of {}", sorts.join(", ")),
            ),
            lang,
        ));
    }
    let page = match f.get("page").filter(|p| !p.is_empty()) {
        Some(p) => Some(p.parse::<i64>().map_err(|_| {
            Failure::new(
                Error::invalid("page", "integer", "page must be a whole number"),
                lang,
            )
        })?),
        None => None,
    };
    let prefix = match f.get("prefix").filter(|p| !p.is_empty()) {
        Some(p) => Some(p.parse::<i64>().ok().filter(|p| *p > 0).ok_or_else(|| {
            Failure::new(
                Error::invalid("prefix_id", "positive", "prefix must be a prefix's id"),
                lang,
            )
        })?),
        None => None,
    };
    let args = ListArgs {
        sort: sort.to_owned(),
        page,
        cursor: f.get("cursor").filter(|c| !c.is_empty()).map(str::to_owned),
        prefix,
    };
    Ok((args, f))
}

fn tabs(base: &str, sorts: &[&'static str], current: &str, lang: Lang) -> Vec<Tab> {
    sorts
        .iter()
        .map(|s| Tab {
            label: lang.t(&format!("sort_{s}")).to_owned(),
            href: format!("{base}sort={s}"),
            current: *s == current,
        })
        .collect()
}

async fn fetch(state: &WebState, v: &Visitor, q: PostQuery) -> Result<Page<PostSummary>, Error> {
    let actor = v.member.as_ref().map(|m| m.actor());
    state.app.posts.list(q, actor.as_ref()).await
}

fn rows(page: &Page<PostSummary>, state: &WebState, lang: Lang) -> Vec<PostRow> {
    let now = state.app.accounts.now();
    page.items
        .iter()
        .map(|p| PostRow::new(p, now, lang))
        .collect()
}

const SORTS: &[&str] = &["new", "top", "hot", "views"];

/// Builds a list page for `base` (the URL with its fixed parameters, ending in `?`
/// or `&`) from the page the use case answered.
fn list_page(
    c: Chrome,
    heading: String,
    base: &str,
    args: &ListArgs,
    sorts: &[&'static str],
    page: &Page<PostSummary>,
    state: &WebState,
) -> ListPage {
    let lang = c.lang;
    let sorted = format!("{base}sort={}&", args.sort);
    let next = page.next_cursor.as_ref().map(|cur| enc(&cur.encode()));
    ListPage {
        heading,
        tabs: tabs(base, sorts, &args.sort, lang),
        prefix_tabs: Vec::new(),
        rows: rows(page, state, lang),
        pager: Pager::new(&sorted, page.current_page, page.total_pages(), next),
        total: page.total_items,
        capped: page.total_capped,
        search: None,
        sub_boards: Vec::new(),
        feed: None,
        write_href: "/write".to_owned(),
        board_search: None,
        c,
    }
}

fn post_query(args: &ListArgs, category_id: Option<i64>, keyword: Option<String>) -> PostQuery {
    PostQuery {
        category_id,
        keyword,
        sort: Some(args.sort.clone()),
        page: args.page,
        size: Some(LIST_SIZE),
        cursor: args.cursor.clone(),
        prefix_id: args.prefix,
        ..PostQuery::default()
    }
}

/// `/`: the newest posts of every board, or, on a board with no boards yet, what
/// the operator does next.
pub async fn home(
    State(state): State<WebState>,
    v: Visitor,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (args, _) = list_args(raw.as_deref(), v.lang, SORTS)?;
    let (mut c, tree) = Chrome::with_nav(&state, &v, "", None).await?;
    if tree.roots().is_empty() {
        c.title = v.lang.t("setup_title").to_owned();
        return ok(&SetupPage { c });
    }
    c.canonical = Some("/".to_owned());
    let page = fetch(&state, &v, post_query(&args, None, None))
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let mut p = list_page(
        c,
        v.lang.t("newest_posts").to_owned(),
        "/?",
        &args,
        SORTS,
        &page,
        &state,
    );
    p.feed = Some("/feed.atom".to_owned());
    ok(&p)
}

fn board_of(
    tree: &CategoryTree,
    id: i64,
    lang: Lang,
) -> Result<madang_domain::categories::CategoryNode, Failure> {
    tree.node(id).ok_or_else(|| Failure::not_found(lang))
}

/// `/boards/{id}`: one board and the boards below it.
pub async fn board(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let (args, _) = list_args(raw.as_deref(), v.lang, SORTS)?;
    let (mut c, tree) = Chrome::with_nav(&state, &v, String::new(), Some(id)).await?;
    let node = board_of(&tree, id, v.lang)?;
    c.title = node.name.clone();
    c.description = format!("{} · {}", node.name, v.lang.t("site"));
    c.canonical = Some(format!("/boards/{id}"));
    if let Some(x) = args.prefix
        && !node.prefixes.iter().any(|p| p.id == x)
    {
        // Another board's prefix, or none: not a page of this board.
        return Err(Failure::not_found(v.lang));
    }
    let page = fetch(&state, &v, post_query(&args, Some(id), None))
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let board_base = format!("/boards/{id}?");
    let base = match args.prefix {
        Some(x) => format!("{board_base}prefix={x}&"),
        None => board_base.clone(),
    };
    let mut p = list_page(c, node.name.clone(), &base, &args, SORTS, &page, &state);
    if !node.prefixes.is_empty() {
        let sorted = format!("{board_base}sort={}", args.sort);
        p.prefix_tabs = std::iter::once(Tab {
            label: v.lang.t("all_prefixes").to_owned(),
            href: sorted.clone(),
            current: args.prefix.is_none(),
        })
        .chain(node.prefixes.iter().map(|x| Tab {
            label: format!("[{}]", x.name),
            href: format!("{sorted}&prefix={}", x.id),
            current: args.prefix == Some(x.id),
        }))
        .collect();
    }
    p.sub_boards = node
        .children
        .iter()
        .map(|n| NavItem {
            id: n.id,
            name: n.name.clone(),
            depth: 0,
            current: false,
        })
        .collect();
    p.feed = Some(format!("/boards/{id}/feed.atom"));
    p.write_href = format!("/write?board={id}");
    p.board_search = Some(id);
    ok(&p)
}

const SEARCH_SORTS: &[&str] = &["new", "relevance", "top", "hot"];

/// `/search?q=&board=&sort=`: matches highlighted; an empty `q` shows the form.
pub async fn search(
    State(state): State<WebState>,
    v: Visitor,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (args, f) = list_args(raw.as_deref(), v.lang, SEARCH_SORTS)?;
    let q = f.get("q").unwrap_or("").trim().to_owned();
    let board = match f.get("board").filter(|b| !b.is_empty()) {
        Some(b) => Some(path_id(b, v.lang)?),
        None => None,
    };
    let (mut c, tree) = Chrome::with_nav(&state, &v, v.lang.t("search"), board).await?;
    if let Some(b) = board {
        board_of(&tree, b, v.lang)?;
    }
    c.q = q.clone();
    let mut sb = SearchBox {
        q: q.clone(),
        boards: super::all_boards(&tree)
            .into_iter()
            .map(|b| NavItem {
                current: board == Some(b.id),
                ..b
            })
            .collect(),
        errors: FieldErrors::none(),
    };
    let heading = if q.is_empty() {
        v.lang.t("search").to_owned()
    } else {
        format!("{} · {q}", v.lang.t("search"))
    };
    if !q.is_empty() {
        c.title = heading.clone();
    }
    let mut base = format!("/search?q={}&", enc(&q));
    if let Some(b) = board {
        base.push_str(&format!("board={b}&"));
    }
    let empty = Page {
        items: Vec::new(),
        total_items: 0,
        total_capped: false,
        current_page: 1,
        size: 20,
        next_cursor: None,
    };
    let (page, status) = if q.is_empty() {
        (empty, StatusCode::OK)
    } else {
        let found = within_limit(
            &state,
            &v,
            Action::Search,
            fetch(&state, &v, post_query(&args, board, Some(q))),
        )
        .await;
        match found {
            Ok(p) => (p, StatusCode::OK),
            Err(e @ Error::Validation(_)) => {
                sb.errors = FieldErrors::from_error(e, &["keyword"], v.lang)?;
                (empty, StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(e) => return Err(Failure::new(e, v.lang)),
        }
    };
    let mut p = list_page(c, heading, &base, &args, SEARCH_SORTS, &page, &state);
    p.search = Some(sb);
    Ok(render_status(status, &p))
}

fn render_status(status: StatusCode, p: &ListPage) -> Response {
    html(status, p)
}
