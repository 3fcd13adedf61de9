//! The three migration sets build one schema. Each engine is migrated, read back from
//! its catalogue, and compared with `migrations/schema.manifest`: the tables, their
//! columns with nullability and defaults, primary keys and indexes. A migration added
//! to one engine and not the others fails here.
//!
//! Column types are left out on purpose: each engine spells them its own way
//! (`INTEGER`, `BIGINT`, `VARCHAR(64)`, `TEXT`), and the store reads them all as the
//! same Rust types.
//!
//! The manifest holds the lines every engine has, then lines one engine has alone
//! (`mysql index …`) and lines one engine lacks (`-mysql index …`), each with the
//! reason in a comment. `MADANG_WRITE_SCHEMA_MANIFEST=DIR` writes this engine's
//! lines to `DIR/schema-<engine>.txt`, to rebuild the manifest after a migration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use madang_store::Engine;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

const MANIFEST: &str = include_str!("../migrations/schema.manifest");

#[tokio::test]
async fn every_engine_migrates_to_the_schema_of_the_manifest() {
    let fresh = madang_testkit::fresh_database().await;
    let db = madang_store::Db::connect_lazy(&madang_store::DbConfig::new(
        &fresh.url,
        2,
        std::time::Duration::from_secs(10),
    ))
    .unwrap();
    db.migrate().await.unwrap();
    db.close().await;

    let pool = AnyPool::connect(&fresh.url).await.unwrap();
    let engine = Engine::from_url(&fresh.url).unwrap();
    let actual = match engine {
        Engine::Sqlite => sqlite_schema(&pool).await,
        Engine::MySql => mysql_schema(&pool).await,
        Engine::Postgres => postgres_schema(&pool).await,
    };
    pool.close().await;
    if let Ok(dir) = std::env::var("MADANG_WRITE_SCHEMA_MANIFEST") {
        let lines: Vec<&str> = actual.iter().map(String::as_str).collect();
        let path = format!("{dir}/schema-{}.txt", engine.name());
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }

    let expected = expected_for(engine.name());
    let missing: Vec<&String> = expected.difference(&actual).collect();
    let extra: Vec<&String> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the {} schema differs from migrations/schema.manifest\n\
         in the manifest, not in the database:\n  {}\n\
         in the database, not in the manifest:\n  {}",
        engine.name(),
        join(&missing),
        join(&extra),
    );
}

#[test]
fn the_manifest_reads_each_engines_own_lines() {
    let expected = |engine| {
        expected_for_text(
            engine,
            "table a\ntable b\n-mysql table b\npostgres table c\n",
        )
    };
    assert_eq!(expected("sqlite"), set(&["table a", "table b"]));
    assert_eq!(expected("mysql"), set(&["table a"]));
    assert_eq!(
        expected("postgres"),
        set(&["table a", "table b", "table c"])
    );
}

fn join(lines: &[&String]) -> String {
    lines
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n  ")
}

fn set(lines: &[&str]) -> BTreeSet<String> {
    lines.iter().map(|s| (*s).to_owned()).collect()
}

fn expected_for(engine: &str) -> BTreeSet<String> {
    expected_for_text(engine, MANIFEST)
}

/// The common lines, less those `engine` lacks, with those it has alone.
fn expected_for_text(engine: &str, manifest: &str) -> BTreeSet<String> {
    let engines = ["sqlite", "mysql", "postgres"];
    let mut common = BTreeSet::new();
    let mut lacks = BTreeSet::new();
    let mut own = BTreeSet::new();
    for line in manifest.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
        if let Some(e) = first.strip_prefix('-').filter(|e| engines.contains(e)) {
            if e == engine {
                lacks.insert(rest.to_owned());
            }
        } else if engines.contains(&first) {
            if first == engine {
                own.insert(rest.to_owned());
            }
        } else {
            common.insert(line.to_owned());
        }
    }
    common.difference(&lacks).cloned().chain(own).collect()
}

fn text(row: &AnyRow, i: usize) -> String {
    row.try_get::<Option<String>, _>(i)
        .unwrap_or_else(|e| panic!("column {i} as text: {e}"))
        .unwrap_or_default()
}

async fn rows(pool: &AnyPool, sql: &str) -> Vec<AnyRow> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A default as every engine would write it: no casts, no wrapping parentheses, and
/// none at all for NULL or a generated id.
fn default_of(raw: &str) -> Option<String> {
    let mut d = raw.trim().to_owned();
    while d.starts_with('(') && d.ends_with(')') {
        d = d[1..d.len() - 1].trim().to_owned();
    }
    for cast in [
        "::text",
        "::character varying",
        "::bigint",
        "::integer",
        "::double precision",
    ] {
        d = d.replace(cast, "");
    }
    (!d.is_empty() && !d.eq_ignore_ascii_case("null") && !d.starts_with("nextval(")).then_some(d)
}

/// An index predicate as every engine would write it.
fn predicate_of(raw: &str) -> String {
    let mut p = raw.replace(['(', ')'], " ");
    for cast in ["::text", "::character varying", "::bigint", "::integer"] {
        p = p.replace(cast, "");
    }
    p.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn column_line(table: &str, column: &str, nullable: bool, default: Option<String>) -> String {
    let null = if nullable { "null" } else { "not-null" };
    match default {
        Some(d) => format!("column {table}.{column} {null} default {d}"),
        None => format!("column {table}.{column} {null}"),
    }
}

fn index_line(
    table: &str,
    name: &str,
    unique: bool,
    columns: &[String],
    predicate: &str,
) -> String {
    let mut line = format!("index {table}.{name} ({})", columns.join(", "));
    if unique {
        line.push_str(" unique");
    }
    if !predicate.is_empty() {
        line.push_str(" where ");
        line.push_str(&predicate_of(predicate));
    }
    line
}

fn is_own_table(name: &str) -> bool {
    !name.starts_with("_sqlx") && !name.starts_with("sqlite_")
}

async fn sqlite_schema(pool: &AnyPool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let tables = rows(
        pool,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    )
    .await;
    for t in tables
        .iter()
        .map(|r| text(r, 0))
        .filter(|t| is_own_table(t))
    {
        out.insert(format!("table {t}"));
        let cols = rows(
            pool,
            &format!("SELECT name, \"notnull\", dflt_value, pk FROM pragma_table_info('{t}')"),
        )
        .await;
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in &cols {
            let name = text(c, 0);
            let key: i64 = c.try_get(3).unwrap();
            if key > 0 {
                pk.push((key, name.clone()));
            }
            let nullable = c.try_get::<i64, _>(1).unwrap() == 0 && key == 0;
            out.insert(column_line(&t, &name, nullable, default_of(&text(c, 2))));
        }
        pk.sort();
        let pk: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
        out.insert(format!("primary {t} ({})", pk.join(", ")));
        let indexes = rows(
            pool,
            &format!("SELECT name, \"unique\", origin FROM pragma_index_list('{t}')"),
        )
        .await;
        for i in &indexes {
            let (name, origin) = (text(i, 0), text(i, 2));
            if origin == "pk" {
                continue;
            }
            let unique = i.try_get::<i64, _>(1).unwrap() == 1;
            let columns: Vec<String> = rows(
                pool,
                &format!("SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"),
            )
            .await
            .iter()
            .map(|r| text(r, 0))
            .collect();
            let sql = rows(
                pool,
                &format!("SELECT COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND name = '{name}'"),
            )
            .await;
            let sql = sql.first().map(|r| text(r, 0)).unwrap_or_default();
            let predicate = sql
                .to_lowercase()
                .split_once(" where ")
                .map(|(_, p)| p.to_owned())
                .unwrap_or_default();
            out.insert(index_line(&t, &name, unique, &columns, &predicate));
        }
    }
    out
}

async fn mysql_schema(pool: &AnyPool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let tables = rows(
        pool,
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    )
    .await;
    for t in tables
        .iter()
        .map(|r| text(r, 0))
        .filter(|t| is_own_table(t))
    {
        out.insert(format!("table {t}"));
    }
    let cols = rows(
        pool,
        "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR), CAST(is_nullable AS CHAR), \
         CAST(column_default AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE()",
    )
    .await;
    for c in cols.iter().filter(|c| is_own_table(&text(c, 0))) {
        let nullable = text(c, 2) == "YES";
        out.insert(column_line(
            &text(c, 0),
            &text(c, 1),
            nullable,
            default_of(&text(c, 3)),
        ));
    }
    let stats = rows(
        pool,
        "SELECT CAST(table_name AS CHAR), CAST(index_name AS CHAR), CAST(non_unique AS CHAR), \
         CAST(column_name AS CHAR) FROM information_schema.statistics \
         WHERE table_schema = DATABASE() ORDER BY table_name, index_name, seq_in_index",
    )
    .await;
    let mut grouped: Vec<(String, String, bool, Vec<String>)> = Vec::new();
    for s in stats.iter().filter(|s| is_own_table(&text(s, 0))) {
        let (t, name) = (text(s, 0), text(s, 1));
        match grouped.last_mut() {
            Some(g) if g.0 == t && g.1 == name => g.3.push(text(s, 3)),
            _ => grouped.push((t, name, text(s, 2) == "0", vec![text(s, 3)])),
        }
    }
    for (t, name, unique, columns) in grouped {
        if name == "PRIMARY" {
            out.insert(format!("primary {t} ({})", columns.join(", ")));
        } else {
            out.insert(index_line(&t, &name, unique, &columns, ""));
        }
    }
    out
}

async fn postgres_schema(pool: &AnyPool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let tables = rows(
        pool,
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .await;
    for t in tables
        .iter()
        .map(|r| text(r, 0))
        .filter(|t| is_own_table(t))
    {
        out.insert(format!("table {t}"));
    }
    let cols = rows(
        pool,
        "SELECT table_name::text, column_name::text, is_nullable::text, column_default::text \
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .await;
    for c in cols.iter().filter(|c| is_own_table(&text(c, 0))) {
        let nullable = text(c, 2) == "YES";
        out.insert(column_line(
            &text(c, 0),
            &text(c, 1),
            nullable,
            default_of(&text(c, 3)),
        ));
    }
    let indexes = rows(
        pool,
        "SELECT t.relname::text, i.relname::text, ix.indisunique::text, ix.indisprimary::text, \
         (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), ',' ORDER BY k) \
            FROM generate_series(1, ix.indnkeyatts) AS k), \
         COALESCE(pg_get_expr(ix.indpred, ix.indrelid), '') \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema()",
    )
    .await;
    for i in indexes.iter().filter(|i| is_own_table(&text(i, 0))) {
        let t = text(i, 0);
        let columns: Vec<String> = text(i, 4).split(',').map(str::to_owned).collect();
        if text(i, 3) == "true" {
            out.insert(format!("primary {t} ({})", columns.join(", ")));
        } else {
            out.insert(index_line(
                &t,
                &text(i, 1),
                text(i, 2) == "true",
                &columns,
                &text(i, 5),
            ));
        }
    }
    out
}
