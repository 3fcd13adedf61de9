//! The web app's pages: lists, posts with comments, votes and history, forms and
//! their errors, search, feeds and the sitemap, headers and assets, seminars.

use reqwest::StatusCode;

use super::{Browser, hidden_user_id, post_id};
use crate::helpers::spawn;

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
    assert_eq!(
        full.status,
        StatusCode::BAD_REQUEST,
        "as the API answers a full seminar"
    );
    assert!(full.has("role=\"alert\""));
    let dropped = student.submit(&at, &format!("{at}/drop"), &[]).await;
    assert_eq!(dropped.status, StatusCode::SEE_OTHER);
    assert!(student.get("/seminars").await.has("러스트 입문"));
}

#[tokio::test]
async fn a_board_filters_by_prefix_and_sorts_by_views() {
    use serde_json::json;
    let app = spawn().await;
    let (admin, board) = app.board().await;
    let other = app.category(&admin, "질문게시판", None).await;
    let prefix = |cat: i64, name: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let (s, b) = app
                .post(
                    &format!("/api/v1/categories/{cat}/prefixes"),
                    Some(&admin.token),
                    json!({ "name": name }),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            b["prefixes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        }
    };
    let info = prefix(board, "정보").await;
    let chat = prefix(board, "잡담").await;
    let elsewhere = prefix(other, "질문").await;
    for (title, p) in [("정보 글", info), ("잡담 글", chat)] {
        let (s, b) = app
            .post(
                "/api/v1/posts",
                Some(&admin.token),
                json!({"category_id": board, "title": title, "content": "본문", "prefix_id": p}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let mut b = Browser::new(&app, "ko");
    let all = b.get(&format!("/boards/{board}")).await;
    assert!(all.has("[정보]</span>") && all.has("잡담 글") && all.has("정보 글"));
    assert!(
        all.has(&format!(
            "href=\"/boards/{board}?sort=new&#38;prefix={info}\">[정보]</a>"
        )),
        "{}",
        all.html
    );
    assert!(all.has(">조회</a>"), "the views tab");

    let only = b.get(&format!("/boards/{board}?prefix={info}")).await;
    assert_eq!(only.status, StatusCode::OK);
    assert!(only.has("정보 글") && !only.has("잡담 글"));
    assert!(only.has(&format!("prefix={info}\" aria-current=\"page\"")));
    // Sorting keeps the filter.
    assert!(only.has(&format!(
        "href=\"/boards/{board}?prefix={info}&#38;sort=views\""
    )));
    let by_views = b
        .get(&format!("/boards/{board}?prefix={info}&sort=views"))
        .await;
    assert_eq!(by_views.status, StatusCode::OK);
    assert!(by_views.has("정보 글") && !by_views.has("잡담 글"));

    // Another board's prefix is no page of this board; a malformed one is a clear error.
    assert_eq!(
        b.get(&format!("/boards/{board}?prefix={elsewhere}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad = b.get(&format!("/boards/{board}?prefix=abc")).await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
    // The other board has no posts with its prefix and shows its own tab only.
    let q = b.get(&format!("/boards/{other}")).await;
    assert!(q.has("[질문]</a>") && !q.has("[정보]</a>"));
}
