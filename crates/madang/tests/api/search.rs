//! Keyword search through the index, on every engine: matching, several words and
//! phrases, relevance, highlights, filters with paging, and freshness after writes.

use reqwest::StatusCode;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::helpers::{TestApp, assert_error, detail_fields, read, spawn};

async fn find(app: &TestApp, query: &[(&str, &str)]) -> Value {
    let res = app
        .client
        .get(app.url("/api/v1/posts"))
        .query(query)
        .send()
        .await
        .unwrap();
    let (s, body) = read(res).await;
    assert_eq!(s, StatusCode::OK, "{query:?}: {body}");
    body
}

fn ids(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

async fn search(app: &TestApp, keyword: &str) -> Vec<i64> {
    ids(&find(app, &[("keyword", keyword)]).await)
}

fn chars(s: &str, [a, b]: [u64; 2]) -> String {
    s.chars().skip(a as usize).take((b - a) as usize).collect()
}

fn ranges(v: &Value) -> Vec<[u64; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| [r[0].as_u64().unwrap(), r[1].as_u64().unwrap()])
        .collect()
}

#[tokio::test]
async fn korean_substrings_of_any_length_mixed_script_and_literal_wildcards() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let kim = app.member("김배우").await;
    let lee = app.member("lee_dev").await;
    let p1 = app
        .new_post(&kim, cat, "연기 잘하는 배우", "이 영화는 시간낭비였다")
        .await;
    let p2 = app
        .new_post(&lee, cat, "Rust로 만든 게시판", "100% 만족, snake_case OK")
        .await;
    let p3 = app
        .new_post(&lee, cat, "점심", "ㅋㅋㅋ 김치찌개\n\n먹자")
        .await;

    assert_eq!(search(&app, "낭").await, [p1], "one syllable");
    assert_eq!(search(&app, "배우").await, [p1], "two (title and author)");
    assert_eq!(search(&app, "간낭비").await, [p1], "three");
    assert_eq!(search(&app, "시간낭비").await, [p1], "four");
    assert_eq!(
        search(&app, "김").await,
        [p3, p1],
        "content, and author name"
    );
    assert_eq!(search(&app, "RUST로").await, [p2], "mixed script, case");
    assert_eq!(search(&app, "100%").await, [p2], "% is literal");
    assert_eq!(search(&app, "e_c").await, [p2], "_ is literal");
    assert!(search(&app, "x_y").await.is_empty());
    assert!(search(&app, "0%만").await.is_empty(), "no wildcard");
    assert_eq!(search(&app, "ㅋㅋ").await, [p3], "repeated grams");
    assert_eq!(search(&app, "LEE_").await, [p3, p2], "author name");
    let nfd: String = "시간낭비".nfd().collect();
    assert_eq!(search(&app, &nfd).await, [p1], "NFD keyword");
    assert_eq!(search(&app, "시간\u{200B}낭비").await, [p1], "zero width");
    assert!(search(&app, "없는말").await.is_empty());

    // An NFD post is stored composed and found by the composed keyword.
    let nfd_title: String = "한글 자모".nfd().collect();
    let p4 = app.new_post(&kim, cat, &nfd_title, "본문").await;
    assert_eq!(search(&app, "글 자").await, [p4], "both words");
    assert_eq!(
        search(&app, "\"글 자\"").await,
        [p4],
        "the phrase across a space"
    );
    assert!(search(&app, "글자").await.is_empty());
    let (_, p) = app.get(&format!("/api/v1/posts/{p4}"), None).await;
    assert_eq!(p["title"], "한글 자모");
}

#[tokio::test]
async fn words_are_anded_in_any_order_and_quotes_keep_them_together() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("writer").await;
    let both = app.new_post(&m, cat, "배우 연기 최고", "좋았다").await;
    let apart = app.new_post(&m, cat, "연기 논란", "배우가 해명").await;
    let one = app.new_post(&m, cat, "배우 인터뷰", "없음").await;

    let mut found = search(&app, "배우 연기").await;
    found.sort_unstable();
    assert_eq!(found, [both, apart], "both words, any order, any field");
    assert_eq!(search(&app, "연기   배우").await.len(), 2);
    assert_eq!(
        search(&app, "\"배우 연기\"").await,
        [both],
        "the words together"
    );
    assert_eq!(
        search(&app, "\"배우").await,
        Vec::<i64>::new(),
        "an unbalanced quote is a character"
    );
    let all = find(&app, &[]).await;
    for blank in ["   ", "!!!", "...", "\"\""] {
        assert_eq!(
            search(&app, blank).await,
            ids(&all),
            "{blank:?} is no filter"
        );
    }
    let _ = one;

    let res = app
        .client
        .get(app.url("/api/v1/posts"))
        .query(&[("keyword", "가".repeat(101))])
        .send()
        .await
        .unwrap();
    let (s, b) = read(res).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&b, "validation_failed");
    assert_eq!(detail_fields(&b), ["keyword"]);
    // 100 syllables sent decomposed are 100 characters, not 300.
    let nfd: String = "가".repeat(100).nfd().collect();
    assert!(find(&app, &[("keyword", &nfd)]).await["data"].is_array());
}

#[tokio::test]
async fn relevance_ranks_title_matches_first_then_occurrences_then_newer() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("writer").await;
    let content_once = app.new_post(&m, cat, "후기", "배우가 좋다").await;
    let content_thrice = app.new_post(&m, cat, "감상", "배우 배우 그리고 배우").await;
    let title_old = app.new_post(&m, cat, "배우 이야기", "내용").await;
    let title_new = app.new_post(&m, cat, "배우 소식", "내용").await;

    let body = find(&app, &[("keyword", "배우"), ("sort", "relevance")]).await;
    assert_eq!(
        ids(&body),
        [title_new, title_old, content_thrice, content_once]
    );
    // The same order page by page through the cursor.
    let p1 = find(
        &app,
        &[("keyword", "배우"), ("sort", "relevance"), ("size", "3")],
    )
    .await;
    let cursor = p1["next_cursor"].as_str().unwrap().to_owned();
    let p2 = find(
        &app,
        &[
            ("keyword", "배우"),
            ("sort", "relevance"),
            ("size", "3"),
            ("cursor", &cursor),
        ],
    )
    .await;
    assert_eq!(ids(&p2), [content_once]);
    assert!(p2["next_cursor"].is_null());
    // Without a keyword, relevance is the newest first.
    let plain = find(&app, &[("sort", "relevance")]).await;
    assert_eq!(ids(&plain)[0], title_new);
}

#[tokio::test]
async fn items_carry_highlights_and_an_excerpt_around_the_first_match() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("writer").await;
    let long = format!("{}시간낭비{}", "가나다라 ".repeat(80), " 마바사".repeat(80));
    app.new_post(&m, cat, "시간 낭비한 영화, 시간낭비", &long)
        .await;

    let body = find(&app, &[("keyword", "시간낭비")]).await;
    let item = &body["data"][0];
    let title = item["title"].as_str().unwrap();
    let t = ranges(&item["highlights"]["title"]);
    assert_eq!(t.len(), 1);
    assert_eq!(chars(title, t[0]), "시간낭비");
    let excerpt = item["excerpt"].as_str().unwrap();
    assert_eq!(excerpt.chars().count(), 200);
    let e = ranges(&item["highlights"]["excerpt"]);
    assert_eq!(e.len(), 1);
    assert_eq!(chars(excerpt, e[0]), "시간낭비");
    assert!((90..=110).contains(&e[0][0]), "centred: {:?}", e[0]);
    // Plain lists have no highlights and start at the beginning.
    let plain = find(&app, &[]).await;
    assert!(plain["data"][0].get("highlights").is_none());
    assert!(
        plain["data"][0]["excerpt"]
            .as_str()
            .unwrap()
            .starts_with("가나다라")
    );
}

#[tokio::test]
async fn keyword_combines_with_category_author_sort_and_cursor() {
    let app = spawn().await;
    let (admin, root) = app.board().await;
    let child = app.category(&admin, "하위", Some(root)).await;
    let other = app.category(&admin, "다른", None).await;
    let a = app.member("alice").await;
    let b = app.member("bobby").await;
    let mut in_root = Vec::new();
    for i in 0..5 {
        let cat = if i % 2 == 0 { root } else { child };
        in_root.push(app.new_post(&a, cat, &format!("꿀팁 {i}"), "본문").await);
    }
    let elsewhere = app.new_post(&b, other, "꿀팁 다른곳", "본문").await;
    let voted = in_root[1];
    let (s, _) = app
        .put(&format!("/api/v1/posts/{voted}/vote"), Some(&b.token), None)
        .await;
    assert_eq!(s, StatusCode::OK);

    let root_s = root.to_string();
    let body = find(&app, &[("keyword", "꿀"), ("category_id", &root_s)]).await;
    let mut newest_first = in_root.clone();
    newest_first.reverse();
    assert_eq!(ids(&body), newest_first, "the category and those below");
    assert_eq!(body["page_info"]["total_items"], 5);
    let author = b.id.to_string();
    assert_eq!(
        ids(&find(&app, &[("keyword", "꿀팁"), ("author_id", &author)]).await),
        [elsewhere]
    );
    let top = find(&app, &[("keyword", "꿀팁"), ("sort", "top")]).await;
    assert_eq!(ids(&top)[0], voted, "top follows the vote at once");

    // Cursor pages give the same order as one big page.
    let all = ids(&find(&app, &[("keyword", "꿀팁"), ("size", "100")]).await);
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = vec![("keyword", "꿀팁".to_owned()), ("size", "2".to_owned())];
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = find(&app, &q).await;
        walked.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, all);
    assert_eq!(all.len(), 6);
}

#[tokio::test]
async fn edits_deletes_and_renames_show_in_the_next_search() {
    let app = spawn().await;
    let (_, cat) = app.board().await;
    let m = app.member("before").await;
    let id = app.new_post(&m, cat, "처음 제목", "원래 내용").await;
    assert_eq!(search(&app, "원래").await, [id], "read your own write");

    let (s, _) = app
        .put(
            &format!("/api/v1/posts/{id}"),
            Some(&m.token),
            Some(json!({"title": "바뀐 제목", "content": "새로운 내용"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        search(&app, "원래").await.is_empty(),
        "the old text is gone"
    );
    assert_eq!(search(&app, "새로운").await, [id]);

    let (s, _) = app
        .req(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            Some(&m.token),
            Some(json!({"name": "나중이름"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(search(&app, "나중이").await, [id], "found by the new name");
    assert!(search(&app, "before").await.is_empty());

    // A name that matched nobody a moment ago matches the member who just signed up.
    assert!(search(&app, "신입").await.is_empty());
    let newcomer = app.member("신입회원").await;
    let theirs = app.new_post(&newcomer, cat, "안녕하세요", "첫 글").await;
    assert_eq!(search(&app, "신입").await, [theirs], "a new author's name");

    let (s, _) = app
        .delete(&format!("/api/v1/posts/{id}"), Some(&m.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(search(&app, "새로운").await.is_empty(), "deleted");

    // Once the index has applied the changes the answers stay the same.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(search(&app, "새로운").await.is_empty());
    assert!(search(&app, "원래").await.is_empty());
}
