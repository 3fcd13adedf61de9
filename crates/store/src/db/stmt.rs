//! Statements: SQL written once with `?` placeholders and bound values, run on any
//! engine and timed, each failure labelled with its operation; and the paging
//! fragments lists share.

use super::*;

/// A statement being built: its SQL (written with `?` placeholders) and its values.
///
/// Every SQL text passed here is assembled from string constants in this crate;
/// every value a user supplies is bound, never spliced in. That is what makes the
/// `AssertSqlSafe` below true.
pub(crate) struct Stmt {
    engine: Engine,
    pub(super) sql: String,
    pub(crate) args: AnyArguments,
}

impl Stmt {
    pub(super) fn new(engine: Engine, sql: &str) -> Self {
        // Every statement is built to be run: the count of statements per request
        // (what the bench's page suites report) is read off this counter.
        metrics::counter!("madang_db_statements_total").increment(1);
        Self {
            engine,
            sql: sql.to_owned(),
            args: AnyArguments::default(),
        }
    }

    pub(crate) fn bind<T>(mut self, v: T) -> Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        // Encoding into Any's buffer cannot fail for the plain types Madang binds.
        let _ = self.args.add(v);
        self
    }

    pub(crate) fn push_sql(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    pub(crate) fn push_bind<T>(&mut self, s: &str, v: T)
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        self.sql.push_str(s);
        let _ = self.args.add(v);
    }

    /// `sql` in this engine's placeholder style.
    pub(super) fn sql_for(&self, sql: &str) -> String {
        match self.engine {
            Engine::Postgres => numbered_placeholders(sql),
            _ => sql.to_owned(),
        }
    }

    /// Records how long a statement took, by operation: its verb and main table (a
    /// bounded set of labels, never values).
    pub(super) fn timer(&self) -> QueryTimer {
        QueryTimer {
            op: operation(&self.sql),
            started: Instant::now(),
        }
    }

    pub(super) fn build(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        let sql = self.sql_for(&self.sql);
        sqlx::query_with(AssertSqlSafe(sql), self.args)
    }

    pub(crate) async fn execute<'c, E: Executor<'c, Database = Any>>(
        self,
        e: E,
    ) -> Result<u64, DbError> {
        let t = self.timer();
        match e.execute(self.build()).await {
            Ok(r) => Ok(r.rows_affected()),
            Err(err) => Err(t.failed(err)),
        }
    }

    pub(crate) async fn fetch_all<'c, E: Executor<'c, Database = Any>>(
        self,
        e: E,
    ) -> Result<Vec<AnyRow>, DbError> {
        let t = self.timer();
        e.fetch_all(self.build()).await.map_err(|err| t.failed(err))
    }

    pub(crate) async fn fetch_optional<'c, E: Executor<'c, Database = Any>>(
        self,
        e: E,
    ) -> Result<Option<AnyRow>, DbError> {
        let t = self.timer();
        e.fetch_optional(self.build())
            .await
            .map_err(|err| t.failed(err))
    }

    pub(crate) async fn fetch_one<'c, E: Executor<'c, Database = Any>>(
        self,
        e: E,
    ) -> Result<AnyRow, DbError> {
        let t = self.timer();
        e.fetch_one(self.build()).await.map_err(|err| t.failed(err))
    }

    /// Runs an INSERT into a table keyed by `id` and answers the new row's id.
    pub(crate) async fn insert_id<'c, E: Executor<'c, Database = Any>>(
        mut self,
        e: E,
    ) -> Result<i64, DbError> {
        let op = operation(&self.sql);
        let id = match self.engine {
            // MySQL 8 has no INSERT … RETURNING.
            Engine::MySql => e.execute(self.build()).await.and_then(|r| {
                r.last_insert_id()
                    .ok_or_else(|| sqlx::Error::Protocol("no insert id returned".into()))
            }),
            _ => {
                self.sql.push_str(" RETURNING id");
                match e.fetch_one(self.build()).await {
                    Ok(row) => sqlx::Row::try_get::<i64, _>(&row, 0),
                    Err(err) => Err(err),
                }
            }
        };
        id.map_err(|err| failed(&op, err))
    }
}

pub(super) struct QueryTimer {
    op: String,
    started: Instant,
}

impl QueryTimer {
    /// The statement's failure, labelled with its operation.
    pub(super) fn failed(&self, e: sqlx::Error) -> DbError {
        failed(&self.op, e)
    }
}

/// A statement's failure, labelled with its operation. It is logged at debug level
/// where it happens, inside the use case's span, by its operation and the server's
/// error code only: an expected conflict's message can quote the row's values (MariaDB
/// names the duplicate entry), and whether it is a 500 is decided above.
fn failed(op: &str, e: sqlx::Error) -> DbError {
    let code = match &e {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    };
    tracing::debug!(operation = %op, code = code.as_deref().unwrap_or("-"), "statement failed");
    DbError::new(op, e)
}

impl Drop for QueryTimer {
    fn drop(&mut self) {
        let op = std::mem::take(&mut self.op);
        metrics::histogram!("madang_db_query_duration_seconds", "operation" => op)
            .record(self.started.elapsed().as_secs_f64());
    }
}

/// `select posts`, `insert post_votes`, `update users`…: the statement's verb and the
/// first table it names.
pub(super) fn operation(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(64).collect();
    let verb = words
        .first()
        .map(|w| w.to_ascii_lowercase())
        .unwrap_or_default();
    let after = match verb.as_str() {
        "select" => "from",
        "insert" => "into",
        "update" => "update",
        "delete" => "from",
        _ => return verb,
    };
    // The first `FROM x` / `INTO x` whose `x` is a table, not a subquery.
    let table = words
        .windows(2)
        .find(|w| w[0].eq_ignore_ascii_case(after) && !w[1].starts_with('('))
        .map(|w| w[1])
        .map(|t| t.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'))
        .unwrap_or_default();
    format!("{verb} {table}")
}

/// Rewrites `?` placeholders to PostgreSQL's `$1, $2, …`, leaving quoted text alone.
pub(super) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut in_quote = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_quote = !in_quote;
                out.push(c);
            }
            '?' if !in_quote => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Reads a column, turning a decoding failure into an internal error.
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, Error>
where
    T: sqlx::Decode<'r, Any> + Type<Any>,
{
    sqlx::Row::try_get(row, name).map_err(Error::internal)
}

/// Escapes `%`, `_` and the escape character itself for `LIKE … ESCAPE '!'`, and
/// wraps the text for a substring match. `!` rather than `\` because MySQL string
/// literals treat the backslash specially.
pub(crate) fn like_contains(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Rows counted at most for `total_items` where a count could scan a large table.
pub(crate) const COUNT_CAP: i64 = 10_000;

/// Appends the keyset condition of a cursor, the order and the limit (one extra row,
/// which tells whether a next page exists) to a list query.
pub(crate) fn push_page(
    s: &mut Stmt,
    key_col: &str,
    id_col: &str,
    descending: bool,
    page: &madang_domain::listing::PageRequest,
) {
    push_after(s, key_col, id_col, descending, page);
    push_order(s, key_col, id_col, descending);
    s.push_sql(" LIMIT ? OFFSET ?");
    s.args_add(i64::from(page.size) + 1);
    s.args_add(page.offset() as i64);
}

/// The keyset condition of a cursor page: rows after the cursor's (key, id).
///
/// Written as `key <= k AND (key < k OR id < i)` rather than the plainer
/// `key < k OR (key = k AND id < i)`: the first conjunct is a range every engine's
/// planner seeks the index to, where the OR form makes SQLite and MariaDB scan the
/// index from its start up to the cursor.
pub(crate) fn push_after(
    s: &mut Stmt,
    key_col: &str,
    id_col: &str,
    descending: bool,
    page: &madang_domain::listing::PageRequest,
) {
    use madang_domain::listing::KeyValue;
    let Some(c) = &page.after else { return };
    let (cmp, cmp_eq) = if descending { ("<", "<=") } else { (">", ">=") };
    s.push_sql(&format!(
        " AND {key_col} {cmp_eq} ? AND ({key_col} {cmp} ? OR {id_col} {cmp} ?)"
    ));
    match c.key {
        KeyValue::Int(k) => {
            s.args_add(k);
            s.args_add(k);
        }
        KeyValue::Float(k) => {
            s.args_add(k);
            s.args_add(k);
        }
    }
    s.args_add(c.id);
}

pub(crate) fn push_order(s: &mut Stmt, key_col: &str, id_col: &str, descending: bool) {
    let dir = if descending { "DESC" } else { "ASC" };
    s.push_sql(&format!(" ORDER BY {key_col} {dir}, {id_col} {dir}"));
}

impl Stmt {
    pub(crate) fn args_add<T>(&mut self, v: T)
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        let _ = self.args.add(v);
    }

    /// `?, ?, ?` for a list of values, bound in order.
    pub(crate) fn push_in_list(&mut self, ids: &[i64]) {
        let marks = vec!["?"; ids.len().max(1)].join(", ");
        self.push_sql(&format!("({marks})"));
        if ids.is_empty() {
            self.args_add(-1_i64);
        }
        for id in ids {
            self.args_add(*id);
        }
    }
}

/// Runs a `SELECT COUNT(*) AS n …` statement.
pub(crate) async fn count<'c, E: Executor<'c, Database = Any>>(
    s: Stmt,
    e: E,
) -> Result<i64, Error> {
    let row = s.fetch_one(e).await?;
    col::<i64>(&row, "n")
}
