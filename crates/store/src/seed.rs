//! Bulk loading for `madang seed`: multi-row inserts of generated users, posts (with
//! their versions), comments (with theirs) and votes.
//!
//! A [`SeedBatch`] is written in one transaction, and its counters (`comment_count`,
//! `vote_count`) are those of the rows in the same batch, so an interrupted seed leaves
//! whole posts behind. The categories' post counters are recounted once at the end
//! ([`Db::seed_finish`], which an interrupted seed runs too): moving them batch by
//! batch would make concurrent writers queue (and, on MariaDB, deadlock) on the
//! category rows every batch touches. Ids are chosen by the caller (the next ids
//! after the largest present), so the rows of a batch can point at each other without
//! reading ids back.

use madang_domain::Result;

use crate::db::{Db, Engine, Stmt, commit, count};

/// Bind parameters per statement: under every engine's limit (SQLite's is 32,766).
const MAX_PARAMS: usize = 30_000;
/// Rows per statement, whatever their width: longer statements buy nothing more.
const MAX_ROWS: usize = 1_000;

#[derive(Debug, Clone)]
pub struct SeedUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct SeedVersion {
    pub title: String,
    pub content: String,
    pub created_at: i64,
}

/// A post as its row holds it, with every version, oldest first; the last is the
/// current title and content.
#[derive(Debug, Clone)]
pub struct SeedPost {
    pub id: i64,
    pub category_id: i64,
    pub author_id: i64,
    pub search_text: String,
    pub comment_count: i64,
    pub vote_count: i64,
    pub hot_rank: f64,
    pub sentiment: Option<(String, f64)>,
    pub created_at: i64,
    pub versions: Vec<SeedVersion>,
}

#[derive(Debug, Clone)]
pub struct SeedComment {
    pub id: i64,
    pub post_id: i64,
    pub author_id: i64,
    pub content: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct SeedVote {
    pub post_id: i64,
    pub user_id: i64,
    pub created_at: i64,
}

/// Posts with all their comments and votes.
#[derive(Debug, Clone, Default)]
pub struct SeedBatch {
    pub posts: Vec<SeedPost>,
    pub comments: Vec<SeedComment>,
    pub votes: Vec<SeedVote>,
}

/// The first free ids.
#[derive(Debug, Clone, Copy)]
pub struct SeedIds {
    pub user: i64,
    pub post: i64,
    pub comment: i64,
}

impl Db {
    /// One past the largest user, post and comment id.
    pub async fn seed_next_ids(&self) -> Result<SeedIds> {
        let mut conn = self.rd().await?;
        let next = |table: &'static str| {
            self.stmt(&format!(
                "SELECT COALESCE(MAX(id), 0) + 1 AS n FROM {table}"
            ))
        };
        Ok(SeedIds {
            user: count(next("users"), &mut *conn).await?,
            post: count(next("posts"), &mut *conn).await?,
            comment: count(next("comments"), &mut *conn).await?,
        })
    }

    pub async fn seed_users(&self, users: &[SeedUser]) -> Result<()> {
        let mut tx = self.begin().await?;
        self.insert_rows(
            &mut tx,
            "INSERT INTO users (id, name, name_key, email, email_key, password_hash, role, state, created_at, updated_at)",
            10,
            users,
            |s, u| {
                s.args_add(u.id);
                s.args_add(u.name.clone());
                s.args_add(madang_domain::users::name_key(&u.name));
                s.args_add(u.email.clone());
                s.args_add(madang_domain::users::fold_case(&u.email));
                s.args_add(u.password_hash.clone());
                s.args_add("user".to_owned());
                s.args_add("active".to_owned());
                s.args_add(u.created_at);
                s.args_add(u.created_at);
            },
        )
        .await?;
        commit(tx).await
    }

    /// Writes a batch and the category counters it moves in one transaction.
    pub async fn seed_batch(&self, b: &SeedBatch) -> Result<()> {
        let mut tx = self.begin().await?;
        self.insert_rows(
            &mut tx,
            // Seeded comments are all top-level: each is a thread of its own.
            "INSERT INTO posts (id, category_id, author_id, title, content, search_text, version, comment_count, \
             thread_count, vote_count, hot_rank, sentiment_label, sentiment_score, created_at, updated_at)",
            15,
            &b.posts,
            |s, p| {
                let (first, last) = (&p.versions[0], &p.versions[p.versions.len() - 1]);
                s.args_add(p.id);
                s.args_add(p.category_id);
                s.args_add(p.author_id);
                s.args_add(last.title.clone());
                s.args_add(last.content.clone());
                s.args_add(p.search_text.clone());
                s.args_add(p.versions.len() as i64);
                s.args_add(p.comment_count);
                s.args_add(p.comment_count);
                s.args_add(p.vote_count);
                s.args_add(p.hot_rank);
                s.args_add(p.sentiment.as_ref().map(|(l, _)| l.clone()));
                s.args_add(p.sentiment.as_ref().map(|(_, v)| *v));
                s.args_add(first.created_at);
                s.args_add(last.created_at);
            },
        )
        .await?;
        let versions: Vec<(i64, i64, &SeedVersion)> = b
            .posts
            .iter()
            .flat_map(|p| {
                p.versions
                    .iter()
                    .enumerate()
                    .map(move |(i, v)| (p.id, i as i64 + 1, v))
            })
            .collect();
        self.insert_rows(
            &mut tx,
            "INSERT INTO post_versions (post_id, version, title, content, created_at)",
            5,
            &versions,
            |s, (id, n, v)| {
                s.args_add(*id);
                s.args_add(*n);
                s.args_add(v.title.clone());
                s.args_add(v.content.clone());
                s.args_add(v.created_at);
            },
        )
        .await?;
        self.insert_rows(
            &mut tx,
            "INSERT INTO post_views (post_id, view_count)",
            2,
            &b.posts,
            |s, p| {
                s.args_add(p.id);
                s.args_add(0_i64);
            },
        )
        .await?;
        self.insert_rows(
            &mut tx,
            "INSERT INTO comments (id, post_id, author_id, content, version, vote_count, created_at, updated_at)",
            8,
            &b.comments,
            |s, c| {
                s.args_add(c.id);
                s.args_add(c.post_id);
                s.args_add(c.author_id);
                s.args_add(c.content.clone());
                s.args_add(1_i64);
                s.args_add(0_i64);
                s.args_add(c.created_at);
                s.args_add(c.created_at);
            },
        )
        .await?;
        self.insert_rows(
            &mut tx,
            "INSERT INTO comment_versions (comment_id, version, content, created_at)",
            4,
            &b.comments,
            |s, c| {
                s.args_add(c.id);
                s.args_add(1_i64);
                s.args_add(c.content.clone());
                s.args_add(c.created_at);
            },
        )
        .await?;
        self.insert_rows(
            &mut tx,
            "INSERT INTO post_votes (post_id, user_id, created_at)",
            3,
            &b.votes,
            |s, v| {
                s.args_add(v.post_id);
                s.args_add(v.user_id);
                s.args_add(v.created_at);
            },
        )
        .await?;
        commit(tx).await
    }

    /// After a seed: the categories' post counters, identity sequences past the
    /// explicit ids (PostgreSQL), and fresh planner statistics.
    pub async fn seed_finish(&self) -> Result<()> {
        let mut conn = self.wr().await?;
        self.stmt(
            "UPDATE categories SET post_count = \
             (SELECT COUNT(*) FROM posts p WHERE p.category_id = categories.id AND p.deleted_at IS NULL)",
        )
        .execute(&mut *conn)
        .await?;
        // The seed wrote posts around the search change log: a new generation makes
        // every node rebuild its index.
        self.stmt("UPDATE search_state SET generation = generation + 1 WHERE id = 1")
            .execute(&mut *conn)
            .await?;
        let statements: Vec<String> = match self.engine {
            Engine::Postgres => {
                let mut v: Vec<String> = ["users", "posts", "comments"]
                    .iter()
                    .map(|t| {
                        format!(
                            "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
                        )
                    })
                    .collect();
                // VACUUM also sets the visibility map, which index-only scans need.
                v.push("VACUUM ANALYZE".into());
                v
            }
            Engine::MySql => vec![
                "ANALYZE TABLE users, categories, posts, post_versions, post_votes, comments, comment_versions"
                    .into(),
            ],
            Engine::Sqlite => vec!["ANALYZE".into()],
        };
        for sql in statements {
            // setval and ANALYZE TABLE answer with a row; it is of no interest.
            self.stmt(&sql).fetch_all(&mut *conn).await?;
        }
        Ok(())
    }

    /// `head VALUES (…), (…), …` in statements of at most MAX_PARAMS parameters.
    async fn insert_rows<T>(
        &self,
        tx: &mut sqlx::AnyConnection,
        head: &str,
        width: usize,
        rows: &[T],
        bind: impl Fn(&mut Stmt, &T),
    ) -> Result<()> {
        let per = (MAX_PARAMS / width).min(MAX_ROWS);
        let one = format!("({})", vec!["?"; width].join(", "));
        for chunk in rows.chunks(per) {
            let mut s = self.stmt(&format!(
                "{head} VALUES {}",
                vec![one.as_str(); chunk.len()].join(", ")
            ));
            for r in chunk {
                bind(&mut s, r);
            }
            s.execute(&mut *tx).await?;
        }
        Ok(())
    }
}
