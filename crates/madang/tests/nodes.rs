//! Two `madang serve` processes sharing one database and one Redis: a write through
//! one is never followed by a stale read through the other, a stampede costs one load
//! per node, and a Redis outage costs nothing but the cache.
//!
//! Needs `MADANG_TEST_REDIS_URL` (set by `.ci/run`, which also sets
//! `MADANG_TEST_REQUIRE_SERVICES=1` so a missing Redis fails instead of skipping).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;

use std::time::{Duration, Instant};

use cluster::*;
use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_node_searches_its_own_index_and_both_answer_the_same_at_once() {
    let Some(redis) = redis_url() else { return };
    let cluster = Cluster::new(redis);
    cluster.admin();
    let a = cluster.node().await;
    let b = cluster.node().await;
    let admin = a.token("boss").await;
    use reqwest::Method as M;
    let (_, cat) = a
        .call(
            M::POST,
            "/categories",
            Some(&admin),
            Some(json!({"name": "영화"})),
        )
        .await;
    let cat = cat["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for (title, content) in [
        ("배우 연기 최고", "배우가 좋다"),
        ("연출", "배우 배우 배우"),
        ("후기", "연기는 그럭저럭, 배우는 글쎄"),
        ("음악", "없음"),
    ] {
        let (s, p) = a
            .call(
                M::POST,
                "/posts",
                Some(&admin),
                Some(json!({"category_id": cat, "title": title, "content": content})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let id = p["id"].as_i64().unwrap();
        ids.push(id);
        // Written through A, searched through B in the very next request.
        let found = hits(&b.get("/posts?keyword=배우").await).0;
        assert_eq!(
            found.contains(&id),
            format!("{title} {content}").contains("배우")
        );
    }
    let queries = [
        "/posts?keyword=배우",
        "/posts?keyword=배우%20연기",
        "/posts?keyword=%22배우%20연기%22",
        "/posts?keyword=배우&sort=relevance",
        "/posts?keyword=연&sort=top",
    ];
    for q in queries {
        assert_eq!(hits(&a.get(q).await), hits(&b.get(q).await), "{q}");
    }
    assert_eq!(
        hits(&b.get("/posts?keyword=배우&sort=relevance").await).0,
        [ids[0], ids[1], ids[2]]
    );
    // Deleted through B: gone from both at once, and still once each index applied it.
    let (s, _) = b
        .call(M::DELETE, &format!("/posts/{}", ids[1]), Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        hits(&a.get("/posts?keyword=배우").await),
        (vec![ids[2], ids[0]], 2)
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    for q in queries {
        assert_eq!(hits(&a.get(q).await), hits(&b.get(q).await), "{q}");
    }
    assert_eq!(
        hits(&b.get("/posts?keyword=배우").await),
        (vec![ids[2], ids[0]], 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_through_one_node_are_seen_at_once_through_the_other() {
    let Some(redis) = redis_url() else { return };
    let cluster = Cluster::new(redis);
    cluster.admin();
    let a = cluster.node().await;
    let b = cluster.node().await;
    let admin = a.token("boss").await;
    use reqwest::Method as M;

    let (_, cat) = a
        .call(
            M::POST,
            "/categories",
            Some(&admin),
            Some(json!({"name": "공지"})),
        )
        .await;
    let cat = cat["id"].as_i64().unwrap();
    assert_eq!(b.get("/categories").await[0]["name"], "공지");
    let (s, p) = a
        .call(
            M::POST,
            "/posts",
            Some(&admin),
            Some(json!({"category_id": cat, "title": "v1", "content": "first"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = p["id"].as_i64().unwrap();
    let path = format!("/posts/{id}");
    assert_eq!(b.get(&path).await["title"], "v1");
    assert_eq!(a.get(&path).await["title"], "v1");

    // Edit through A, read through B: always the new version.
    for v in 2..=5 {
        let (s, _) = a
            .call(
                M::PUT,
                &path,
                Some(&admin),
                Some(json!({"title": format!("v{v}"), "content": "edited"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b.get(&path).await["title"], format!("v{v}"));
    }
    // Counters: a vote through B and a comment through A show on the other node.
    let (s, _) = b
        .call(M::PUT, &format!("{path}/vote"), Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a.get(&path).await["vote_count"], 1);
    let (s, _) = a
        .call(
            M::POST,
            &format!("{path}/comments"),
            Some(&admin),
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b.get(&path).await["comment_count"], 1);
    // Renames of the author and the category reach the cached post.
    let (s, _) = a
        .call(
            M::PATCH,
            "/users/me",
            Some(&admin),
            Some(json!({"name": "chief"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b.get(&path).await["author"]["name"], "chief");
    let (s, _) = b
        .call(
            M::PATCH,
            &format!("/categories/{cat}"),
            Some(&admin),
            Some(json!({"name": "알림"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a.get(&path).await["category"]["name"], "알림");
    assert_eq!(a.get("/categories").await[0]["name"], "알림");
    // The public profile's counts follow new posts.
    let user = format!("/users/{}", p["author"]["id"]);
    assert_eq!(b.get(&user).await["post_count"], 1);
    a.call(
        M::POST,
        "/posts",
        Some(&admin),
        Some(json!({"category_id": cat, "title": "t", "content": "c"})),
    )
    .await;
    assert_eq!(b.get(&user).await["post_count"], 2);
    // A deleted post is gone from the other node at once.
    let (s, _) = a.call(M::DELETE, &path, Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = b.call(M::GET, &path, None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The seminar list (the seed's cached endpoint) follows joins made elsewhere.
    let (s, _) = a
        .call(
            M::POST,
            "/users/me/roles",
            Some(&admin),
            Some(json!({"role": "instructor"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, sem) = a
        .call(
            M::POST,
            "/seminars",
            Some(&admin),
            Some(json!({"name": "Rust", "capacity": 3, "count": 1, "time": "10:00"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b.get("/seminars").await["data"][0]["participant_count"], 0);
    let (_, _) = b
        .call(M::POST, "/users", None, Some(json!({"name": "student", "email": "s@example.com", "password1": PASSWORD, "password2": PASSWORD})))
        .await;
    let student = b.token("student").await;
    b.call(
        M::POST,
        "/users/me/roles",
        Some(&student),
        Some(json!({"role": "participant"})),
    )
    .await;
    let (s, _) = b
        .call(
            M::POST,
            &format!("/seminars/{}/participants", sem["id"]),
            Some(&student),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(a.get("/seminars").await["data"][0]["participant_count"], 1);
    let list_hits = ["kind=\"seminar_list\"", "result=\"hit\""];
    let before = a.counter("madang_cache_requests_total", &list_hits).await;
    a.get("/seminars").await;
    assert_eq!(
        a.counter("madang_cache_requests_total", &list_hits).await,
        before + 1.0,
        "the list is served from the cache"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_reads_of_an_uncached_post_load_it_once_per_node() {
    let Some(redis) = redis_url() else { return };
    let cluster = Cluster::new(redis);
    cluster.admin();
    let a = cluster.node().await;
    let b = cluster.node().await;
    let admin = a.token("boss").await;
    let path = a.new_post(&admin, "hot").await;
    a.labelled(&path).await;
    // A fresh generation for the post, so that node B has nothing cached for it.
    let (s, _) = a
        .call(
            reqwest::Method::PUT,
            &format!("{path}/vote"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let loads = ["kind=\"post\""];
    let before = b.counter("madang_cache_loads_total", &loads).await;
    let client = Client::builder()
        .pool_max_idle_per_host(600)
        .build()
        .unwrap();
    let url = format!("{}/api/v1{path}", b.base);
    let results = join_all((0..500).map(|_| client.get(&url).send())).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|r| r.status() == StatusCode::OK))
    );
    let after = b.counter("madang_cache_loads_total", &loads).await;
    assert_eq!(
        after - before,
        1.0,
        "one database read for 500 concurrent requests"
    );
    let hits = b
        .counter(
            "madang_cache_requests_total",
            &["kind=\"post\"", "result=\"hit\""],
        )
        .await;
    assert!(hits > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_survive_a_redis_outage_and_caching_resumes() {
    if redis_url().is_none() {
        return;
    }
    // A private Redis this test can stop: never the shared one.
    let port = spare_port();
    let start = || private_redis(port).expect("redis-server on a spare port");
    let redis = start();
    let cluster = Cluster::new(format!("redis://127.0.0.1:{port}"));
    cluster.admin();
    let a = cluster.node().await;
    let admin = a.token("boss").await;
    use reqwest::Method as M;
    let path = a.new_post(&admin, "t").await;
    a.labelled(&path).await;
    a.get(&path).await;
    let hit = ["kind=\"post\"", "result=\"hit\""];
    let hits = a.counter("madang_cache_requests_total", &hit).await;
    a.get(&path).await;
    assert!(
        a.counter("madang_cache_requests_total", &hit).await > hits,
        "cached while Redis is up"
    );

    drop(redis);
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(a.get(&path).await["title"], "t");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
    let (s, _) = a
        .call(
            M::PUT,
            &path,
            Some(&admin),
            Some(json!({"title": "during", "content": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "writes go on without Redis");
    assert!(
        a.counter("madang_cache_errors_total", &["backend=\"redis\""])
            .await
            > 0.0,
        "failures are counted"
    );
    let ready = a
        .http
        .get(format!("{}/health/ready", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "readiness names the missing Redis"
    );
    assert!(ready.text().await.unwrap().contains("redis"));

    let redis = start();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert_eq!(
            a.get(&path).await["title"],
            "during",
            "never the value from before the edit"
        );
        let before = a.counter("madang_cache_requests_total", &hit).await;
        a.get(&path).await;
        if a.counter("madang_cache_requests_total", &hit).await > before {
            break;
        }
        assert!(Instant::now() < deadline, "caching did not resume");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(redis);
}

/// A sentiment model server whose first request never gets an answer (the worker
/// holding it hangs there); every later one is answered `negative` with score 0.77.
async fn stalling_classifier() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/predict", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(head_end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let len = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() < head_end + 4 + len {
                        continue;
                    }
                    buf.drain(..head_end + 4 + len);
                    if count.fetch_add(1, Ordering::SeqCst) == 0 {
                        // Hold the first request (and its connection) forever.
                        std::future::pending::<()>().await;
                    }
                    let body = r#"{"label":"negative","score":0.77}"#;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if sock.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_mid_job_leaves_it_to_another_which_runs_it_once() {
    let Some(redis) = redis_url() else { return };
    for queue in ["embedded", "redis"] {
        let (classifier, requests) = stalling_classifier().await;
        let cluster = Cluster::new(redis.clone());
        cluster.admin();
        let env = vec![
            ("MADANG_JOB_QUEUE", queue.to_owned()),
            ("MADANG_CLASSIFIER_URL", classifier),
            ("MADANG_CLASSIFIER_TIMEOUT_MS", "120000".to_owned()),
            ("MADANG_JOB_VISIBILITY_SECS", "1".to_owned()),
            ("MADANG_JOB_POLL_MS", "50".to_owned()),
            ("MADANG_CRON", "off".to_owned()),
        ];
        let mut api_env = env.clone();
        api_env.push(("MADANG_WORKERS", "0".to_owned()));
        let api = cluster.node_with(&api_env).await;
        let mut first = cluster.spawn_with(&["worker"], &env);
        let admin = api.token("boss").await;
        let path = api.new_post(&admin, "죽은 일꾼").await;
        // The first worker took the labelling job and hangs inside the model call.
        let deadline = Instant::now() + Duration::from_secs(20);
        while requests.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "{queue}: the job never started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Its heartbeat keeps the job from anyone else while it lives…
        let second = cluster.spawn_with(&["worker"], &env);
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        assert_eq!(
            requests.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{queue}"
        );
        assert!(api.get(&path).await["sentiment"].is_null());
        // …and once it is killed, the second worker runs the job after the lease runs out.
        let _ = first.0.kill();
        let _ = first.0.wait();
        api.labelled(&path).await;
        let post = api.get(&path).await;
        assert_eq!(post["sentiment"]["label"], "negative", "{queue}: {post}");
        assert_eq!(post["sentiment"]["score"], 0.77, "{queue}: {post}");
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(
            requests.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "{queue}: one hung delivery and one that finished, no third"
        );
        let list = cluster.jobs_list(&env);
        let line = list
            .lines()
            .find(|l| l.contains("sentiment.label_post"))
            .unwrap_or_else(|| panic!("{queue}: no job listed in\n{list}"));
        assert!(
            line.contains(" done ") && line.contains("2/5"),
            "{queue}: {line}"
        );
        drop(second);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_committed_while_redis_is_down_runs_when_it_is_back() {
    if redis_url().is_none() {
        return;
    }
    let port = spare_port();
    let start = || private_redis(port).expect("redis-server on a spare port");
    let redis = start();
    let cluster = Cluster::new(format!("redis://127.0.0.1:{port}"));
    cluster.admin();
    let env = vec![
        ("MADANG_JOB_QUEUE", "redis".to_owned()),
        ("MADANG_JOB_POLL_MS", "50".to_owned()),
        ("MADANG_CRON", "off".to_owned()),
    ];
    let a = cluster.node_with(&env).await;
    let admin = a.token("boss").await;
    let before = a.new_post(&admin, "before").await;
    a.labelled(&before).await;

    drop(redis);
    let during = a.new_post(&admin, "during the outage").await;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&format!(
        "sqlite://{}/shared.db",
        cluster.dir.path().display()
    ))
    .await
    .unwrap();
    let outbox = || async {
        // The post's labelling job (a post also enqueues its notification job).
        let row =
            sqlx::query("SELECT COUNT(*) FROM job_outbox WHERE kind = 'sentiment.label_post'")
                .fetch_one(&db)
                .await
                .unwrap();
        sqlx::Row::try_get::<i64, _>(&row, 0).unwrap()
    };
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        outbox().await,
        1,
        "the job waits in the outbox, committed with its post"
    );
    assert!(a.get(&during).await["sentiment"].is_null());

    let redis = start();
    a.labelled(&during).await;
    assert_eq!(outbox().await, 0, "relayed once Redis is back");
    drop(redis);
}
