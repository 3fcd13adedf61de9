//! The default suite's scenarios: what they need to know of the seeded board
//! ([`Context`]) and the list of HTTP requests driven at it.

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::{SEED_PASSWORD, Scenario, encode};

/// What the scenarios need to know of the seeded board.
pub struct Context {
    pub user_name: String,
    /// The busiest tier-1 category and its subtree.
    pub board: i64,
    pub board_ids: Vec<i64>,
    pub leaf: i64,
    pub hot_post: i64,
    pub max_post: i64,
    pub deep_cursor: String,
    /// Page 500, or half the board's pages when it has fewer than 1,000.
    pub deep_page: i64,
    pub keywords: [(&'static str, &'static str); 4],
    /// A keyword with at least one and fewer than 50 matches, when the data has one.
    pub rare: Option<&'static str>,
    pub data: Value,
}

/// Two-syllable words that a board of film reviews holds rarely.
const RARE_CANDIDATES: &[&str] = &[
    "꽃게",
    "낙지",
    "잠수함",
    "해적선",
    "우주선",
    "팝콘",
    "좀비",
    "마녀",
];

impl Context {
    pub async fn read(http: &reqwest::Client, base: &str, url: &str) -> anyhow::Result<Self> {
        let get = |path: String| {
            let http = http.clone();
            async move {
                let r = http.get(path).send().await?;
                anyhow::ensure!(
                    r.status().is_success(),
                    "{} answered {}",
                    r.url(),
                    r.status()
                );
                Ok::<Value, anyhow::Error>(r.json::<Value>().await?)
            }
        };
        let tree = get(format!("{base}/api/v1/categories")).await?;
        let roots = tree
            .as_array()
            .filter(|a| !a.is_empty())
            .context("no categories")?;
        let mut best = (0, -1_i64, Vec::new(), 0);
        for r in roots {
            let id = r["id"].as_i64().context("category id")?;
            let total = get(format!("{base}/api/v1/posts?category_id={id}&size=1")).await?
                ["page_info"]["total_items"]
                .as_i64()
                .unwrap_or(0);
            if total > best.1 {
                let mut ids = Vec::new();
                let mut leaf = id;
                collect(r, &mut ids, &mut leaf);
                best = (id, total, ids, leaf);
            }
        }
        let top = get(format!("{base}/api/v1/posts?sort=top&size=1")).await?;
        let hot_post = top["data"][0]["id"].as_i64().context("no posts")?;
        let newest = get(format!("{base}/api/v1/posts?size=1")).await?;
        let max_post = newest["data"][0]["id"].as_i64().context("no posts")?;
        let total = newest["page_info"]["total_items"].clone();
        // Page 500 of 20 posts, or halfway down a smaller board.
        let deep_page = (total.as_i64().unwrap_or(0) / 40).clamp(1, 500);
        let deep = get(format!("{base}/api/v1/posts?page={deep_page}&size=20")).await?;
        let deep_cursor = deep["next_cursor"]
            .as_str()
            .context("the deep page has no next cursor: too few posts")?
            .to_owned();
        let user_name = {
            let db = sqlx::AnyPool::connect(url).await?;
            let row = sqlx::query(
                "SELECT name FROM users WHERE email LIKE '%@seed.madang.test' ORDER BY id LIMIT 1",
            )
            .fetch_one(&db)
            .await
            .context("no seeded user")?;
            db.close().await;
            sqlx::Row::try_get::<String, _>(&row, 0)?
        };
        // Korean keywords of 1, 2 and 4 characters and an English word, with how many
        // posts each matches (capped as the API caps it).
        let keywords = [
            ("search_ko_1", "꿀"),
            ("search_ko_2", "배우"),
            ("search_ko_4", "시간낭비"),
            ("search_en", "rust"),
        ];
        let mut matches = serde_json::Map::new();
        for (name, k) in keywords {
            let r = get(format!("{base}/api/v1/posts?size=1&keyword={}", encode(k))).await?;
            matches.insert(
                name.to_owned(),
                json!({"keyword": k, "total_items": r["page_info"]["total_items"], "total_capped": r["page_info"]["total_capped"]}),
            );
        }
        // A rare two-syllable keyword: the first of these with 1..50 matches.
        let mut rare = None;
        for k in RARE_CANDIDATES {
            let r = get(format!("{base}/api/v1/posts?size=1&keyword={}", encode(k))).await?;
            let n = r["page_info"]["total_items"].as_i64().unwrap_or(0);
            if (1..50).contains(&n) {
                matches.insert(
                    "search_rare".to_owned(),
                    json!({"keyword": k, "total_items": n, "total_capped": false}),
                );
                rare = Some(*k);
                break;
            }
        }
        Ok(Self {
            rare,
            user_name,
            board: best.0,
            board_ids: best.2,
            leaf: best.3,
            hot_post,
            max_post,
            deep_cursor,
            deep_page,
            keywords,
            data: json!({
                "posts": total,
                "deep_page": deep_page,
                "board": {"id": best.0, "posts": best.1},
                "hot_post": hot_post,
                "keywords": matches,
            }),
        })
    }

    pub async fn token(&self, http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
        let r: Value = http
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({"username": self.user_name, "password": SEED_PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(r["access_token"].as_str().context("no token")?.to_owned())
    }
}

fn collect(node: &Value, ids: &mut Vec<i64>, leaf: &mut i64) {
    if let Some(id) = node["id"].as_i64() {
        ids.push(id);
        *leaf = id;
    }
    for c in node["children"].as_array().into_iter().flatten() {
        collect(c, ids, leaf);
    }
}

/// Post ids from 1 to the largest number of one digit fewer than the newest id: every
/// one of them a seeded, live post.
fn random_post_path(max_post: i64, tail: &str) -> String {
    let digits = max_post.to_string().len().saturating_sub(1).max(1);
    format!("/api/v1/posts/[1-9][0-9]{{0,{}}}{tail}", digits - 1)
}

pub fn scenarios(ctx: &Context, base: &str, concurrency: u32) -> anyhow::Result<Vec<Scenario>> {
    let get = |name, what: String, path: String| Scenario {
        name,
        what,
        url: format!("{base}{path}"),
        oha: vec![],
        writes: false,
    };
    let json_body = |method: &str, body: Value| {
        vec![
            "-m".into(),
            method.into(),
            "-T".into(),
            "application/json".into(),
            "-d".into(),
            body.to_string(),
        ]
    };
    let mut v = vec![
        get(
            "health_live",
            "GET /health/live (HTTP stack ceiling)".into(),
            "/health/live".into(),
        ),
        get(
            "list_first",
            "list, first page (20, newest)".into(),
            "/api/v1/posts".into(),
        ),
        get(
            "list_offset_500",
            format!("list, page {} by offset", ctx.deep_page),
            format!("/api/v1/posts?page={}", ctx.deep_page),
        ),
        get(
            "list_cursor_deep",
            format!("list, the page after page {} by cursor", ctx.deep_page),
            format!("/api/v1/posts?cursor={}", ctx.deep_cursor),
        ),
        get(
            "list_category",
            format!(
                "list filtered by the busiest tier-1 category ({} categories below)",
                ctx.board_ids.len() - 1
            ),
            format!("/api/v1/posts?category_id={}", ctx.board),
        ),
    ];
    for (name, k) in ctx.keywords {
        v.push(get(
            name,
            format!("keyword search \"{k}\""),
            format!("/api/v1/posts?keyword={}", encode(k)),
        ));
    }
    if let Some(k) = ctx.rare {
        v.push(get(
            "search_rare",
            format!("keyword search, rare (\"{k}\", fewer than 50 matches)"),
            format!("/api/v1/posts?keyword={}", encode(k)),
        ));
    }
    v.push(get(
        "search_none",
        "keyword search with no match (\"뷁햏\")".into(),
        format!("/api/v1/posts?keyword={}", encode("뷁햏")),
    ));
    v.push(get(
        "search_two_words",
        "keyword search, two words (\"배우 연기\")".into(),
        format!("/api/v1/posts?keyword={}", encode("배우 연기")),
    ));
    v.push(get(
        "search_category",
        "keyword search \"배우\" in the busiest tier-1 category".into(),
        format!(
            "/api/v1/posts?keyword={}&category_id={}",
            encode("배우"),
            ctx.board
        ),
    ));
    v.push(get(
        "search_relevance",
        "keyword search \"배우\", sort=relevance".into(),
        format!("/api/v1/posts?keyword={}&sort=relevance", encode("배우")),
    ));
    let mut detail = get(
        "post_detail",
        "post detail, a random post each request".into(),
        random_post_path(ctx.max_post, ""),
    );
    detail.oha.push("--rand-regex-url".into());
    v.push(detail);
    v.push(get(
        "comments_hot",
        format!("comment page of the most voted post ({})", ctx.hot_post),
        format!("/api/v1/posts/{}/comments", ctx.hot_post),
    ));
    // Sign-up bodies, one per line, each a new user: more lines than the run can use.
    let bodies =
        std::env::temp_dir().join(format!("madang-bench-signup-{}.jsonl", std::process::id()));
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut lines = String::new();
    for i in 0..(20_000 * u64::from(concurrency.max(1))) {
        let name = format!("b{run:x}{i}");
        lines.push_str(
            &json!({"name": name, "email": format!("{name}@bench.madang.test"), "password1": SEED_PASSWORD, "password2": SEED_PASSWORD})
                .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&bodies, lines)?;
    v.push(Scenario {
        name: "sign_up",
        what: "sign-up (a new user each request; Argon2id hash)".into(),
        url: format!("{base}/api/v1/users"),
        oha: vec![
            "-m".into(),
            "POST".into(),
            "-T".into(),
            "application/json".into(),
            "-Z".into(),
            bodies.display().to_string(),
        ],
        writes: false,
    });
    v.push(Scenario {
        name: "log_in",
        what: "log-in (Argon2id verify, login history row, tokens)".into(),
        url: format!("{base}/api/v1/auth/token"),
        oha: json_body(
            "POST",
            json!({"username": ctx.user_name, "password": SEED_PASSWORD}),
        ),
        writes: false,
    });
    v.push(Scenario {
        name: "create_post",
        what: "create post (with its version and labelling job)".into(),
        url: format!("{base}/api/v1/posts"),
        oha: json_body(
            "POST",
            json!({"category_id": ctx.leaf, "title": "부하 측정 글", "content": "마당의 부하 측정용 본문입니다. 영화 이야기는 다음에 계속합니다."}),
        ),
        writes: true,
    });
    let mut comment = json_body(
        "POST",
        json!({"content": "좋은 글 감사합니다. 저도 같은 생각이에요."}),
    );
    comment.push("--rand-regex-url".into());
    v.push(Scenario {
        name: "create_comment",
        what: "create comment on a random post".into(),
        url: format!("{base}{}", random_post_path(ctx.max_post, "/comments")),
        oha: comment,
        writes: true,
    });
    v.push(Scenario {
        name: "vote",
        what: "vote on a random post".into(),
        url: format!("{base}{}", random_post_path(ctx.max_post, "/vote")),
        oha: vec!["-m".into(), "PUT".into(), "--rand-regex-url".into()],
        writes: true,
    });
    Ok(v)
}
