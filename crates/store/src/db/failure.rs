//! Failures of the database: the operation that met one, and how each maps into the
//! domain's error.
//!
//! A statement's failure is a [`DbError`] naming its operation (`update posts`, the
//! label its timer records), with the driver's error as its source. It becomes the
//! domain's `Internal` error whole, so the log of a 500 says which statement failed,
//! and [`OnConstraint`] can still recognise a constraint it expected after that.

use madang_domain::Error;

/// A failed statement or transaction step, with the driver's error as its source.
#[derive(Debug, thiserror::Error)]
#[error("{op}: {source}")]
pub(crate) struct DbError {
    op: String,
    #[source]
    source: sqlx::Error,
}

impl DbError {
    pub(crate) fn new(op: impl Into<String>, source: sqlx::Error) -> Self {
        Self {
            op: op.into(),
            source,
        }
    }

    /// Whether this is a unique-key violation on a constraint whose name contains
    /// `name` (every constraint for an empty `name`). MariaDB names the key only in
    /// its message, so the message is searched as well.
    pub(crate) fn is_unique(&self, name: &str) -> bool {
        match &self.source {
            sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => {
                db.constraint().is_some_and(|c| c.contains(name)) || db.message().contains(name)
            }
            _ => false,
        }
    }

    /// Whether the engine gave up on the transaction to resolve a lock conflict with
    /// another (MariaDB's deadlock 1213 or lock wait timeout 1205, PostgreSQL's
    /// deadlock 40P01 or serialization failure 40001): running it again is the cure.
    pub(crate) fn is_lock_conflict(&self) -> bool {
        matches!(&self.source, sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("1213" | "1205" | "40P01" | "40001")))
    }

    pub(crate) fn is_foreign_key(&self) -> bool {
        matches!(&self.source, sqlx::Error::Database(db)
            if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
    }
}

/// A driver error met outside a labelled statement (a raw query, a pool).
impl From<sqlx::Error> for DbError {
    fn from(source: sqlx::Error) -> Self {
        Self::new("database", source)
    }
}

/// An unreachable database is `Unavailable` (503); anything unexpected is `Internal`
/// (500), carrying the failure whole so its log names the operation and the cause.
impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        match &e.source {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => Error::Unavailable("the database is unavailable".into()),
            sqlx::Error::Database(db) if is_connection_failure(db.code().as_deref()) => {
                Error::Unavailable("the database is unavailable".into())
            }
            // PostgreSQL refuses U+0000 in text (22021). Requests are refused with it at
            // the door (`validate::no_nul`); this keeps any text that came another way a
            // client's error rather than a 500.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => {
                Error::BadRequest("text must not contain the NUL character (U+0000)".into())
            }
            _ => Error::internal(e),
        }
    }
}

/// Maps any database failure into the domain's error, for a driver call that is not a
/// labelled statement.
pub(crate) fn map_err(e: impl Into<DbError>) -> Error {
    Error::from(e.into())
}

/// Server error codes that mean "cannot serve now" rather than "this query is wrong".
pub(super) fn is_connection_failure(code: Option<&str>) -> bool {
    matches!(
        code,
        // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many connections
        Some("57P01" | "57P02" | "57P03" | "53300")
        // MySQL/MariaDB: too many connections, server shutdown in progress
        | Some("1040" | "1053" | "08S01")
        // SQLite: the file is locked by another process past the busy timeout
        // (SQLITE_BUSY and its extended codes, SQLITE_LOCKED)
        | Some("5" | "6" | "261" | "517" | "773")
    )
}

/// Turns the constraint failures a caller expects into the domain's answer for them,
/// and leaves every other failure as it was. Calls chain:
///
/// ```ignore
/// stmt.execute(&mut *tx).await
///     .on_unique(NAME_KEY, || Error::conflict("name", "this name is taken"))
///     .on_unique(EMAIL_KEY, || Error::conflict("email", "…"))?;
/// ```
pub(crate) trait OnConstraint<T> {
    /// A failure `expected` recognises becomes `answer()`.
    fn on_constraint(
        self,
        expected: impl Fn(&DbError) -> bool,
        answer: impl FnOnce() -> Error,
    ) -> Result<T, Error>;

    /// A unique-key violation on a constraint whose name contains `name`.
    fn on_unique(self, name: &str, answer: impl FnOnce() -> Error) -> Result<T, Error>
    where
        Self: Sized,
    {
        self.on_constraint(|e| e.is_unique(name), answer)
    }

    /// A foreign-key violation.
    fn on_foreign_key(self, answer: impl FnOnce() -> Error) -> Result<T, Error>
    where
        Self: Sized,
    {
        self.on_constraint(DbError::is_foreign_key, answer)
    }
}

impl<T, E: Into<Error>> OnConstraint<T> for Result<T, E> {
    fn on_constraint(
        self,
        expected: impl Fn(&DbError) -> bool,
        answer: impl FnOnce() -> Error,
    ) -> Result<T, Error> {
        self.map_err(|e| match e.into() {
            Error::Internal(cause) if cause.downcast_ref::<DbError>().is_some_and(&expected) => {
                answer()
            }
            other => other,
        })
    }
}

/// Commits a transaction, its failure labelled `commit`.
pub(crate) async fn commit(tx: sqlx::Transaction<'_, sqlx::Any>) -> Result<(), Error> {
    tx.commit()
        .await
        .map_err(|e| DbError::new("commit", e).into())
}

/// Whether a domain error is a [`DbError::is_lock_conflict`] carried whole.
pub(crate) fn is_lock_conflict(e: &Error) -> bool {
    match e {
        Error::Internal(cause) => cause
            .downcast_ref::<DbError>()
            .is_some_and(DbError::is_lock_conflict),
        _ => false,
    }
}

/// Runs a write transaction again (up to three times in all) when the engine ended it
/// to break a lock cycle with a concurrent one: MariaDB's gap locks make a write that
/// inserts several outbox rows meet the relay's locking read that way now and then.
/// The transaction rolled back, so running it again is safe.
pub(crate) async fn retrying<T, F, Fut>(mut write: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let mut attempt = 1;
    loop {
        match write().await {
            Err(e) if attempt < 3 && is_lock_conflict(&e) => attempt += 1,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_failure_names_its_operation_and_keeps_its_source() {
        let e = Error::from(DbError::new(
            "update posts",
            sqlx::Error::Protocol("bad packet".into()),
        ));
        let Error::Internal(cause) = &e else {
            panic!("an unexpected failure is internal: {e:?}");
        };
        assert_eq!(
            cause.to_string(),
            "update posts: encountered unexpected or invalid data: bad packet"
        );
        let source = std::error::Error::source(cause.as_ref()).expect("the driver's error");
        assert!(source.to_string().contains("bad packet"));
        assert!(
            cause.downcast_ref::<DbError>().is_some(),
            "the failure is kept whole"
        );
    }

    #[test]
    fn an_unreachable_database_is_unavailable() {
        let e = Error::from(DbError::new("select posts", sqlx::Error::PoolTimedOut));
        assert!(matches!(e, Error::Unavailable(_)), "{e:?}");
    }

    #[test]
    fn an_unexpected_failure_passes_constraint_mapping_unchanged() {
        let r: Result<(), DbError> = Err(DbError::new("insert users", sqlx::Error::RowNotFound));
        let e = r
            .on_unique("name", || Error::conflict("name", "taken"))
            .on_foreign_key(|| Error::NotFound("category"))
            .unwrap_err();
        assert!(matches!(e, Error::Internal(_)), "{e:?}");
        let ok: Result<u8, DbError> = Ok(7);
        assert_eq!(ok.on_unique("name", || Error::NotFound("x")).ok(), Some(7));
    }
}
