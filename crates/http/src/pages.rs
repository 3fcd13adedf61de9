//! What the server-rendered apps (the staff console and the member web app) share:
//! reading cookies, knowing whether the client came over TLS, form bodies, and the
//! language a request prefers.

use axum::http::{HeaderMap, header};
use cookie::Cookie;
use madang_domain::Error;

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Whether the client reached us over TLS (through a proxy that says so).
pub fn over_tls(headers: &HeaderMap) -> bool {
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    proto.eq_ignore_ascii_case("https")
        || headers
            .get(header::FORWARDED)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"))
}

/// The languages the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ko,
    En,
}

/// The cookie the language toggle sets (shared by the console and the web app).
pub const LANG_COOKIE: &str = "madang_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of Korean or English that `Accept-Language` names (by order of
    /// preference weight); Korean when it names neither.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("ko") => Lang::Ko,
                Some("en") => Lang::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Ko, |(_, l)| l)
    }

    /// The language of a request: the toggle's cookie, else `Accept-Language`.
    pub fn of_request(headers: &HeaderMap) -> Self {
        cookie(headers, LANG_COOKIE)
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_else(|| {
                Lang::from_accept_language(
                    headers
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(""),
                )
            })
    }
}

/// A form body as ordered pairs (keys may repeat: `ids=1&ids=2`).
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The pairs of a form body or a query string; one that carries U+0000 is refused
    /// (`validate::no_nul`), as the API refuses it.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        madang_domain::validate::no_nul_in_pairs(&pairs).map_err(|v| Error::Validation(vec![v]))?;
        Ok(Self(pairs))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The form's CSRF token (`csrf`), empty when it has none.
    pub fn csrf(&self) -> &str {
        self.get("csrf").unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn cookies_are_read_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; madang_console=tok; b=2"),
        );
        assert_eq!(cookie(&h, "madang_console").as_deref(), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn tls_is_read_from_the_proxy_headers() {
        let mut h = HeaderMap::new();
        assert!(!over_tls(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(over_tls(&h));
        let mut h = HeaderMap::new();
        h.insert(
            header::FORWARDED,
            HeaderValue::from_static("for=1.2.3.4;proto=https"),
        );
        assert!(over_tls(&h));
    }

    #[test]
    fn repeated_form_keys_are_all_kept() {
        let f = FormData::parse(b"ids=1&ids=2&action=delete_posts&csrf=a%2Bb").unwrap();
        assert_eq!(f.all("ids").collect::<Vec<_>>(), vec!["1", "2"]);
        assert_eq!(f.csrf(), "a+b");
        assert_eq!(f.get("none"), None);
        assert!(FormData::parse(b"a=%00").is_err());
    }

    #[test]
    fn the_language_follows_the_cookie_then_accept_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, ko;q=0.8"),
            Lang::Ko
        );
        assert_eq!(Lang::from_accept_language("fr"), Lang::Ko);
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        assert_eq!(Lang::of_request(&h), Lang::En);
        h.insert(header::COOKIE, HeaderValue::from_static("madang_lang=ko"));
        assert_eq!(Lang::of_request(&h), Lang::Ko);
    }
}
