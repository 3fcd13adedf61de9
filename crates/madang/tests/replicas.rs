//! Read replicas on real replication: a MariaDB primary with a GTID replica, and a
//! PostgreSQL primary with a streaming standby made by `pg_basebackup`, each started
//! by this test on spare loopback ports (the machine's shared servers are untouched),
//! with replication delayed on purpose.
//!
//! Shows, on each engine: a member reads their own new post at once; another member's
//! list is served by the replica (the per-pool metrics say so, and the list does not
//! have the post yet); a replica further behind than the bound leaves the rotation and
//! comes back; killing the replica under load loses no request.
//!
//! Needs the engines' server programs (`mariadbd`, `mariadb-install-db`; `initdb`,
//! `pg_ctl`, `pg_basebackup`). Without them the test says so and passes, unless
//! `MADANG_TEST_REQUIRE_SERVICES=1` (set by `.ci/run`), which makes it fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use madang_testkit::{KillOnDrop, services_required, spare_port, wait_until};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "replica-test-password";
/// How far behind the replica is held.
const DELAY_SECS: u64 = 4;

/// The first of `names` found on PATH or in the usual server folders.
fn program(names: &[&str]) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/bin", "/usr/bin"].map(PathBuf::from));
    if let Ok(rd) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in rd.flatten() {
            dirs.push(e.path().join("bin"));
        }
    }
    names
        .iter()
        .flat_map(|n| dirs.iter().map(move |d| d.join(n)))
        .find(|p| p.is_file())
}

fn programs(names: &[&[&str]]) -> Option<Vec<PathBuf>> {
    let found: Option<Vec<PathBuf>> = names.iter().map(|n| program(n)).collect();
    if found.is_none() {
        let msg = format!("server programs not found: one of each of {names:?}");
        assert!(
            !services_required(),
            "{msg} (required by MADANG_TEST_REQUIRE_SERVICES=1)"
        );
        eprintln!("not run: {msg}");
    }
    found
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the `postgres` user when the test runs as root (PostgreSQL
/// refuses to run as root).
fn pg_command(prog: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(prog);
        c
    } else {
        Command::new(prog)
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits up to `secs` seconds for `ready`.
async fn wait_for<F, Fut>(secs: u64, what: &str, ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    wait_until(Duration::from_secs(secs), what, ready).await;
}

/// A primary and a delayed replica, and how to reach and stop them.
struct Pair {
    primary_url: String,
    replica_url: String,
    /// Stops the replica at once (SIGKILL for MariaDB, immediate shutdown for PostgreSQL).
    kill_replica: Box<dyn FnMut() + Send>,
    /// Run when the pair is dropped, before its folder is removed.
    stop: Vec<Box<dyn FnMut() + Send>>,
    _servers: Vec<KillOnDrop>,
    _dir: tempfile::TempDir,
}

impl Drop for Pair {
    fn drop(&mut self) {
        for s in &mut self.stop {
            s();
        }
    }
}

fn mariadb_pair() -> Option<Pair> {
    let progs = programs(&[
        &["mariadbd", "mysqld"],
        &["mariadb-install-db", "mysql_install_db"],
    ])?;
    let (server, install) = (&progs[0], &progs[1]);
    let client = program(&["mariadb", "mysql"]).expect("the mariadb client");
    let dir = tempfile::tempdir().unwrap();
    let start = |name: &str, id: u32| -> (KillOnDrop, u16, PathBuf) {
        let data = dir.path().join(name);
        let mut c = Command::new(install);
        c.args([
            "--no-defaults",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ])
        .arg(format!("--datadir={}", data.display()));
        if is_root() {
            c.arg("--user=root");
        }
        run(c, "mariadb-install-db");
        let port = spare_port();
        let socket = data.join("sock");
        let mut c = Command::new(server);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=32M",
                "--innodb-log-file-size=16M",
                "--log-bin=binlog",
                "--binlog-format=ROW",
                "--log-slave-updates",
            ])
            .arg(format!("--server-id={id}"))
            .arg(format!("--pid-file={}", data.join("pid").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if is_root() {
            c.arg("--user=root");
        }
        (KillOnDrop::spawn(&mut c), port, socket)
    };
    let sql = |socket: &Path, q: &str| {
        let mut c = Command::new(&client);
        c.arg(format!("--socket={}", socket.display()))
            .args(["-uroot", "-e", q]);
        run(c, q);
    };
    let ready = |socket: &Path| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !Command::new(&client)
            .arg(format!("--socket={}", socket.display()))
            .args(["-uroot", "-e", "SELECT 1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(Instant::now() < deadline, "MariaDB did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let (primary, pport, psock) = start("primary", 1);
    ready(&psock);
    sql(
        &psock,
        "CREATE USER 'madang'@'%'; GRANT ALL ON *.* TO 'madang'@'%'; \
         CREATE USER 'repl'@'%'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'; \
         CREATE DATABASE madang CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    );
    let primary_url = format!("mysql://madang@127.0.0.1:{pport}/madang");
    migrate(&primary_url);
    let (replica, rport, rsock) = start("replica", 2);
    ready(&rsock);
    sql(
        &rsock,
        &format!(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={pport}, MASTER_USER='repl', \
             MASTER_USE_GTID=slave_pos, MASTER_DELAY={DELAY_SECS}; START SLAVE"
        ),
    );
    let pid = replica.0.id();
    Some(Pair {
        primary_url,
        replica_url: format!("mysql://madang@127.0.0.1:{rport}/madang"),
        kill_replica: Box::new(move || {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }),
        stop: vec![],
        _servers: vec![primary, replica],
        _dir: dir,
    })
}

fn postgres_pair() -> Option<Pair> {
    let progs = programs(&[&["initdb"], &["pg_ctl"], &["pg_basebackup"], &["postgres"]])?;
    let (initdb, pg_ctl, basebackup) = (&progs[0], &progs[1], &progs[2]);
    let dir = tempfile::tempdir().unwrap();
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres").arg(dir.path());
                c
            },
            "chown",
        );
    }
    let start = |data: &Path, port: u16, extra: &str| {
        let mut c = pg_command(pg_ctl);
        c.arg("-D")
            .arg(data)
            .arg("-l")
            .arg(data.with_extension("log"))
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c shared_buffers=32MB \
                 -c fsync=off -c wal_keep_size=64MB {extra}",
                dir.path().display()
            ))
            .args(["-w", "-t", "60", "start"]);
        run(c, "pg_ctl start");
    };
    let primary = dir.path().join("primary");
    let mut c = pg_command(initdb);
    c.arg("-D")
        .arg(&primary)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    run(c, "initdb");
    let pport = spare_port();
    start(&primary, pport, "");
    let primary_url = format!("postgres://postgres@127.0.0.1:{pport}/postgres");
    migrate(&primary_url);
    let replica = dir.path().join("replica");
    let mut c = pg_command(basebackup);
    c.args([
        "-h",
        "127.0.0.1",
        "-p",
        &pport.to_string(),
        "-U",
        "postgres",
        "-R",
        "-X",
        "stream",
        "-D",
    ])
    .arg(&replica);
    run(c, "pg_basebackup");
    let rport = spare_port();
    start(
        &replica,
        rport,
        &format!("-c recovery_min_apply_delay={DELAY_SECS}s -c hot_standby=on"),
    );
    let stop = |data: PathBuf, mode: &'static str| {
        let pg_ctl = pg_ctl.clone();
        move || {
            let mut c = pg_command(&pg_ctl);
            c.arg("-D").arg(&data).args(["-m", mode, "-w", "stop"]);
            let _ = c.stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
    };
    Some(Pair {
        primary_url,
        replica_url: format!("postgres://postgres@127.0.0.1:{rport}/postgres"),
        kill_replica: Box::new(stop(replica.clone(), "immediate")),
        stop: vec![
            Box::new(stop(replica, "immediate")),
            Box::new(stop(primary, "immediate")),
        ],
        _servers: vec![],
        _dir: dir,
    })
}

/// Applies Madang's migrations with the `madang migrate` command.
fn migrate(url: &str) {
    // In a directory of its own: the command keeps its data directory there.
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_madang"));
    c.arg("migrate")
        .current_dir(dir.path())
        .env("MADANG_DATABASE_URL", url);
    run(c, "madang migrate");
}

struct Node {
    base: String,
    _child: KillOnDrop,
    http: Client,
}

impl Node {
    async fn start(pair: &Pair, max_lag_ms: u64, dir: &Path, redis: Option<&str>) -> Self {
        let port = spare_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_madang"));
        if let Some(url) = redis {
            // The read-your-writes marks and the cache in Redis, under a fresh prefix.
            command
                .env("MADANG_REDIS_URL", url)
                .env("MADANG_REDIS_PREFIX", format!("madang-replica-{port}"));
        }
        let child = command
            .arg("serve")
            .current_dir(dir)
            .env("MADANG_LISTEN", format!("127.0.0.1:{port}"))
            .env("MADANG_RATE_LIMITS", "off")
            .env("MADANG_SEARCH_DIR", format!("search-{port}"))
            .env("MADANG_DATABASE_URL", &pair.primary_url)
            .env("MADANG_DATABASE_REPLICA_URLS", &pair.replica_url)
            .env("MADANG_REPLICA_MAX_LAG_MS", max_lag_ms.to_string())
            .env("MADANG_REPLICA_CHECK_MS", "200")
            .env("MADANG_PASSWORD_HASH_MEMORY_KIB", "1024")
            .env("MADANG_PASSWORD_HASH_ITERATIONS", "1")
            .env("MADANG_CRON", "off")
            .env("MADANG_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let node = Self {
            base: format!("http://127.0.0.1:{port}"),
            _child: KillOnDrop::spawn(child),
            http: Client::new(),
        };
        wait_for(30, "the node to be ready", || async {
            node.http
                .get(format!("{}/health/ready", node.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        })
        .await;
        node
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn member(&self, name: &str) -> (i64, String) {
        let (s, u) = self
            .call(
                Method::POST,
                "/users",
                None,
                Some(json!({"name": name, "email": format!("{name}@example.com"),
                    "password1": PASSWORD, "password2": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        let (s, t) = self
            .call(
                Method::POST,
                "/auth/token",
                None,
                Some(json!({"username": name, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{t}");
        (
            u["id"].as_i64().unwrap(),
            t["access_token"].as_str().unwrap().to_owned(),
        )
    }

    /// The value of a metric series (0 when absent).
    async fn metric(&self, series: &str) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0)
    }

    async fn titles(&self, token: Option<&str>) -> Vec<String> {
        let (s, page) = self.call(Method::GET, "/posts?size=50", token, None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect()
    }
}

const REPLICA_READS: &str = "madang_db_pool_acquires_total{pool=\"replica-0\"}";
const IN_ROTATION: &str = "madang_db_replica_in_rotation{pool=\"replica-0\"}";

/// Runs every check on `pair`; with `redis`, the node under test keeps its
/// read-your-writes marks and cache there instead of in process.
async fn exercise(mut pair: Pair, redis: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    // A staff member to make a category, created through the CLI on the primary.
    let mut admin = Command::new(env!("CARGO_BIN_EXE_madang"));
    admin
        .args([
            "admin",
            "create",
            "--name",
            "boss",
            "--email",
            "boss@example.com",
        ])
        .current_dir(dir.path())
        .env("MADANG_DATABASE_URL", &pair.primary_url)
        .env("MADANG_ADMIN_PASSWORD", PASSWORD)
        .env("MADANG_PASSWORD_HASH_MEMORY_KIB", "1024")
        .env("MADANG_PASSWORD_HASH_ITERATIONS", "1");
    run(admin, "madang admin create");

    // Lag bound above the delay: the replica stays in rotation. (The read-your-writes
    // window, and the repeat of cache invalidations, is this bound plus the check.)
    let node = Node::start(&pair, 10_000, dir.path(), redis.as_deref()).await;
    let (s, t) = node
        .call(
            Method::POST,
            "/auth/token",
            None,
            Some(json!({"username": "boss", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let boss = t["access_token"].as_str().unwrap().to_owned();
    let (s, cat) = node
        .call(
            Method::POST,
            "/categories",
            Some(&boss),
            Some(json!({"name": "free"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cat}");
    let category = cat["id"].as_i64().unwrap();
    let (_, writer) = node.member("writer").await;
    let (_, reader) = node.member("reader").await;
    // Past the delay: the replica has the category and both members.
    tokio::time::sleep(Duration::from_secs(DELAY_SECS + 1)).await;

    let before = node.metric(REPLICA_READS).await;
    let (s, post) = node
        .call(
            Method::POST,
            "/posts",
            Some(&writer),
            Some(
                json!({"category_id": category, "title": "fresh news", "content": "just written"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{post}");
    let id = post["id"].as_i64().unwrap();

    // The writer sees their post at once, in the detail and in the list.
    let (s, got) = node
        .call(Method::GET, &format!("/posts/{id}"), Some(&writer), None)
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the writer must read their own post: {got}"
    );
    assert!(
        node.titles(Some(&writer))
            .await
            .contains(&"fresh news".to_owned())
    );

    // Another member's list comes from the delayed replica: not there yet.
    assert!(
        !node
            .titles(Some(&reader))
            .await
            .contains(&"fresh news".to_owned()),
        "the reader's list should come from the replica, {DELAY_SECS} s behind"
    );
    let after = node.metric(REPLICA_READS).await;
    assert!(after > before, "replica reads {before} -> {after}");
    // … until the replica applies it and the repeated invalidation drops any list the
    // cache took from the replica meanwhile.
    wait_for(30, "the replica to apply the post", || async {
        node.titles(Some(&reader))
            .await
            .contains(&"fresh news".to_owned())
    })
    .await;

    // A node whose lag bound is below the delay takes the replica out of rotation
    // while it is behind, reads from the primary meanwhile, and puts it back.
    let strict = Node::start(&pair, 1_000, dir.path(), None).await;
    wait_for(30, "the caught-up replica in rotation", || async {
        strict.metric(IN_ROTATION).await == 1.0
    })
    .await;
    let (s, _) = node
        .call(
            Method::POST,
            "/posts",
            Some(&writer),
            Some(json!({"category_id": category, "title": "second", "content": "again"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    wait_for(
        DELAY_SECS,
        "the lagging replica out of rotation",
        || async { strict.metric(IN_ROTATION).await == 0.0 },
    )
    .await;
    assert!(
        strict.titles(None).await.contains(&"second".to_owned()),
        "with the replica out of rotation, reads come from the primary"
    );
    wait_for(DELAY_SECS * 5, "the replica back in rotation", || async {
        strict.metric(IN_ROTATION).await == 1.0
    })
    .await;

    // Kill the replica under load: every request is still answered 200.
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..8 {
        let (http, base, stop) = (node.http.clone(), node.base.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let res = http
                    .get(format!("{base}/api/v1/posts?size=20"))
                    .send()
                    .await;
                statuses.push(res.map(|r| r.status().as_u16()).unwrap_or(0));
            }
            statuses
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let served_by_replica = node.metric(REPLICA_READS).await;
    (pair.kill_replica)();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    for task in load {
        let statuses = task.await.unwrap();
        total += statuses.len();
        assert!(
            statuses.iter().all(|s| *s == 200),
            "a request failed while the replica died: {:?}",
            statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>()
        );
    }
    assert!(total > 50, "only {total} requests were made");
    assert!(
        served_by_replica > after,
        "the load was on the replica before it died"
    );
    assert_eq!(node.metric(IN_ROTATION).await, 0.0);
    let ready = node
        .http
        .get(format!("{}/health/ready", node.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "reads fall back to the primary"
    );
}

// MariaDB's run keeps the marks in Redis when there is one (`.ci/run` has it);
// PostgreSQL's keeps them in process: between them, both kinds of mark are tested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_replica_with_read_your_writes() {
    let Some(pair) = tokio::task::spawn_blocking(mariadb_pair).await.unwrap() else {
        return;
    };
    exercise(pair, std::env::var("MADANG_TEST_REDIS_URL").ok()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_standby_with_read_your_writes() {
    let Some(pair) = tokio::task::spawn_blocking(postgres_pair).await.unwrap() else {
        return;
    };
    exercise(pair, None).await;
}
