//! The Redis store against a real Redis: `MADANG_TEST_REDIS_URL` (the shared server)
//! and a private `redis-server` this test starts and stops on a spare port.
//! `.ci/run` sets `MADANG_TEST_REQUIRE_SERVICES=1`, which turns a missing server into
//! a failure instead of a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use madang_cache::{CacheService, RedisSettings, RedisStore};
use madang_domain::cache::{Entry, scope};
use madang_domain::ports::Cache;
use madang_testkit::{private_redis, services_required, spare_port};

fn required(what: &str) -> bool {
    if services_required() {
        panic!("{what} is required by MADANG_TEST_REQUIRE_SERVICES=1 but is not available");
    }
    eprintln!("not run: {what} is not available (set MADANG_TEST_REDIS_URL; .ci/run does)");
    false
}

fn node(url: &str, prefix: &str) -> CacheService {
    CacheService::redis(
        RedisStore::new(RedisSettings {
            url: url.to_owned(),
            op_timeout: Duration::from_millis(200),
            prefix: prefix.to_owned(),
        })
        .unwrap(),
    )
}

async fn read(c: &CacheService, id: i64, value: &str, loads: &AtomicUsize) -> Vec<u8> {
    let v = value.as_bytes().to_vec();
    c.get_or_load(
        &Entry::post(id),
        Box::pin(async move {
            loads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(v)
        }),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_share_values_and_invalidations() {
    let Ok(url) = std::env::var("MADANG_TEST_REDIS_URL") else {
        required("Redis");
        return;
    };
    let prefix = format!("madang-test-{}", ulid::Ulid::new());
    let (a, b) = (node(&url, &prefix), node(&url, &prefix));
    let loads = AtomicUsize::new(0);
    assert_eq!(read(&a, 1, "v1", &loads).await, b"v1");
    assert_eq!(
        read(&b, 1, "other", &loads).await,
        b"v1",
        "node B reads what node A stored"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    a.invalidate(&[scope::post(1)]).await;
    assert_eq!(
        read(&b, 1, "v2", &loads).await,
        b"v2",
        "node B never serves the value from before A's write"
    );
    assert_eq!(read(&a, 1, "v3", &loads).await, b"v2");
    b.invalidate(&[scope::NAMES.to_owned()]).await;
    assert_eq!(read(&a, 1, "v4", &loads).await, b"v4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_on_one_node_load_once() {
    let Ok(url) = std::env::var("MADANG_TEST_REDIS_URL") else {
        required("Redis");
        return;
    };
    let c = Arc::new(node(&url, &format!("madang-test-{}", ulid::Ulid::new())));
    let loads = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..500)
        .map(|_| {
            let (c, loads) = (c.clone(), loads.clone());
            tokio::spawn(async move { read(&c, 7, "once", &loads).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), b"once");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_going_away_costs_only_a_short_timeout_and_caching_resumes() {
    let port = spare_port();
    let Some(redis) = private_redis(port) else {
        required("redis-server");
        return;
    };
    let url = format!("redis://127.0.0.1:{port}");
    let c = node(&url, "outage");
    let loads = AtomicUsize::new(0);
    assert_eq!(read(&c, 1, "cached", &loads).await, b"cached");
    assert_eq!(read(&c, 1, "unused", &loads).await, b"cached");
    assert_eq!(loads.load(Ordering::SeqCst), 1);

    drop(redis);
    // Reads still answer, from the loader, each within the operation timeout.
    for i in 0..5 {
        let started = Instant::now();
        assert_eq!(
            read(&c, 1, "from the database", &loads).await,
            b"from the database"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "read {i} took {:?}",
            started.elapsed()
        );
    }
    // A write during the outage cannot reach Redis; it is kept and delivered later.
    c.invalidate(&[scope::post(1)]).await;

    let redis = private_redis(port).expect("restart redis-server on the same port");
    let deadline = Instant::now() + Duration::from_secs(15);
    let before = loads.load(Ordering::SeqCst);
    loop {
        read(&c, 2, "after", &loads).await;
        let after = loads.load(Ordering::SeqCst);
        read(&c, 2, "after", &loads).await;
        if loads.load(Ordering::SeqCst) == after && after > before {
            break; // the second read was a hit: caching has resumed
        }
        assert!(
            Instant::now() < deadline,
            "caching did not resume after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(redis);
}
