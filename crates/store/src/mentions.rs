//! Mentions (`@이름`): which members a post or a comment mentions, by id, written in the
//! transaction of the text's every version.

use std::collections::HashMap;

use madang_domain::Result;
use madang_domain::users::AuthorRef;

use crate::db::{Db, col};

/// What a mention is in.
#[derive(Clone, Copy)]
pub(crate) enum In {
    Post,
    Comment,
}

impl In {
    fn as_str(self) -> &'static str {
        match self {
            In::Post => "post",
            In::Comment => "comment",
        }
    }
}

impl Db {
    /// Writes the mentions of a new post or comment, in the caller's transaction.
    pub(crate) async fn add_mentions_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        source: In,
        id: i64,
        users: &[i64],
    ) -> Result<()> {
        for user in users {
            self.stmt("INSERT INTO mentions (source_type, source_id, user_id) VALUES (?, ?, ?)")
                .bind(source.as_str().to_owned())
                .bind(id)
                .bind(*user)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Replaces the mentions of an edited post or comment with `users`, in the caller's
    /// transaction (which holds the text's row lock). Rows are deleted by their key,
    /// never by a range: on MariaDB a range delete locks the gap where other texts'
    /// new mentions go, and two such writes would deadlock.
    pub(crate) async fn set_mentions_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        source: In,
        id: i64,
        users: &[i64],
    ) -> Result<()> {
        let rows = self
            .stmt("SELECT id, user_id FROM mentions WHERE source_type = ? AND source_id = ?")
            .bind(source.as_str().to_owned())
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let mut kept = Vec::new();
        for r in &rows {
            let user: i64 = col(r, "user_id")?;
            if users.contains(&user) {
                kept.push(user);
            } else {
                self.stmt("DELETE FROM mentions WHERE id = ?")
                    .bind(col::<i64>(r, "id")?)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let added: Vec<i64> = users
            .iter()
            .copied()
            .filter(|u| !kept.contains(u))
            .collect();
        self.add_mentions_in(tx, source, id, &added).await
    }

    /// The members each of `ids` mentions (not resigned), by their current names, in
    /// the order they were mentioned.
    pub(crate) async fn mentions_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        source: In,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<AuthorRef>>> {
        let mut out: HashMap<i64, Vec<AuthorRef>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut s = self.stmt(
            "SELECT m.source_id, u.id, u.name FROM mentions m JOIN users u ON u.id = m.user_id \
             WHERE u.deleted_at IS NULL AND m.source_type = ? AND m.source_id IN ",
        );
        s.args_add(source.as_str().to_owned());
        s.push_in_list(ids);
        s.push_sql(" ORDER BY m.source_id, m.id");
        for r in s.fetch_all(&mut *conn).await? {
            out.entry(col(&r, "source_id")?)
                .or_default()
                .push(AuthorRef {
                    id: col(&r, "id")?,
                    name: col(&r, "name")?,
                });
        }
        Ok(out)
    }

    /// The ids a post or comment mentions.
    pub(crate) async fn mentioned_ids(
        &self,
        conn: &mut sqlx::AnyConnection,
        source: In,
        id: i64,
    ) -> Result<Vec<i64>> {
        let rows = self
            .stmt(
                "SELECT user_id FROM mentions WHERE source_type = ? AND source_id = ? ORDER BY id",
            )
            .bind(source.as_str().to_owned())
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(|r| col(r, "user_id")).collect()
    }
}
