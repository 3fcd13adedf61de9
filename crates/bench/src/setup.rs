//! Getting a run ready: the binaries, the bench database (created and seeded when it
//! lacks the scale), a port, and a server that answers.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::{Args, Scale};

pub fn which(cmd: &str) -> anyhow::Result<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(cmd))
        .find(|p| p.is_file())
        .with_context(|| format!("{cmd} not found on PATH"))
}

/// target/release/madang beside this binary, built when missing.
pub fn madang_binary(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let dir = std::env::current_exe()?
        .parent()
        .context("no directory")?
        .to_owned();
    let bin = dir.join("madang");
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "madang"])
            .status()
            .context("cannot run cargo build")?;
    anyhow::ensure!(status.success(), "cargo build --release -p madang failed");
    anyhow::ensure!(
        bin.is_file(),
        "{} is missing after the build",
        bin.display()
    );
    Ok(bin)
}

pub async fn database_url(args: &Args) -> anyhow::Result<String> {
    if let Some(u) = &args.database_url {
        return Ok(u.clone());
    }
    let name = format!("madang_bench_{}", args.scale);
    match args.engine.as_str() {
        "sqlite" => {
            let dir = Path::new("target/bench-data");
            std::fs::create_dir_all(dir)?;
            let file = std::fs::canonicalize(dir)?.join(format!("sqlite-{}.db", args.scale));
            if args.fresh {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", file.display()));
                }
            }
            Ok(format!("sqlite://{}", file.display()))
        }
        "mariadb" | "postgres" => {
            let mysql = args.engine == "mariadb";
            let server = if args.server_url.is_empty() {
                if mysql {
                    "mysql://root@127.0.0.1:3306"
                } else {
                    "postgres://postgres@127.0.0.1:5432"
                }
            } else {
                args.server_url.trim_end_matches('/')
            };
            let admin_url = format!("{server}/{}", if mysql { "mysql" } else { "postgres" });
            let admin = sqlx::AnyPool::connect(&admin_url)
                .await
                .with_context(|| format!("cannot reach {admin_url}"))?;
            if args.fresh {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name}"
                )))
                .execute(&admin)
                .await?;
            }
            let exists = if mysql {
                sqlx::query(
                    "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?",
                )
            } else {
                sqlx::query("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
            }
            .bind(name.clone())
            .fetch_one(&admin)
            .await?;
            if sqlx::Row::try_get::<i64, _>(&exists, 0)? == 0 {
                let create = if mysql {
                    format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                } else {
                    format!("CREATE DATABASE {name}")
                };
                sqlx::query(sqlx::AssertSqlSafe(create))
                    .execute(&admin)
                    .await?;
            }
            admin.close().await;
            Ok(format!("{server}/{name}"))
        }
        other => bail!("unknown engine {other}: sqlite, mariadb or postgres"),
    }
}

/// Posts in the database; 0 when it has no schema yet.
/// Builds the search index of the bench database into `dir` with `madang search
/// reindex` unless a current one is there, and answers what it is: the build's time,
/// its documents and size, and the size of the text it indexes.
pub async fn search_index(madang: &Path, url: &str, dir: &str) -> anyhow::Result<Value> {
    let command = |args: &[&str]| {
        let mut c = std::process::Command::new(madang);
        c.args(args)
            .env("MADANG_DATABASE_URL", url)
            .env("MADANG_SEARCH_DIR", dir)
            .env("MADANG_LOG", "warn");
        c
    };
    let status = || -> anyhow::Result<Value> {
        let out = command(&["search", "status", "--json"]).output()?;
        anyhow::ensure!(out.status.success(), "madang search status failed");
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let before = status()?;
    let mut build_secs = Value::Null;
    if before["built"] != true || before["current"] != true {
        println!("building the search index (madang search reindex)");
        let started = Instant::now();
        let ok = command(&["search", "reindex"])
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .status()?
            .success();
        anyhow::ensure!(ok, "madang search reindex failed");
        build_secs = json!(started.elapsed().as_secs_f64());
    }
    let after = status()?;
    let text = text_bytes(url).await?;
    let bytes = after["bytes"].as_f64().unwrap_or(0.0);
    Ok(json!({
        "build_secs": build_secs,
        "documents": after["documents"],
        "bytes": after["bytes"],
        "text_bytes": text,
        "size_vs_text": bytes / (text.max(1) as f64),
    }))
}

/// Bytes of the title and content of the active posts (what the index holds).
async fn text_bytes(url: &str) -> anyhow::Result<i64> {
    let len = if url.starts_with("sqlite") {
        "LENGTH(CAST(title AS BLOB)) + LENGTH(CAST(content AS BLOB))"
    } else if url.starts_with("postgres") {
        "OCTET_LENGTH(title) + OCTET_LENGTH(content)"
    } else {
        "LENGTH(title) + LENGTH(content)"
    };
    let sum = if url.starts_with("mysql") {
        format!("CAST(COALESCE(SUM({len}), 0) AS SIGNED)")
    } else {
        format!("CAST(COALESCE(SUM({len}), 0) AS BIGINT)")
    };
    let db = sqlx::AnyPool::connect(url).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {sum} FROM posts WHERE deleted_at IS NULL"
    )))
    .fetch_one(&db)
    .await?;
    db.close().await;
    Ok(sqlx::Row::try_get::<i64, _>(&row, 0)?)
}

pub async fn post_count(url: &str) -> i64 {
    let Ok(db) = sqlx::AnyPool::connect(url).await else {
        return 0;
    };
    let n = match sqlx::query("SELECT COUNT(*) FROM posts")
        .fetch_one(&db)
        .await
    {
        Ok(row) => sqlx::Row::try_get::<i64, _>(&row, 0).unwrap_or(0),
        Err(_) => 0,
    };
    db.close().await;
    n
}

pub fn seed(madang: &Path, url: &str, sc: &Scale, corpus: &Path) -> anyhow::Result<Value> {
    println!(
        "seeding {} users, {} posts, {} comments, {} votes",
        sc.users, sc.posts, sc.comments, sc.votes
    );
    let started = Instant::now();
    let out = std::process::Command::new(madang)
        .arg("seed")
        .args(["--users", &sc.users.to_string()])
        .args(["--posts", &sc.posts.to_string()])
        .args(["--comments", &sc.comments.to_string()])
        .args(["--votes", &sc.votes.to_string()])
        .arg("--corpus")
        .arg(corpus)
        .env("MADANG_DATABASE_URL", url)
        .env("MADANG_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run madang seed")?;
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    println!("{said}");
    anyhow::ensure!(out.status.success(), "madang seed failed");
    Ok(json!({"seconds": started.elapsed().as_secs_f64(), "said": said}))
}

/// `madang serve` on the bench database at `port` (cron off, job workers on), with
/// `env` on top; the child and its base URL.
pub fn serve(
    madang: &Path,
    url: &str,
    search_dir: &str,
    env: &[(&str, String)],
) -> anyhow::Result<(std::process::Child, String)> {
    let port = free_port()?;
    let child = std::process::Command::new(madang)
        .arg("serve")
        .env("MADANG_DATABASE_URL", url)
        .env("MADANG_SEARCH_DIR", search_dir)
        .env("MADANG_LISTEN", format!("127.0.0.1:{port}"))
        .env("MADANG_LOG", "warn")
        // Scheduled jobs off: a refresh walking a million posts would land in one
        // scenario and not another. Job workers stay on (labelling new posts).
        .env("MADANG_CRON", "off")
        // The load comes from one address and a few members: limits (and the cap on
        // one client's connections) would measure themselves, not the board.
        .env("MADANG_RATE_LIMITS", "off")
        .env("MADANG_MAX_CONNECTIONS_PER_CLIENT", "0")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start madang serve")?;
    Ok((child, format!("http://127.0.0.1:{port}")))
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub async fn wait_ready(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{base}/health/ready")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("madang did not become ready on {base}")
}
