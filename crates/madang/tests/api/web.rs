//! The member web app over real HTTP, on every engine: each page, each form's error
//! path with the text kept, CSRF refusal, an ended session that keeps the post, the
//! banned member who reads but cannot write, and the feeds and sitemap.

use std::collections::BTreeMap;

use madang_domain::Timestamp;
use madang_domain::users::UserState;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::helpers::{PASSWORD, TestApp, spawn};

/// A browser without JavaScript: keeps its cookies, follows no redirects.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
    lang: &'static str,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

impl Page {
    fn csrf(&self) -> String {
        hidden(&self.html, "csrf")
    }

    fn has(&self, s: &str) -> bool {
        self.html.contains(s)
    }
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap_or("").to_owned()
}

impl Browser {
    fn new(app: &TestApp, lang: &'static str) -> Self {
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

    async fn get(&mut self, path: &str) -> Page {
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

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
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
    async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page).await.csrf();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }

    async fn sign_up(&mut self, name: &str) -> Page {
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

    async fn log_in(&mut self, name: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("username", name), ("password", password), ("next", "/")],
        )
        .await
    }
}

fn post_id(location: &str) -> i64 {
    location
        .trim_start_matches("/posts/")
        .split(['#', '?'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_new_board_tells_the_operator_what_to_do_then_lists_posts() {
    let app = spawn().await;
    let mut b = Browser::new(&app, "ko-KR,ko;q=0.9");
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.has("<html lang=\"ko\">"));
    assert!(home.has("madang admin create") && home.has("/admin/"));

    let (admin, board) = app.board().await;
    let sub = app.category(&admin, "질문", Some(board)).await;
    app.new_post(
        &admin,
        sub,
        "첫 공지 <script>alert(1)</script>",
        "본문입니다",
    )
    .await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.has("최신") && home.has("추천") && home.has("인기"));
    assert!(home.has("자유게시판"));
    assert!(home.has("첫 공지 &#60;script&#62;") || home.has("첫 공지 &lt;script&gt;"));
    assert!(!home.has("<script>alert(1)"));
    // The board includes its sub-boards; its tabs keep the board.
    let page = b.get(&format!("/boards/{board}?sort=top")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("첫 공지"));
    assert!(page.has(&format!("/boards/{board}?sort=hot")));
    assert!(page.has(&format!("/write?board={board}")));
    // English by Accept-Language, and by the toggle (remembered in a cookie).
    let mut en = Browser::new(&app, "en-US,en;q=0.9");
    let page = en.get("/").await;
    assert!(page.has("<html lang=\"en\">") && page.has("Newest"));
    let toggled = en.get("/lang?to=ko&next=%2F").await;
    assert_eq!(toggled.status, StatusCode::SEE_OTHER);
    assert!(en.get("/").await.has("<html lang=\"ko\">"));
    // Bad input is a page in the layout, never JSON.
    for (path, status) in [
        ("/boards/999999", StatusCode::NOT_FOUND),
        ("/boards/abc", StatusCode::NOT_FOUND),
        ("/posts/0", StatusCode::NOT_FOUND),
        ("/?sort=sideways", StatusCode::BAD_REQUEST),
        ("/?page=x", StatusCode::BAD_REQUEST),
        ("/no/such/page", StatusCode::NOT_FOUND),
    ] {
        let p = b.get(path).await;
        assert_eq!(p.status, status, "{path}");
        assert!(p.html.starts_with("<!doctype html>"), "{path}: {}", p.html);
    }
}

#[tokio::test]
async fn a_member_writes_comments_votes_edits_and_reads_the_diff() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    let signed = b.sign_up("글쓴이").await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.html);
    let session = b
        .cookies
        .get("madang_session")
        .cloned()
        .expect("session cookie");
    assert!(!session.is_empty());

    let board_s = board.to_string();
    let written = b
        .submit(
            &format!("/write?board={board}"),
            "/write",
            &[
                ("category_id", &board_s),
                ("title", "세미나 후기"),
                ("content", "첫 줄\n둘째 줄 https://madang.kr/a?b=1&c=2"),
            ],
        )
        .await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.html);
    let id = post_id(written.location.as_deref().unwrap());
    let page = b.get(&format!("/posts/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("<h1>세미나 후기</h1>"));
    assert!(page.has("첫 줄\n둘째 줄"), "line breaks are kept");
    assert!(page.has("<a href=\"https://madang.kr/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">"));
    assert!(page.has("<meta property=\"og:type\" content=\"article\">"));
    assert!(page.has(&format!("/posts/{id}\">")), "canonical URL");

    let commented = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/comments"),
            &[("content", "좋은 후기 감사합니다")],
        )
        .await;
    assert_eq!(commented.status, StatusCode::SEE_OTHER);
    let voted = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/vote"),
            &[("on", "1")],
        )
        .await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/posts/{id}")).await;
    assert!(page.has("좋은 후기 감사합니다"));
    assert!(page.has("aria-pressed=\"true\""));
    let (_, api) = app.get(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(api["vote_count"], 1);
    assert_eq!(api["comment_count"], 1);

    let edited = b
        .submit(
            &format!("/posts/{id}/edit"),
            &format!("/posts/{id}/edit"),
            &[
                ("category_id", &board_s),
                ("title", "세미나 후기 (수정)"),
                ("content", "첫째 줄\n둘째 줄 https://madang.kr/a?b=1&c=2"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.html);
    let page = b.get(&format!("/posts/{id}")).await;
    assert!(page.has(&format!("href=\"/posts/{id}/history\"")) && page.has("수정됨"));
    let history = b.get(&format!("/posts/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(
        history.has("<del>첫</del><ins>첫째</ins> 줄"),
        "{}",
        history.html
    );
    assert!(
        history.has("세미나 후기<ins> (수정)</ins>"),
        "{}",
        history.html
    );
    assert!(history.has(&format!("/api/v1/posts/{id}/versions.csv")));

    // Others cannot edit it.
    let mut other = Browser::new(&app, "ko");
    assert_eq!(
        other.sign_up("다른회원").await.status,
        StatusCode::SEE_OTHER
    );
    let denied = other.get(&format!("/posts/{id}/edit")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // The author's profile lists the post and the comment.
    let me = b.get("/me").await;
    assert!(me.has("로그인 기록") && me.has("글쓴이@example.com"));
    let uid = hidden_user_id(&me.html);
    let profile = b.get(&format!("/users/{uid}")).await;
    assert!(profile.has("세미나 후기 (수정)") && profile.has("좋은 후기 감사합니다"));

    let deleted = b
        .submit(&format!("/posts/{id}"), &format!("/posts/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        b.get(&format!("/posts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let logged_out = b.submit("/", "/logout", &[]).await;
    assert_eq!(logged_out.status, StatusCode::SEE_OTHER);
    assert!(!b.cookies.contains_key("madang_session"));
    assert!(b.get("/").await.has("href=\"/login\""));
}

fn hidden_user_id(me: &str) -> i64 {
    let start = me.find("href=\"/users/").unwrap() + "href=\"/users/".len();
    me[start..].split('"').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn forms_come_back_with_the_message_beside_the_field_and_the_text_kept() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    let page = b
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "새회원"),
                ("email", "not-an-email"),
                ("password1", "short"),
                ("password2", "other"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("value=\"새회원\""), "the name is kept");
    assert!(page.has("value=\"not-an-email\""), "the email is kept");
    assert!(page.has("id=\"email-error\"") && page.has("id=\"password1-error\""));
    assert!(page.has("aria-invalid=\"true\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);

    b.sign_up("새회원").await;
    let board_s = board.to_string();
    let long = "가".repeat(201);
    let page = b
        .submit(
            "/write",
            "/write",
            &[
                ("category_id", &board_s),
                ("title", &long),
                ("content", "지키고 싶은 본문"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("id=\"title-error\""));
    assert!(page.has(">지키고 싶은 본문</textarea>"));
    assert!(page.has(&format!("value=\"{board}\" selected")));
    let page = b
        .submit(
            "/write",
            "/write",
            &[("category_id", "abc"), ("title", "t"), ("content", "c")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("id=\"category_id-error\""));
    let page = b
        .submit(
            "/write",
            "/write",
            &[("category_id", "999999"), ("title", "t"), ("content", "c")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);

    let admin = app.member("작성자").await;
    let id = app.new_post(&admin, board, "글", "본문").await;
    let page = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/comments"),
            &[("content", "   ")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("id=\"content-error\""));
    let page = b.submit("/search", "/search", &[]).await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.html.starts_with("<!doctype html>"));
    let long_q = "가".repeat(101);
    let page = b.get(&format!("/search?q={long_q}")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("id=\"q-error\"") && page.has(&format!("value=\"{long_q}\"")));
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_change_nothing() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    // A visitor's form token is in a cookie and in the form; both must match.
    let p = b.get("/signup").await;
    assert!(b.cookies.contains_key("madang_form"));
    let page = b
        .post(
            "/signup",
            &[
                ("csrf", "forged"),
                ("name", "위조"),
                ("email", "f@example.com"),
                ("password1", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.starts_with("<!doctype html>"));
    assert!(!p.csrf().is_empty());
    b.sign_up("회원").await;
    let board_s = board.to_string();
    for csrf in ["", "forged"] {
        let page = b
            .post(
                "/write",
                &[
                    ("csrf", csrf),
                    ("category_id", &board_s),
                    ("title", "t"),
                    ("content", "c"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);
    let logout = b.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert!(
        b.get("/me").await.status == StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn an_ended_session_keeps_the_post_through_the_log_in() {
    let app = spawn().await;
    let (_, board) = app.board().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("긴글러").await;
    let form = b.get(&format!("/write?board={board}")).await;
    let csrf = form.csrf();
    // The session ends while the member writes (another tab logged out).
    b.submit("/", "/logout", &[]).await;
    let board_s = board.to_string();
    let body = "한 시간 동안 쓴 글\n<b>지워지면 안 됩니다</b>";
    let page = b
        .post(
            "/write",
            &[
                ("csrf", &csrf),
                ("category_id", &board_s),
                ("title", "긴 글"),
                ("content", body),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.has("name=\"draft_to\" value=\"/write\""));
    assert_eq!(hidden(&page.html, "title"), "긴 글");
    let login_csrf = page.csrf();
    let draft_content = hidden(&page.html, "content");
    assert!(draft_content.contains("&#60;b&#62;") || draft_content.contains("&lt;b&gt;"));
    let page = b
        .post(
            "/login",
            &[
                ("csrf", &login_csrf),
                ("username", "긴글러"),
                ("password", PASSWORD),
                ("next", "/write"),
                ("draft_to", "/write"),
                ("category_id", &board_s),
                ("title", "긴 글"),
                ("content", body),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(b.cookies.contains_key("madang_session"));
    assert!(page.has("value=\"긴 글\""));
    assert!(page.has("한 시간 동안 쓴 글"));
    assert!(page.has(&format!("value=\"{board}\" selected")));
    // Sent from the restored form, the post is written.
    let sent = b
        .post(
            "/write",
            &[
                ("csrf", &page.csrf()),
                ("category_id", &board_s),
                ("title", "긴 글"),
                ("content", body),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);
}

#[tokio::test]
async fn a_banned_member_reads_but_cannot_write_and_is_told_why() {
    let app = spawn().await;
    let (admin, board) = app.board().await;
    let id = app.new_post(&admin, board, "공지", "읽을 수 있는 글").await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("정지회원").await;
    let uid = hidden_user_id(&b.get("/me").await.html);
    let until = Timestamp(app.accounts.now().millis() + 3 * 86_400_000);
    app.set_state(
        uid,
        UserState::Suspended {
            until,
            reason: "도배".into(),
        },
    )
    .await;
    let page = b.get(&format!("/posts/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("읽을 수 있는 글"));
    assert!(page.has("class=\"restricted\"") && page.has("도배") && page.has("KST"));
    let page = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/comments"),
            &[("content", "댓글")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.has("role=\"alert\"") || page.has("class=\"error\""),
        "{}",
        page.html
    );
    assert!(page.has(">댓글</textarea>"), "the comment is kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 0);
    let vote = b
        .submit(
            &format!("/posts/{id}"),
            &format!("/posts/{id}/vote"),
            &[("on", "1")],
        )
        .await;
    assert_eq!(vote.status, StatusCode::FORBIDDEN);
    // A new log-in is refused with the reason and the end of the suspension.
    b.submit("/", "/logout", &[]).await;
    let page = b.log_in("정지회원", PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("도배") && page.has("정지"), "{}", page.html);
    app.set_state(
        uid,
        UserState::Banned {
            reason: "광고".into(),
        },
    )
    .await;
    let page = b.log_in("정지회원", PASSWORD).await;
    assert!(page.has("광고") && page.has("차단"), "{}", page.html);
}

#[tokio::test]
async fn log_in_is_throttled_after_repeated_failures() {
    let app = spawn().await;
    app.member("표적").await;
    let mut b = Browser::new(&app, "ko");
    for _ in 0..5 {
        let page = b.log_in("표적", "wrong-password").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.has("이름 또는 비밀번호가 맞지 않습니다"));
    }
    let page = b.log_in("표적", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!b.cookies.contains_key("madang_session"));
}

#[tokio::test]
async fn search_finds_one_syllable_and_marks_it() {
    let app = spawn().await;
    let (admin, board) = app.board().await;
    let other = app.category(&admin, "다른 게시판", None).await;
    app.new_post(&admin, board, "배우의 연기", "연기가 좋았다")
        .await;
    app.new_post(&admin, other, "다른 배우", "관계없음").await;
    app.new_post(&admin, board, "무관한 글", "내용").await;
    let mut b = Browser::new(&app, "ko");
    let mut page = b.get("/search?q=%EB%B0%B0").await; // 배
    for _ in 0..50 {
        if page.status == StatusCode::OK && page.has("다른 배우") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = b.get("/search?q=%EB%B0%B0").await;
    }
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("<mark>배</mark>우의 연기"), "{}", page.html);
    assert!(page.has("다른 <mark>배</mark>우"));
    assert!(!page.has("무관한 글"));
    let page = b.get(&format!("/search?q=%EB%B0%B0&board={other}")).await;
    assert!(page.has("다른 <mark>배</mark>우") && !page.has("배우의 연기"));
    let page = b.get("/search").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("role=\"search\""));
}

#[tokio::test]
async fn feeds_sitemap_and_robots_describe_the_board() {
    let app = spawn().await;
    let (admin, board) = app.board().await;
    let id = app
        .new_post(&admin, board, "피드 & 글", "요약 <본문>")
        .await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", app.base)).send();
    let res = get("/feed.atom").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let atom = res.text().await.unwrap();
    assert!(atom.contains("<title>피드 &amp; 글</title>"), "{atom}");
    assert!(atom.contains(&format!("/posts/{id}</id>")));
    assert!(atom.contains("요약 &lt;본문&gt;"));
    let atom = get(&format!("/boards/{board}/feed.atom"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(atom.contains("자유게시판") && atom.contains("피드 &amp; 글"));
    assert_eq!(
        get("/boards/999999/feed.atom").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let index = get("/sitemap.xml").await.unwrap().text().await.unwrap();
    assert!(index.contains("<sitemapindex") && index.contains("/sitemap/posts-1.xml"));
    let urls = get("/sitemap/posts-1.xml")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(urls.contains(&format!("/posts/{id}</loc>")) && urls.contains("<lastmod>"));
    let roots = get("/sitemap/posts-0.xml")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(roots.contains(&format!("/boards/{board}</loc>")));
    assert_eq!(
        get("/sitemap/posts-x.xml").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let robots = get("/robots.txt").await.unwrap().text().await.unwrap();
    assert!(robots.contains("Sitemap: ") && robots.contains("Disallow: /admin/"));
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_fingerprinted_assets() {
    let app = spawn().await;
    let res = app.client.get(app.url("/login")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("unsafe-inline") && csp.contains("script-src 'self'"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = res.text().await.unwrap();
    let start = html.find("/static/web.").unwrap();
    let css = html[start..].split('"').next().unwrap().to_owned();
    assert!(css.ends_with(".css"));
    let res = app
        .client
        .get(app.url(&css))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(!html.contains("<script>") && !html.contains(" style=\""));
}

#[tokio::test]
async fn members_change_their_password_and_resign_from_my_page() {
    let app = spawn().await;
    let mut b = Browser::new(&app, "ko");
    b.sign_up("떠날회원").await;
    let page = b
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", "wrong"),
                ("password1", "new-password-2"),
                ("password2", "new-password-2"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("id=\"cp-error\""));
    let page = b
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", PASSWORD),
                ("password1", "new-password-2"),
                ("password2", "new-password-2"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(b.get("/me?changed=1").await.has("비밀번호를 바꿨습니다"));
    let page = b
        .submit("/me/resign", "/me/resign", &[("password", "wrong")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = b
        .submit(
            "/me/resign",
            "/me/resign",
            &[("password", "new-password-2")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("탈퇴가 끝났습니다"));
    assert!(!b.cookies.contains_key("madang_session"));
    let (s, _) = app.log_in("떠날회원", "new-password-2").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn seminars_show_places_left_and_take_participants() {
    let app = spawn().await;
    let mut teacher = Browser::new(&app, "ko");
    teacher.sign_up("강사").await;
    let page = teacher
        .submit(
            "/seminars",
            "/seminars/profile",
            &[("role", "instructor"), ("company", "마당대학교")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let page = teacher
        .submit(
            "/seminars/new",
            "/seminars/new",
            &[
                ("name", "러스트 입문"),
                ("capacity", "x"),
                ("count", "4"),
                ("time", "19:30"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("id=\"capacity-error\"") && page.has("value=\"러스트 입문\""));
    let page = teacher
        .submit(
            "/seminars/new",
            "/seminars/new",
            &[
                ("name", "러스트 입문"),
                ("capacity", "1"),
                ("count", "4"),
                ("time", "19:30"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let at = page.location.unwrap();

    let mut student = Browser::new(&app, "ko");
    student.sign_up("학생").await;
    let detail = student.get(&at).await;
    assert!(detail.has("자리 남음") && detail.has("0/1"));
    student
        .submit(
            "/seminars",
            "/seminars/profile",
            &[("role", "participant"), ("university", "서울대")],
        )
        .await;
    let joined = student.submit(&at, &format!("{at}/join"), &[]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    let detail = student.get(&at).await;
    assert!(detail.has("참가 중입니다") && detail.has("마감"));
    let mut late = Browser::new(&app, "ko");
    late.sign_up("늦은학생").await;
    late.submit(
        "/seminars",
        "/seminars/profile",
        &[("role", "participant"), ("university", "부산대")],
    )
    .await;
    let full = late.submit(&at, &format!("{at}/join"), &[]).await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert!(full.has("role=\"alert\""));
    let dropped = student.submit(&at, &format!("{at}/drop"), &[]).await;
    assert_eq!(dropped.status, StatusCode::SEE_OTHER);
    assert!(student.get("/seminars").await.has("러스트 입문"));
}
