//! The store's contract, tested through the domain's ports on the engine the run names
//! (`MADANG_TEST_DATABASE_URL`; SQLite when unset): what every adapter of these ports
//! must do, whatever SQL it takes on each engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use madang_domain::Error;
use madang_domain::categories::CategoryName;
use madang_domain::comments::NewComment;
use madang_domain::console::{ListQuery, Model, RawListQuery, Total};
use madang_domain::jobs::NewJob;
use madang_domain::listing::PageRequest;
use madang_domain::ports::{
    CategoryStore, CommentStore, ConsoleStore, JobQueue, NewUser, PostStore, UserStore,
};
use madang_domain::posts::{Body, NewPost, PostEdit, PostFilter, PostSort, Title};
use madang_domain::time::{Clock, Timestamp};
use madang_domain::users::{Email, Role, UserName};
use madang_store::{Db, DbConfig, EmbeddedQueue};

/// A store on a fresh, migrated database of the run's engine.
struct Store {
    db: Db,
    _fresh: madang_testkit::FreshDatabase,
}

async fn store() -> Store {
    let fresh = madang_testkit::fresh_database().await;
    let db = Db::connect_lazy(&DbConfig::new(&fresh.url, 8, Duration::from_secs(10))).unwrap();
    db.migrate().await.unwrap();
    Store { db, _fresh: fresh }
}

const T0: Timestamp = Timestamp(1_767_225_600_000);

struct At(Timestamp);

impl Clock for At {
    fn now(&self) -> Timestamp {
        self.0
    }
}

async fn user(db: &Db, name: &str) -> i64 {
    db.insert_user(&new_user(name, &format!("{name}@madang.kr")))
        .await
        .unwrap()
        .id
}

fn new_user(name: &str, email: &str) -> NewUser {
    NewUser {
        name: UserName::parse("name", name).unwrap(),
        email: Email::parse("email", email).unwrap(),
        password_hash: "$argon2id$not-checked-here".to_owned(),
        role: Role::User,
        now: T0,
    }
}

async fn board(db: &Db, name: &str) -> i64 {
    db.create_category(&CategoryName::parse("name", name).unwrap(), None, T0)
        .await
        .unwrap()
}

fn new_post(category_id: i64, author_id: i64, title: &str, at: Timestamp) -> NewPost {
    NewPost {
        category_id,
        author_id,
        title: Title::parse(title).unwrap(),
        content: Body::parse("content", &format!("{title} 본문입니다"), 10_000).unwrap(),
        prefix_id: None,
        search_text: title.to_owned(),
        hot_rank: 0.0,
        now: at,
        follow_up: Vec::new(),
        mentions: Vec::new(),
    }
}

async fn post(db: &Db, category_id: i64, author_id: i64, title: &str) -> i64 {
    db.insert_post(&new_post(category_id, author_id, title, T0))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_vote_counts_once_and_is_withdrawn_once_on_posts_and_comments() {
    let s = store().await;
    let (a, b) = (user(&s.db, "voter_a").await, user(&s.db, "voter_b").await);
    let c = board(&s.db, "자유게시판").await;
    let p = post(&s.db, c, a, "투표해 주세요").await;

    assert_eq!(s.db.set_post_vote(p, b, true, T0).await.unwrap(), Some(1));
    assert_eq!(s.db.set_post_vote(p, b, true, T0).await.unwrap(), Some(1));
    assert_eq!(s.db.set_post_vote(p, a, true, T0).await.unwrap(), Some(2));
    assert!(s.db.post_voted(p, b).await.unwrap());
    assert_eq!(s.db.set_post_vote(p, b, false, T0).await.unwrap(), Some(1));
    assert_eq!(s.db.set_post_vote(p, b, false, T0).await.unwrap(), Some(1));
    assert!(!s.db.post_voted(p, b).await.unwrap());
    assert_eq!(s.db.post(p, false).await.unwrap().unwrap().vote_count, 1);

    let comment = NewComment {
        post_id: p,
        author_id: a,
        parent_id: None,
        reply_to_id: None,
        mentions: Vec::new(),
        content: Body::parse("content", "동의합니다", 2_000).unwrap(),
        now: T0,
        follow_up: Vec::new(),
    };
    let k = s.db.insert_comment(&comment).await.unwrap().unwrap();
    assert_eq!(
        s.db.set_comment_vote(k, b, true, T0).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        s.db.set_comment_vote(k, b, true, T0).await.unwrap(),
        Some(1)
    );
    assert_eq!(s.db.comments_voted(&[k], b).await.unwrap(), vec![k]);
    assert_eq!(
        s.db.set_comment_vote(k, b, false, T0).await.unwrap(),
        Some(0)
    );
    let stored = CommentStore::comment(&s.db, k).await.unwrap().unwrap();
    assert_eq!(stored.vote_count, 0);

    assert!(s.db.delete_post(p, T0).await.unwrap());
    assert_eq!(s.db.set_post_vote(p, b, true, T0).await.unwrap(), None);
    assert_eq!(s.db.set_post_vote(9_999, b, true, T0).await.unwrap(), None);
}

#[tokio::test]
async fn an_edit_by_its_author_adds_a_version_and_any_other_edit_changes_nothing() {
    let s = store().await;
    let (a, b) = (user(&s.db, "writer").await, user(&s.db, "stranger").await);
    let c = board(&s.db, "질문게시판").await;
    let p = post(&s.db, c, a, "첫 제목").await;
    let edit = |title: &str| PostEdit {
        title: Title::parse(title).unwrap(),
        content: Body::parse("content", "고친 본문", 10_000).unwrap(),
        category_id: None,
        prefix_id: None,
        search_text: title.to_owned(),
        now: T0.plus_secs(60),
        follow_up: Vec::new(),
        mentions: Vec::new(),
    };

    assert!(
        s.db.update_post(p, b, &edit("남의 수정"))
            .await
            .unwrap()
            .is_none()
    );
    let edited =
        s.db.update_post(p, a, &edit("둘째 제목"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!((edited.version, edited.title.as_str()), (2, "둘째 제목"));
    assert_eq!(edited.updated_at, T0.plus_secs(60));
    let versions = s.db.post_versions(p).await.unwrap();
    let titles: BTreeSet<(i64, String)> =
        versions.into_iter().map(|v| (v.version, v.title)).collect();
    assert_eq!(
        titles,
        BTreeSet::from([(1, "첫 제목".to_owned()), (2, "둘째 제목".to_owned())])
    );
    assert!(s.db.delete_post(p, T0).await.unwrap());
    assert!(!s.db.delete_post(p, T0).await.unwrap(), "deleted once");
    assert!(
        s.db.update_post(p, a, &edit("지운 뒤"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_posts_comment_counter_follows_its_comments() {
    let s = store().await;
    let a = user(&s.db, "counter").await;
    let c = board(&s.db, "세미나").await;
    let p = post(&s.db, c, a, "댓글 세기").await;
    let comment = |text: &str| NewComment {
        post_id: p,
        author_id: a,
        parent_id: None,
        reply_to_id: None,
        mentions: Vec::new(),
        content: Body::parse("content", text, 2_000).unwrap(),
        now: T0,
        follow_up: Vec::new(),
    };
    let first =
        s.db.insert_comment(&comment("하나"))
            .await
            .unwrap()
            .unwrap();
    s.db.insert_comment(&comment("둘")).await.unwrap().unwrap();
    assert_eq!(s.db.post(p, false).await.unwrap().unwrap().comment_count, 2);
    assert_eq!(s.db.delete_comment(first, T0).await.unwrap(), Some(p));
    assert_eq!(s.db.delete_comment(first, T0).await.unwrap(), None);
    assert_eq!(s.db.post(p, false).await.unwrap().unwrap().comment_count, 1);

    assert!(s.db.delete_post(p, T0).await.unwrap());
    assert_eq!(s.db.insert_comment(&comment("셋")).await.unwrap(), None);
}

#[tokio::test]
async fn unique_and_foreign_keys_answer_as_the_conflicts_they_are() {
    let s = store().await;
    user(&s.db, "taken").await;
    let field = |e: Error| match e {
        Error::Conflict { field, .. } => field,
        other => panic!("a conflict, not {other:?}"),
    };
    let e =
        s.db.insert_user(&new_user("TAKEN", "other@madang.kr"))
            .await
            .unwrap_err();
    assert_eq!(field(e), Some("name"));
    let e =
        s.db.insert_user(&new_user("someone", "Taken@Madang.kr"))
            .await
            .unwrap_err();
    assert_eq!(field(e), Some("email"));

    let parent = board(&s.db, "공지").await;
    let name = CategoryName::parse("name", "행사").unwrap();
    s.db.create_category(&name, Some(parent), T0).await.unwrap();
    let e =
        s.db.create_category(&name, Some(parent), T0)
            .await
            .unwrap_err();
    assert_eq!(field(e), Some("name"));
    let e =
        s.db.create_category(&name, Some(9_999), T0)
            .await
            .unwrap_err();
    assert!(
        matches!(&e, Error::Validation(v) if v[0].field == "parent_id"),
        "{e:?}"
    );
    let e = s.db.delete_category(parent).await.unwrap_err();
    assert!(matches!(e, Error::Conflict { field: None, .. }), "{e:?}");

    let a = user(&s.db, "poster").await;
    let e =
        s.db.insert_post(&new_post(9_999, a, "없는 게시판", T0))
            .await
            .unwrap_err();
    assert!(
        matches!(&e, Error::Validation(v) if v[0].field == "category_id"),
        "{e:?}"
    );
}

/// Walks a list by its cursors to the end.
async fn walk(db: &Db, sort: PostSort) -> Vec<i64> {
    let filter = PostFilter {
        sort,
        ..PostFilter::default()
    };
    let mut ids = Vec::new();
    let mut page = PageRequest::first(4);
    loop {
        let got = db.list_posts(&filter, &page).await.unwrap();
        assert_eq!(got.total_items, 11);
        ids.extend(got.items.iter().map(|p| p.id));
        let Some(next) = got.next_cursor else { break };
        page = PageRequest::parse(None, Some(4), Some(&next.encode()), sort.order()).unwrap();
    }
    ids
}

#[tokio::test]
async fn cursor_pages_walk_every_post_once_in_order() {
    let s = store().await;
    let a = user(&s.db, "pager").await;
    let c = board(&s.db, "자유").await;
    let mut ids = Vec::new();
    for i in 0..11 {
        // Two posts share each instant, so the id has to break the ties.
        let at = T0.plus_secs(i / 2);
        ids.push(
            s.db.insert_post(&new_post(c, a, &format!("글 {i}"), at))
                .await
                .unwrap(),
        );
    }
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(walk(&s.db, PostSort::New).await, newest_first);

    // Votes on three posts: they lead the top list, the rest follow newest first.
    let voters = [user(&s.db, "v1").await, user(&s.db, "v2").await];
    for (post, n) in [(ids[2], 2), (ids[7], 1), (ids[9], 2)] {
        for v in &voters[..n] {
            s.db.set_post_vote(post, *v, true, T0).await.unwrap();
        }
    }
    let top = walk(&s.db, PostSort::Top).await;
    assert_eq!(&top[..3], &[ids[9], ids[2], ids[7]]);
    assert_eq!(top.iter().copied().collect::<BTreeSet<_>>().len(), 11);
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    let s = store().await;
    let queue = Arc::new(EmbeddedQueue::new(s.db.clone(), Arc::new(At(T0))));
    let mut enqueued = BTreeSet::new();
    for i in 0..24 {
        let job = NewJob::new("contract.test", serde_json::json!({ "n": i }), T0);
        enqueued.insert(queue.enqueue(&job).await.unwrap());
    }
    queue.relay().await.unwrap();
    let workers = (0..4).map(|w| {
        let queue = queue.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(lease) = queue
                .reserve(&format!("worker-{w}"), Duration::from_secs(300))
                .await
                .unwrap()
            {
                mine.push(lease.job.id);
                queue.complete(&lease).await.unwrap();
            }
            mine
        })
    });
    let mut claimed = Vec::new();
    for w in workers {
        claimed.extend(w.await.unwrap());
    }
    let distinct: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        claimed.len(),
        "a job was claimed twice: {claimed:?}"
    );
    assert_eq!(distinct, enqueued);
}

#[tokio::test]
async fn the_consoles_list_sources_read_every_model() {
    let s = store().await;
    let a = user(&s.db, "staffed").await;
    let c = board(&s.db, "운영").await;
    let p = post(&s.db, c, a, "콘솔에서 보기").await;
    for model in Model::ALL.iter().copied().filter(|m| *m != Model::Job) {
        let q = ListQuery::parse(model, &RawListQuery::default()).unwrap();
        let listing = s.db.list(&q, T0).await.unwrap();
        let total = match listing.total {
            Total::Exact(n) | Total::AtLeast(n) => n,
        };
        assert!(total as usize >= listing.rows.len(), "{model:?}");
        match model {
            Model::User | Model::Post | Model::Category => {
                assert_eq!(listing.rows.len(), 1, "{model:?}: {:?}", listing.rows);
            }
            _ => {}
        }
    }
    let q = ListQuery::parse(Model::Post, &RawListQuery::default()).unwrap();
    let rows = s.db.list(&q, T0).await.unwrap().rows;
    assert_eq!(rows[0].id, p);
}

#[tokio::test]
async fn names_stored_under_the_old_key_rule_are_rekeyed_and_collisions_keep_a_key_of_their_own() {
    let s = store().await;
    sqlx::any::install_default_drivers();
    let raw = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&s._fresh.url)
        .await
        .unwrap();
    // Placeholders as the engine spells them.
    let pg = s._fresh.url.starts_with("postgres");
    let (update, select) = if pg {
        (
            "UPDATE users SET name_key = $1 WHERE id = $2",
            "SELECT name_key FROM users WHERE id = $1",
        )
    } else {
        (
            "UPDATE users SET name_key = ? WHERE id = ?",
            "SELECT name_key FROM users WHERE id = ?",
        )
    };
    let set_key = |id: i64, key: &'static str| {
        let raw = raw.clone();
        async move {
            sqlx::query(update)
                .bind(key)
                .bind(id)
                .execute(&raw)
                .await
                .unwrap();
        }
    };
    // Two names as the NFC-and-lowercase rule keyed them.
    let wide = user(&s.db, "ｂｏｓｓ").await;
    set_key(wide, "ｂｏｓｓ").await;
    let moss = user(&s.db, "ｍｏｓｓ").await;
    set_key(moss, "ｍｏｓｓ").await;
    // A later `boss`, which the old rule let in beside the full-width one.
    let boss = user(&s.db, "boss").await;
    let plain = user(&s.db, "plain").await;

    assert_eq!(s.db.rekey_names().await.unwrap(), 2);
    let key_of = |id: i64| {
        let raw = raw.clone();
        async move {
            let row = sqlx::query(select).bind(id).fetch_one(&raw).await.unwrap();
            sqlx::Row::try_get::<String, _>(&row, 0).unwrap()
        }
    };
    assert_eq!(key_of(moss).await, "moss");
    assert_eq!(key_of(boss).await, "boss");
    assert_eq!(key_of(wide).await, format!("boss#{wide}"));
    assert_eq!(key_of(plain).await, "plain");
    // Found by what anyone would type, and the collision by `boss` is the plain one.
    let found = s.db.user_by_key("moss", "").await.unwrap().unwrap();
    assert_eq!(found.id, moss);
    let found = s.db.user_by_key("boss", "").await.unwrap().unwrap();
    assert_eq!(found.id, boss);
    // Run again, nothing is left to change.
    assert_eq!(s.db.rekey_names().await.unwrap(), 0);
}
