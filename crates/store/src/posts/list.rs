//! The statements of a post list: its filters, its page in the chosen order, and its
//! total (a sum of category counters where it can be, a capped count otherwise).

use super::*;

/// Whether a list's total is a sum of category counters: it filters by nothing else.
pub(super) fn counted_by_categories(f: &PostFilter) -> bool {
    f.author_id.is_none() && f.sentiment.is_none() && f.prefix_id.is_none()
}

/// What a list's inner query orders by: the sort key, the id that breaks its ties, and
/// the tables they are read from. Views live in their own table, so that sort reads
/// its index (`view_count, post_id`) and joins each post by its key.
fn sort_source(sort: PostSort) -> (&'static str, &'static str, &'static str) {
    match sort {
        // Relevance is the search index's order; a list without a keyword is newest first.
        PostSort::New | PostSort::Relevance => ("p.created_at", "p.id", "posts p"),
        PostSort::Top => ("p.vote_count", "p.id", "posts p"),
        PostSort::Hot => ("p.hot_rank", "p.id", "posts p"),
        PostSort::Views => (
            "pv.view_count",
            "pv.post_id",
            "post_views pv JOIN posts p ON p.id = pv.post_id",
        ),
    }
}

impl Db {
    /// The WHERE clause shared by a list page and its count; `category` narrows a
    /// page's branch to one category of the filter's.
    fn push_post_filter(&self, s: &mut Stmt, f: &PostFilter, category: Option<i64>) {
        s.push_sql(" WHERE p.deleted_at IS NULL");
        if let Some(id) = category {
            s.push_bind(" AND p.category_id = ?", id);
        } else if let Some(ids) = &f.category_ids {
            s.push_sql(" AND p.category_id IN ");
            s.push_in_list(ids);
        }
        if let Some(a) = f.author_id {
            s.push_bind(" AND p.author_id = ?", a);
        }
        if let Some(label) = &f.sentiment {
            s.push_bind(" AND p.sentiment_label = ?", label.clone());
        }
        if let Some(prefix) = f.prefix_id {
            s.push_bind(" AND p.prefix_id = ?", prefix);
        }
    }

    /// The statement of one page of a post list.
    ///
    /// A deferred join: the inner query finds the page's ids from the sort index alone
    /// (skipping an OFFSET's rows there, without reading them), the outer one reads
    /// those rows and joins their category and author.
    ///
    /// A filter on several categories (a category and those below it) merges one
    /// ordered, limited branch per category: `category_id IN (…) ORDER BY created_at`
    /// cannot be read in order from any index, and sorting a whole board's posts for
    /// every page is what made it slow.
    pub(super) fn post_page_stmt(&self, f: &PostFilter, page: &PageRequest) -> Stmt {
        let (key, id, from) = sort_source(f.sort);
        let mut s = self.stmt(&format!(
            "SELECT {}",
            summary_columns(&format!("SUBSTR(p.content, 1, {EXCERPT_CHARS})"))
        ));
        // The total rides along as an uncorrelated scalar subquery (evaluated once):
        // one round trip per page instead of two.
        if counted_by_categories(f) {
            s.push_sql(", (");
            self.push_counter_total(&mut s, f);
            s.push_sql(") AS total_n");
        }
        s.push_sql(" FROM (");
        match f.category_ids.as_deref() {
            Some(ids) if ids.len() > 1 => {
                s.push_sql("SELECT id, sk FROM (");
                let depth = page.offset() as i64 + i64::from(page.size) + 1;
                for (i, category) in ids.iter().enumerate() {
                    if i > 0 {
                        s.push_sql(" UNION ALL ");
                    }
                    s.push_sql(&format!(
                        "SELECT * FROM (SELECT {id} AS id, {key} AS sk FROM {from}"
                    ));
                    self.push_post_filter(&mut s, f, Some(*category));
                    push_after(&mut s, key, id, true, page);
                    push_order(&mut s, key, id, true);
                    s.push_bind(&format!(" LIMIT ?) b{i}"), depth);
                }
                s.push_sql(") m");
                push_order(&mut s, "sk", "id", true);
                s.push_bind(" LIMIT ?", i64::from(page.size) + 1);
                s.push_bind(" OFFSET ?", page.offset() as i64);
            }
            one => {
                s.push_sql(&format!("SELECT {id} AS id, {key} AS sk FROM {from}"));
                self.push_post_filter(&mut s, f, one.and_then(|ids| ids.first().copied()));
                push_page(&mut s, key, id, true, page);
            }
        }
        s.push_sql(") k JOIN posts p ON p.id = k.id");
        s.push_sql(SUMMARY_JOINS);
        push_order(&mut s, "k.sk", "k.id", true);
        s
    }

    /// The statement of a post list's total.
    fn post_count_stmt(&self, f: &PostFilter) -> (Stmt, bool) {
        if counted_by_categories(f) {
            let mut c = self.stmt("");
            self.push_counter_total(&mut c, f);
            return (c, false);
        }
        let mut c = self.stmt("SELECT COUNT(*) AS n FROM (SELECT p.id FROM posts p");
        self.push_post_filter(&mut c, f, None);
        c.push_bind(" LIMIT ?) t", COUNT_CAP + 1);
        (c, true)
    }

    /// `SELECT SUM(post_count) AS n FROM categories [WHERE id IN (…)]`: the total of a
    /// list that only filters by category.
    fn push_counter_total(&self, s: &mut Stmt, f: &PostFilter) {
        let sum = self.as_bigint("COALESCE(SUM(post_count), 0)");
        s.push_sql(&format!("SELECT {sum} AS n FROM categories"));
        if let Some(ids) = &f.category_ids {
            s.push_sql(" WHERE id IN ");
            s.push_in_list(ids);
        }
    }

    /// Runs the SQL of one page of a post list and answers how many rows it gave, with
    /// none of the mapping, counting or HTTP around it: the data layer's ceiling for a
    /// list, which `madang-bench` measures beside the full request.
    pub async fn post_page_rows(&self, f: &PostFilter, page: &PageRequest) -> Result<usize> {
        let s = self.post_page_stmt(f, page);
        let rows = s.fetch_all(&mut *self.rd().await?).await?;
        Ok(rows.len())
    }

    /// The engine's plan of a post list page and of its total, as text.
    pub async fn explain_post_list(
        &self,
        f: &PostFilter,
        page: &PageRequest,
    ) -> Result<(String, String)> {
        let (count, _) = self.post_count_stmt(f);
        Ok((
            self.explain(self.post_page_stmt(f, page)).await?,
            self.explain(count).await?,
        ))
    }

    /// The total of a post list. The whole board or a category subtree is a sum of the
    /// categories' counters; any other filter counts matches, but at most COUNT_CAP of
    /// them: counting every match of a one-letter keyword would read the whole table.
    pub(super) async fn count_posts(&self, f: &PostFilter) -> Result<(i64, bool)> {
        let (c, capped) = self.post_count_stmt(f);
        let n = count(c, &mut *self.rd_lagging().await?).await?;
        if capped {
            Ok((n.min(COUNT_CAP), n > COUNT_CAP))
        } else {
            Ok((n, false))
        }
    }
}
