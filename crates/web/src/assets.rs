//! The app's stylesheet and script, built into the binary and served under names
//! that carry a hash of their content, so browsers and proxies may keep them for a
//! year; gzip-compressed once at start for clients that accept it.

use std::io::Write;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    path: String,
    content_type: &'static str,
    plain: &'static [u8],
    gzip: Vec<u8>,
}

impl Asset {
    fn new(stem: &str, ext: &str, content_type: &'static str, plain: &'static str) -> Self {
        let hash = Sha256::digest(plain.as_bytes());
        let short: String = hash.iter().take(5).map(|b| format!("{b:02x}")).collect();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let gzip = enc
            .write_all(plain.as_bytes())
            .and_then(|()| enc.finish())
            .unwrap_or_default();
        Self {
            path: format!("/static/{stem}.{short}.{ext}"),
            content_type,
            plain: plain.as_bytes(),
            gzip,
        }
    }

    fn file(&self) -> &str {
        self.path.trim_start_matches("/static/")
    }
}

static CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "web",
        "css",
        "text/css; charset=utf-8",
        include_str!("../static/web.css"),
    )
});
static JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "web",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../static/web.js"),
    )
});

/// The stylesheet's path, with its fingerprint.
pub fn css_path() -> &'static str {
    &CSS.path
}

/// The script's path, with its fingerprint.
pub fn js_path() -> &'static str {
    &JS.path
}

/// Whether an `Accept-Encoding` value takes gzip (`gzip;q=0` refuses it).
fn accepts_gzip(v: &str) -> bool {
    v.split(',').any(|e| {
        let mut parts = e.split(';').map(str::trim);
        let coding = parts.next().unwrap_or("");
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
    })
}

pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = [&*CSS, &*JS].into_iter().find(|a| a.file() == file) else {
        return crate::error_page(StatusCode::NOT_FOUND, &headers);
    };
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(accepts_gzip)
        && !asset.gzip.is_empty();
    let mut res = if gzip {
        let mut r = asset.gzip.clone().into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        asset.plain.into_response()
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_carry_their_content_hash() {
        assert!(css_path().starts_with("/static/web.") && css_path().ends_with(".css"));
        assert!(js_path().ends_with(".js"));
        assert_eq!(css_path().len(), "/static/web.0123456789.css".len());
        assert!(CSS.gzip.len() < CSS.plain.len());
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(!accepts_gzip("gzip;q=0, identity"));
        assert!(!accepts_gzip("br"));
    }
}
