//! The member web app over real HTTP, on every engine: each page, each form's error
//! path with the text kept, CSRF refusal, an ended session that keeps the post, the
//! banned member who reads but cannot write, and the feeds and sitemap.
//!
//! This module holds the browser the tests drive; `pages` and `accounts` the tests.

mod accounts;
mod notifications;
mod pages;
mod reports;
mod threads;

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::helpers::{PASSWORD, TestApp};

/// A browser without JavaScript: keeps its cookies, follows no redirects.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    pub cookies: BTreeMap<String, String>,
    lang: &'static str,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        hidden(&self.html, "csrf")
    }

    pub fn has(&self, s: &str) -> bool {
        self.html.contains(s)
    }
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap_or("").to_owned()
}

impl Browser {
    pub fn new(app: &TestApp, lang: &'static str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: BTreeMap::new(),
            lang,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, res: reqwest::Response) -> Page {
        for v in res.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        Page {
            status,
            location,
            html: res.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("accept-language", self.lang)
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("accept-language", self.lang)
            .form(form)
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    /// Fills in a form from the page at `page` (its CSRF token) and sends it.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page).await.csrf();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }

    pub async fn sign_up(&mut self, name: &str) -> Page {
        let email = format!("{name}@example.com");
        self.submit(
            "/signup",
            "/signup",
            &[
                ("name", name),
                ("email", &email),
                ("password1", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await
    }

    /// Writes a post through the write form; answers its id.
    pub async fn write(&mut self, board: i64, title: &str, content: &str) -> i64 {
        let board_s = board.to_string();
        let written = self
            .submit(
                &format!("/write?board={board}"),
                "/write",
                &[
                    ("category_id", &board_s),
                    ("title", title),
                    ("content", content),
                ],
            )
            .await;
        assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.html);
        post_id(written.location.as_deref().unwrap())
    }

    pub async fn log_in(&mut self, name: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("username", name), ("password", password), ("next", "/")],
        )
        .await
    }
}

pub fn post_id(location: &str) -> i64 {
    location
        .trim_start_matches("/posts/")
        .split(['#', '?'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub fn hidden_user_id(me: &str) -> i64 {
    let start = me.find("href=\"/users/").unwrap() + "href=\"/users/".len();
    me[start..].split('"').next().unwrap().parse().unwrap()
}
