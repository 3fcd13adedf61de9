//! What a server on the open internet meets, against a real `madang serve`: sockets
//! that send nothing, headers and bodies trickled a byte at a time, and many
//! connections from one address. None of them may keep a fresh request from being
//! served, and the server closes each of them after its deadline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;

use std::time::{Duration, Instant};

use cluster::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IDLE: usize = 0;
const SLOW_HEADERS: usize = 1;
const SLOW_BODY: usize = 2;

/// Reads what the server sends until it closes the connection (or resets it).
async fn until_closed(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept a slow socket open past its deadline"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hundred_slow_or_idle_sockets_leave_room_for_a_fresh_request() {
    let cluster = Cluster::local();
    let node = cluster
        .node_with(&[
            // As the probe found it: 100 slots, which slow bodies used to fill.
            ("MADANG_MAX_CONCURRENT_REQUESTS", "100".to_owned()),
            ("MADANG_HEADER_TIMEOUT_SECS", "3".to_owned()),
            ("MADANG_BODY_TIMEOUT_SECS", "3".to_owned()),
            // The sockets all come from loopback; the cap has a test of its own.
            ("MADANG_MAX_CONNECTIONS_PER_CLIENT", "0".to_owned()),
        ])
        .await;
    let addr = node.base.trim_start_matches("http://").to_owned();
    let mut sockets = Vec::new();
    for i in 0..300 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        match i % 3 {
            SLOW_HEADERS => s
                .write_all(b"GET /api/v1/posts HTTP/1.1\r\nHost: madang\r\nX-A: ")
                .await
                .unwrap(),
            SLOW_BODY => s
                .write_all(
                    b"POST /api/v1/users HTTP/1.1\r\nHost: madang\r\n\
                      Content-Type: application/json\r\nContent-Length: 600\r\n\r\n{\"name\":\"",
                )
                .await
                .unwrap(),
            _ => {}
        }
        sockets.push((i % 3, s));
    }
    // The slow ones keep trickling, a byte each every 300 ms.
    let (trickled, mut kept) = sockets
        .into_iter()
        .partition::<Vec<_>, _>(|(k, _)| *k != IDLE);
    let trickler = tokio::spawn(async move {
        let mut open = trickled;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            for (_, s) in open.iter_mut() {
                let _ = s.write_all(b"a").await;
            }
        }
        open
    });

    // Meanwhile a fresh client is served, every time, at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let http = reqwest::Client::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let res = http
            .get(format!("{}/api/v1/posts", node.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("a fresh request while 300 sockets were held: slowest of 20 took {slowest:?}");

    // After their deadlines the server has closed every one of them: the idle and
    // trickled-header sockets without a word, the trickled bodies with a 408 in the
    // error shape.
    kept.extend(trickler.await.unwrap());
    let mut answered = 0;
    for (kind, mut s) in kept {
        let said = until_closed(&mut s).await;
        match kind {
            SLOW_BODY => {
                assert!(said.starts_with("HTTP/1.1 408"), "{said}");
                assert!(said.contains("\"code\":\"bad_request\""), "{said}");
                assert!(said.contains("too slowly"), "{said}");
                answered += 1;
            }
            _ => assert!(!said.contains("200 OK"), "{said}"),
        }
    }
    assert_eq!(answered, 100);
    // And nothing was written by the bodies that never arrived.
    let (_, users) = node
        .call(reqwest::Method::GET, "/users/1", None, None)
        .await;
    assert_eq!(users["error"]["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_share_of_connections() {
    let cluster = Cluster::local();
    let node = cluster
        .node_with(&[("MADANG_MAX_CONNECTIONS_PER_CLIENT", "5".to_owned())])
        .await;
    let addr = node.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Give the server the time to accept them before the sixth arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sixth = TcpStream::connect(&addr).await.unwrap();
    let _ = sixth
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: madang\r\n\r\n")
        .await;
    assert_eq!(
        until_closed(&mut sixth).await,
        "",
        "the sixth is closed unanswered"
    );
    // Another address is not affected (all of 127/8 is loopback).
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let res = other
        .get(format!("{}/health/live", node.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Once this address lets its connections go, it is served again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = reqwest::get(format!("{}/health/live", node.base))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
