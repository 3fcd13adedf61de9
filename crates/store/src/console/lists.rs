//! The console's lists in SQL: what every model's source (in `sources`) is made of, the
//! WHERE clause and order they share, and the cell readers their row mappers use.

use super::*;

/// What a model's list reads: its tables and columns, how its filters, search and
/// sorts translate, and how a row becomes the cells the page shows. One per model.
pub(super) struct Source {
    /// The model's table and its alias.
    pub(super) table: &'static str,
    /// Its id column, when one column identifies a row (enrolments are keyed by
    /// seminar and member).
    pub(super) id: Option<&'static str>,
    /// The tables joined to it for the list's columns.
    pub(super) joins: &'static str,
    pub(super) cols: &'static str,
    /// Always applied (erased users are not listed).
    pub(super) base: &'static str,
    /// The creation-time column the date drill-down filters (where the model's spec
    /// is `dated`).
    pub(super) date_col: &'static str,
    /// The columns a sort key orders by, ending in a unique one so pages are stable.
    pub(super) order: fn(&str) -> &'static [&'static str],
    /// The conditions of the spec's filters.
    pub(super) filter: fn(&mut Stmt, &ListQuery, Timestamp),
    /// The condition of the search box, given its folded text.
    pub(super) search: fn(&mut Stmt, String),
    /// The cells of a row, in the spec's column order.
    pub(super) row: fn(&AnyRow, Timestamp) -> Result<Row>,
}

impl Source {
    /// The ORDER BY of a sort key.
    pub(super) fn order_by(&self, key: &str, desc: bool) -> String {
        let dir = if desc { " DESC" } else { " ASC" };
        let parts: Vec<String> = (self.order)(key)
            .iter()
            .map(|c| format!("{c}{dir}"))
            .collect();
        format!(" ORDER BY {}", parts.join(", "))
    }

    /// The table's name without its alias.
    pub(super) fn table_name(&self) -> &'static str {
        self.table.split(' ').next().unwrap_or(self.table)
    }
}

pub(super) fn yes(v: &str) -> i64 {
    i64::from(v == "yes")
}

/// Appends the WHERE clause of a list request: its date range and filters, and its
/// search when `with_search`.
pub(super) fn push_where(
    s: &mut Stmt,
    src: &Source,
    q: &ListQuery,
    now: Timestamp,
    with_search: bool,
) {
    s.push_sql(" WHERE ");
    s.push_sql(src.base);
    if let Some((from, to)) = q.date.range() {
        s.push_bind(&format!(" AND {} >= ?", src.date_col), from.millis());
        s.push_bind(&format!(" AND {} < ?", src.date_col), to.millis());
    }
    if with_search {
        push_search(s, src, q);
    }
    (src.filter)(s, q, now);
}

/// Appends the search box's condition, if any.
pub(super) fn push_search(s: &mut Stmt, src: &Source, q: &ListQuery) {
    if let Some(k) = q.search.clone() {
        (src.search)(s, k);
    }
}

/// A search by a member's exact name, through the unique name index: no join, so a
/// list's total counts its own table's rows only.
pub(super) fn by_member(s: &mut Stmt, column: &str, name_key: String) {
    s.push_bind(
        &format!(" AND {column} = (SELECT id FROM users WHERE name_key = ?)"),
        name_key,
    );
}

pub(super) fn push_status_and_sentiment(s: &mut Stmt, q: &ListQuery, t: &str) {
    match q.filter("status") {
        Some("active") => s.push_sql(&format!(" AND {t}.deleted_at IS NULL")),
        Some("deleted") => s.push_sql(&format!(" AND {t}.deleted_at IS NOT NULL")),
        _ => {}
    }
    match q.filter("sentiment") {
        Some("none") => s.push_sql(&format!(" AND {t}.sentiment_label IS NULL")),
        Some(label) => s.push_bind(&format!(" AND {t}.sentiment_label = ?"), label.to_owned()),
        None => {}
    }
}

pub(super) fn text(row: &AnyRow, name: &str) -> Result<Cell> {
    Ok(col::<Option<String>>(row, name)?.map_or(Cell::Empty, Cell::Text))
}

pub(super) fn time(row: &AnyRow, name: &str) -> Result<Cell> {
    Ok(col::<Option<i64>>(row, name)?.map_or(Cell::Empty, |t| Cell::Time(Timestamp(t))))
}

pub(super) fn link(row: &AnyRow, model: Model, id: &str, name: &str) -> Result<Cell> {
    let id: Option<i64> = col(row, id)?;
    let name: Option<String> = col(row, name)?;
    Ok(match id {
        Some(id) => Cell::Link {
            model,
            id,
            text: name.unwrap_or_else(|| format!("#{id}")),
        },
        None => Cell::Empty,
    })
}

pub(super) fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

pub(super) fn status_and_sentiment(row: &AnyRow) -> Result<(bool, Cell, Cell)> {
    let deleted = col::<Option<i64>>(row, "deleted_at")?.is_some();
    let status = Cell::Tag(if deleted { "deleted" } else { "active" }.to_owned());
    let sentiment = col::<Option<String>>(row, "sentiment_label")?.map_or(Cell::Empty, Cell::Tag);
    Ok((deleted, status, sentiment))
}
