//! Tests that run real processes (`madang` nodes, a Redis of their own, database
//! servers): a free port, a child that dies with the test, and waiting for readiness.

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port nothing listens on right now.
pub fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Whether the run requires the optional services (`MADANG_TEST_REQUIRE_SERVICES=1`,
/// as `.ci/run` sets): a test that needs one then fails instead of being skipped.
pub fn services_required() -> bool {
    std::env::var("MADANG_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A child process that is killed when the test ends, however it ends.
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    pub fn spawn(command: &mut Command) -> Self {
        Self(
            command
                .spawn()
                .unwrap_or_else(|e| panic!("{command:?}: {e}")),
        )
    }

    /// Kills the process now and waits for it.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Redis of the test's own on `port`, without persistence, which the test can stop
/// (by dropping it) and start again; `None` when `redis-server` cannot be run or does
/// not listen within ten seconds.
pub fn private_redis(port: u16) -> Option<KillOnDrop> {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let redis = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(redis)
}

/// Polls `ready` every 50 ms until it answers true; panics naming `what` after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !ready().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the server at `base` answers `GET /health/live` at all.
pub async fn wait_live(http: &reqwest::Client, base: &str) {
    let url = format!("{base}/health/live");
    wait_until(
        Duration::from_secs(30),
        &format!("{base} to start"),
        || async { http.get(&url).send().await.is_ok() },
    )
    .await;
}
