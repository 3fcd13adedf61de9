//! Migrations on an embedded SQLite file: status, apply, and refusal of an edited one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use madang_store::{Db, DbConfig, MigrationError, MigrationState};

fn db(dir: &tempfile::TempDir) -> Db {
    Db::connect_lazy(&DbConfig::new(
        &format!("sqlite://{}/m.db", dir.path().display()),
        2,
        Duration::from_secs(5),
    ))
    .unwrap()
}

#[tokio::test]
async fn status_lists_pending_then_applied() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let before = db.migration_status().await.unwrap();
    assert!(!before.is_empty());
    assert!(before.iter().all(|m| m.state == MigrationState::Pending));
    db.migrate().await.unwrap();
    let after = db.migration_status().await.unwrap();
    assert!(after.iter().all(|m| m.state == MigrationState::Applied));
    // Applying again is a no-op.
    db.migrate().await.unwrap();
    assert!(dir.path().join("m.db").exists());
}

#[tokio::test]
async fn an_applied_migration_that_was_edited_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    db.migrate().await.unwrap();
    // Simulate an edit of the file by changing the checksum recorded for it.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}/m.db", dir.path().display()))
        .await
        .unwrap();
    sqlx::query("UPDATE _sqlx_migrations SET checksum = X'00' WHERE version = 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let err = db.migrate().await.unwrap_err();
    assert!(matches!(err, MigrationError::Edited(1)), "{err:?}");
    assert!(err.to_string().contains("edited after it was applied"));
    let status = db.migration_status().await.unwrap();
    assert_eq!(status[0].state, MigrationState::Edited);
}

#[tokio::test]
async fn a_schema_change_reanalyses_a_database_that_was_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    db.migrate().await.unwrap();
    assert!(
        !db.analyse_after_schema_change().await.unwrap(),
        "a board never analysed is left to the planner's defaults"
    );
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}/m.db", dir.path().display());
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO categories (id, name, name_key, parent_key, created_at) VALUES (1, 'c', 'c', 0, 0)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    // An index added later (as a migration would) is unknown to the statistics…
    sqlx::query("CREATE INDEX categories_probe ON categories (created_at)")
        .execute(&pool)
        .await
        .unwrap();
    let known = || async {
        let row = sqlx::query("SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = 'categories_probe'")
            .fetch_one(&pool)
            .await
            .unwrap();
        sqlx::Row::try_get::<i64, _>(&row, 0).unwrap()
    };
    assert_eq!(known().await, 0);
    // …until the database is analysed again after the change.
    assert!(db.analyse_after_schema_change().await.unwrap());
    assert_eq!(known().await, 1);
}
