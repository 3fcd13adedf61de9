//! For search engines and feed readers: `robots.txt`, the sitemap (an index of pages
//! of 10,000 post ids each, so it stays cheap at a million posts), and Atom feeds of
//! the site and of each board.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use madang_domain::posts::PostQuery;
use madang_http::pages::Lang;

use super::Failure;
use crate::WebState;
use crate::i18n::Words;
use crate::session::origin;
use crate::view::{escape, iso};

/// Post ids per sitemap page (the protocol allows 50,000).
pub const SITEMAP_PAGE: i64 = 10_000;
/// Entries in a feed.
pub const FEED_SIZE: i64 = 30;

fn typed(content_type: &'static str, body: String, max_age: &'static str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(max_age));
    // Feed titles follow the reader's language.
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    res
}

/// Text for XML: escaped, and without the control characters XML 1.0 forbids even
/// as references (a title may hold them; a feed reader would refuse the whole feed).
fn xml(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|&c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .filter(|&c| !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect();
    escape(&clean)
}

pub async fn robots(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /admin/\nDisallow: /api/\nDisallow: /write\nDisallow: /me\n\
         Disallow: /login\nDisallow: /signup\nDisallow: /lang\nDisallow: /search\n\nSitemap: {}/sitemap.xml\n",
        origin(&state.settings, &headers)
    );
    typed("text/plain; charset=utf-8", body, "public, max-age=3600")
}

fn failed(e: madang_domain::Error, headers: &HeaderMap) -> Response {
    Failure::new(e, Lang::of_request(headers)).render()
}

/// `/sitemap.xml`: the index of the sitemap's pages.
pub async fn sitemap_index(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let last = match state.app.posts.last_id().await {
        Ok(n) => n,
        Err(e) => return failed(e, &headers),
    };
    let base = origin(&state.settings, &headers);
    let pages = (last + SITEMAP_PAGE - 1) / SITEMAP_PAGE;
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    body.push_str(&format!(
        "<sitemap><loc>{base}/sitemap/posts-0.xml</loc></sitemap>\n"
    ));
    for n in 1..=pages {
        body.push_str(&format!(
            "<sitemap><loc>{base}/sitemap/posts-{n}.xml</loc></sitemap>\n"
        ));
    }
    body.push_str("</sitemapindex>\n");
    typed(
        "application/xml; charset=utf-8",
        body,
        "public, max-age=600",
    )
}

/// `/sitemap/posts-{n}.xml`: page 0 holds the front page, the boards and the
/// seminars; page n ≥ 1 the active posts with ids `(n-1)·10,000+1 ..= n·10,000`.
pub async fn sitemap_posts(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let lang = Lang::of_request(&headers);
    let Some(n) = file
        .strip_prefix("posts-")
        .and_then(|f| f.strip_suffix(".xml"))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (0..=1_000_000).contains(n))
    else {
        return Failure::not_found(lang).render();
    };
    let base = origin(&state.settings, &headers);
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    if n == 0 {
        let tree = match state.app.categories.tree().await {
            Ok(t) => t,
            Err(e) => return failed(e, &headers),
        };
        body.push_str(&format!(
            "<url><loc>{base}/</loc></url>\n<url><loc>{base}/seminars</loc></url>\n"
        ));
        let mut stack = tree.roots();
        while let Some(node) = stack.pop() {
            body.push_str(&format!(
                "<url><loc>{base}/boards/{}</loc></url>\n",
                node.id
            ));
            stack.extend(node.children);
        }
    } else {
        let from = (n - 1) * SITEMAP_PAGE + 1;
        let stamps = match state.app.posts.stamps(from, n * SITEMAP_PAGE).await {
            Ok(s) => s,
            Err(e) => return failed(e, &headers),
        };
        for (id, at) in stamps {
            body.push_str(&format!(
                "<url><loc>{base}/posts/{id}</loc><lastmod>{}</lastmod></url>\n",
                iso(at)
            ));
        }
    }
    body.push_str("</urlset>\n");
    typed(
        "application/xml; charset=utf-8",
        body,
        "public, max-age=600",
    )
}

async fn feed(state: &WebState, headers: &HeaderMap, board: Option<i64>) -> Response {
    let lang = Lang::of_request(headers);
    let tree = match state.app.categories.tree().await {
        Ok(t) => t,
        Err(e) => return failed(e, headers),
    };
    let (title, path) = match board {
        Some(id) => match tree.get(id) {
            Some(c) => (
                format!("{} · {}", c.name, lang.t("site")),
                format!("/boards/{id}"),
            ),
            None => return Failure::not_found(lang).render(),
        },
        None => (lang.t("site").to_owned(), "/".to_owned()),
    };
    let q = PostQuery {
        category_id: board,
        size: Some(FEED_SIZE),
        ..PostQuery::default()
    };
    let page = match state.app.posts.list(q, None).await {
        Ok(p) => p,
        Err(e) => return failed(e, headers),
    };
    let base = origin(&state.settings, headers);
    let updated = page
        .items
        .iter()
        .map(|p| p.updated_at)
        .max()
        .map_or_else(|| iso(madang_domain::Timestamp(0)), iso);
    let self_href = if path == "/" {
        format!("{base}/feed.atom")
    } else {
        format!("{base}{path}/feed.atom")
    };
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>{}</title>\n<id>{base}{path}</id>\n<link rel=\"alternate\" href=\"{base}{path}\"/>\n\
         <link rel=\"self\" href=\"{self_href}\"/>\n<updated>{updated}</updated>\n",
        xml(&title)
    );
    for p in &page.items {
        let author = p
            .author
            .as_ref()
            .map_or_else(|| lang.t("resigned").to_owned(), |a| a.name.clone());
        body.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{base}/posts/{id}</id>\n<link href=\"{base}/posts/{id}\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n<author><name>{}</name></author>\n\
             <category term=\"{}\"/>\n<summary>{}</summary>\n</entry>\n",
            xml(&p.title),
            iso(p.created_at),
            iso(p.updated_at),
            xml(&author),
            xml(&p.category.name),
            xml(&p.excerpt),
            id = p.id,
        ));
    }
    body.push_str("</feed>\n");
    typed(
        "application/atom+xml; charset=utf-8",
        body,
        "public, max-age=60",
    )
}

/// `/feed.atom`: the newest posts of every board.
pub async fn site_feed(State(state): State<WebState>, headers: HeaderMap) -> Response {
    feed(&state, &headers, None).await
}

/// `/boards/{id}/feed.atom`
pub async fn board_feed(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(raw_id): Path<String>,
) -> Response {
    match raw_id.parse::<i64>() {
        Ok(id) if id > 0 => feed(&state, &headers, Some(id)).await,
        _ => Failure::not_found(Lang::of_request(&headers)).render(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_text_drops_what_xml_forbids() {
        assert_eq!(xml("a\u{1}b\u{1b}c & <d>\n"), "abc &amp; &lt;d&gt;\n");
    }
}
