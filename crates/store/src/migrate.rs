//! Versioned schema migrations, one set per engine, embedded in the binary.

use sqlx::migrate::{Migrate, MigrateError, Migrator};

use crate::db::{Db, Engine};

/// The migration after which stored names are re-keyed (see `Db::rekey_names`).
const NAME_KEYS_MIGRATION: i64 = 11;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static MYSQL: Migrator = sqlx::migrate!("./migrations/mysql");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    Applied,
    Pending,
    /// Applied, but the file changed since: refused until it is restored.
    Edited,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: String,
    pub state: MigrationState,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "migration {0} was edited after it was applied to this database; restore the original file and put the change in a new migration"
    )]
    Edited(i64),
    #[error(
        "migration {0} is applied in this database but unknown to this build of Madang (is the binary older than the database?)"
    )]
    Unknown(i64),
    #[error("cannot reach the database: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Failed(String),
}

impl From<MigrateError> for MigrationError {
    fn from(e: MigrateError) -> Self {
        match e {
            MigrateError::VersionMismatch(v) => Self::Edited(v),
            MigrateError::VersionMissing(v) => Self::Unknown(v),
            MigrateError::Execute(sqlx::Error::Io(e)) => Self::Unavailable(e.to_string()),
            MigrateError::Execute(sqlx::Error::PoolTimedOut) => {
                Self::Unavailable("timed out".into())
            }
            other => Self::Failed(other.to_string()),
        }
    }
}

impl Db {
    fn migrator(&self) -> &'static Migrator {
        match self.engine {
            Engine::Sqlite => &SQLITE,
            Engine::MySql => &MYSQL,
            Engine::Postgres => &POSTGRES,
        }
    }

    /// Applies every pending migration. An applied migration whose file was edited
    /// afterwards stops the run with `MigrationError::Edited`.
    pub async fn migrate(&self) -> Result<(), MigrationError> {
        let status = self.migration_status().await?;
        let pending = |version: Option<i64>| {
            status.iter().any(|m| {
                m.state == MigrationState::Pending && version.is_none_or(|v| v == m.version)
            })
        };
        // Only SQLite leaves planner statistics to the application.
        let schema_changes = self.engine() == Engine::Sqlite && pending(None);
        let rekey = pending(Some(NAME_KEYS_MIGRATION));
        self.migrator().run(&self.write).await?;
        if rekey {
            let changed = self
                .rekey_names()
                .await
                .map_err(|e| MigrationError::Failed(format!("re-keying names: {e}")))?;
            tracing::info!(
                changed,
                "names re-keyed by their compatibility caseless form"
            );
        }
        if schema_changes {
            // New indexes want statistics the planner can weigh them by.
            match self.analyse_after_schema_change().await {
                Ok(true) => tracing::info!("schema changed; planner statistics refreshed"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "planner statistics could not be refreshed"),
            }
        }
        Ok(())
    }

    /// Every known migration with whether it is applied, pending or edited.
    pub async fn migration_status(&self) -> Result<Vec<MigrationStatus>, MigrationError> {
        let migrator = self.migrator();
        let mut conn = self
            .write
            .acquire()
            .await
            .map_err(|e| MigrationError::Unavailable(e.to_string()))?;
        conn.ensure_migrations_table(&migrator.table_name).await?;
        let applied = conn.list_applied_migrations(&migrator.table_name).await?;
        let mut out: Vec<MigrationStatus> = migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| {
                let state = match applied.iter().find(|a| a.version == m.version) {
                    Some(a) if a.checksum == m.checksum => MigrationState::Applied,
                    Some(_) => MigrationState::Edited,
                    None => MigrationState::Pending,
                };
                MigrationStatus {
                    version: m.version,
                    description: m.description.to_string(),
                    state,
                }
            })
            .collect();
        for a in &applied {
            if !migrator.version_exists(a.version) {
                return Err(MigrationError::Unknown(a.version));
            }
        }
        out.sort_by_key(|m| m.version);
        Ok(out)
    }
}
