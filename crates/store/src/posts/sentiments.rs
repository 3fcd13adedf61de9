//! The sentiment labeller's reads and writes of posts' and comments' text.

use super::*;

#[async_trait]
impl madang_domain::ports::SentimentStore for Db {
    async fn post_text(&self, id: i64) -> Result<Option<(i64, String)>> {
        let row = self
            .stmt("SELECT version, title, content FROM posts WHERE id = ? AND deleted_at IS NULL")
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        row.map(|r| {
            let title: String = col(&r, "title")?;
            let content: String = col(&r, "content")?;
            Ok((col(&r, "version")?, format!("{title}\n{content}")))
        })
        .transpose()
    }

    async fn comment_text(&self, id: i64) -> Result<Option<(i64, String)>> {
        let row = self
            .stmt("SELECT version, content FROM comments WHERE id = ? AND deleted_at IS NULL")
            .bind(id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        row.map(|r| Ok((col(&r, "version")?, col(&r, "content")?)))
            .transpose()
    }

    async fn set_post_sentiment(&self, id: i64, version: i64, s: &Sentiment) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = self
            .stmt("UPDATE posts SET sentiment_label = ?, sentiment_score = ? WHERE id = ? AND version = ?")
            .bind(s.label.clone())
            .bind(s.score)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        if n > 0 {
            self.note_search_change(&mut tx, id).await?;
        }
        commit(tx).await?;
        Ok(n > 0)
    }

    async fn set_comment_sentiment(&self, id: i64, version: i64, s: &Sentiment) -> Result<bool> {
        let n = self
            .stmt("UPDATE comments SET sentiment_label = ?, sentiment_score = ? WHERE id = ? AND version = ?")
            .bind(s.label.clone())
            .bind(s.score)
            .bind(id)
            .bind(version)
            .execute(&mut *self.wr().await?)
            .await?;
        Ok(n > 0)
    }
}
