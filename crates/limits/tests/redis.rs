//! The Redis limiter against a real Redis: `MADANG_TEST_REDIS_URL` (the shared
//! server) for limits shared by two nodes, and a private `redis-server` this test
//! stops to show the fallback. `.ci/run` sets `MADANG_TEST_REQUIRE_SERVICES=1`, which
//! turns a missing server into a failure instead of a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use madang_domain::limits::{Action, Decision, Quotas, RateLimiter, Scope};
use madang_limits::RedisLimiter;
use madang_testkit::{private_redis, services_required, spare_port};

fn redis_url() -> Option<String> {
    match std::env::var("MADANG_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if services_required() => {
            panic!("MADANG_TEST_REDIS_URL is required by MADANG_TEST_REQUIRE_SERVICES=1")
        }
        Err(_) => {
            eprintln!("not run: set MADANG_TEST_REDIS_URL (.ci/run does)");
            None
        }
    }
}

fn quotas() -> Quotas {
    let mut q = Quotas::default();
    q.set("post", "50/1h").unwrap();
    q.set("vote", "2/1s").unwrap();
    q
}

fn node(url: &str, prefix: &str) -> Arc<RedisLimiter> {
    RedisLimiter::new(url, Duration::from_millis(300), prefix, &quotas()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_share_one_allowance_even_when_racing() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("madang-limits-test-{}", ulid::Ulid::new());
    let (a, b) = (node(&url, &prefix), node(&url, &prefix));
    // 400 racing takes over two nodes: exactly the burst of 50 gets through.
    let takes = (0..400).map(|i| {
        let n = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move { n.take(Action::Post, Scope::Member, "racer").await })
    });
    let decisions: Vec<Decision> = join_all(takes)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let allowed = decisions
        .iter()
        .filter(|d| **d == Decision::Allowed)
        .count();
    assert_eq!(allowed, 50);
    let Some(Decision::Refused { retry_after }) =
        decisions.iter().find(|d| **d != Decision::Allowed)
    else {
        panic!("some were refused");
    };
    // One post is earned back every 72 s.
    assert!(
        *retry_after > Duration::from_secs(60) && *retry_after <= Duration::from_secs(72),
        "{retry_after:?}"
    );
    // Another prefix (another deployment) shares nothing.
    let other = node(&url, &format!("{prefix}-other"));
    assert_eq!(
        other.take(Action::Post, Scope::Member, "racer").await,
        Decision::Allowed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowance_comes_back_with_time_and_when_given_back() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("madang-limits-test-{}", ulid::Ulid::new());
    let (a, b) = (node(&url, &prefix), node(&url, &prefix));
    assert_eq!(
        a.take(Action::Vote, Scope::Member, "c").await,
        Decision::Allowed
    );
    assert_eq!(
        b.take(Action::Vote, Scope::Member, "c").await,
        Decision::Allowed
    );
    assert!(matches!(
        a.take(Action::Vote, Scope::Member, "c").await,
        Decision::Refused { .. }
    ));
    // Given back on one node, usable on the other.
    a.give_back(Action::Vote, Scope::Member, "c").await;
    assert_eq!(
        b.take(Action::Vote, Scope::Member, "c").await,
        Decision::Allowed
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        a.take(Action::Vote, Scope::Member, "c").await,
        Decision::Allowed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_goes_away_leaves_per_node_limits_and_no_failure() {
    let port = spare_port();
    let Some(server) = private_redis(port) else {
        if services_required() {
            panic!("redis-server is required by MADANG_TEST_REQUIRE_SERVICES=1");
        }
        eprintln!("not run: redis-server is not available");
        return;
    };
    let url = format!("redis://127.0.0.1:{port}");
    let limiter = node(&url, "madang-limits-outage");
    assert_eq!(
        limiter.take(Action::Post, Scope::Member, "m").await,
        Decision::Allowed
    );
    drop(server);
    // Redis is gone: every check still answers, from this node's own allowance,
    // which starts full and is then spent like any other.
    let mut allowed = 0;
    for _ in 0..60 {
        if limiter.take(Action::Post, Scope::Member, "m").await == Decision::Allowed {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 50);
}
