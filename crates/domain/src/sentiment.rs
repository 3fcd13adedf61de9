//! Sentiment: classifying a text on request, and labelling posts and comments by a
//! job enqueued with each create and edit.

use std::sync::Arc;

use crate::cache::scope;
use crate::error::{Error, Result, Violation};
use crate::ports::{Cache, Classifier, SentimentStore};
use crate::posts::Sentiment;
use crate::validate::{char_len, not_blank};

pub const TEXT_MAX: usize = 10_000;

/// A classification and the model that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub sentiment: Sentiment,
    pub model: String,
}

/// The labels a post list can be filtered by.
pub fn parse_label(field: &str, s: &str) -> Result<String, Violation> {
    match s {
        "positive" | "negative" => Ok(s.to_owned()),
        _ => Err(Violation::new(
            field,
            "one_of",
            format!("{field} must be positive or negative"),
        )),
    }
}

pub struct Sentiments {
    classifier: Arc<dyn Classifier>,
    store: Arc<dyn SentimentStore>,
    cache: Arc<dyn Cache>,
}

impl Sentiments {
    pub fn new(
        classifier: Arc<dyn Classifier>,
        store: Arc<dyn SentimentStore>,
        cache: Arc<dyn Cache>,
    ) -> Self {
        Self {
            classifier,
            store,
            cache,
        }
    }

    /// `POST /sentiment`: 1–10,000 characters, not blank.
    #[tracing::instrument(name = "sentiment.analyse", skip_all)]
    pub async fn analyse(&self, text: Option<&str>) -> Result<Labelled> {
        let text = text.ok_or_else(|| Error::invalid("text", "required", "text is required"))?;
        not_blank("text", text)
            .and_then(|_| char_len("text", text, 1, TEXT_MAX))
            .map_err(|v| Error::Validation(vec![v]))?;
        self.classifier.classify(text).await
    }

    /// Labels the latest version of a post (title and content). A post deleted since is
    /// left alone; a label computed for a version edited meanwhile is dropped, and that
    /// edit's own job labels the newer version. Safe to run twice.
    #[tracing::instrument(name = "sentiment.label_post", skip_all)]
    pub async fn label_post(&self, id: i64) -> Result<()> {
        let Some((version, text)) = self.store.post_text(id).await? else {
            return Ok(());
        };
        let l = self.classifier.classify(&text).await?;
        if self
            .store
            .set_post_sentiment(id, version, &l.sentiment)
            .await?
        {
            self.cache.invalidate(&scope::post_changed(id)).await;
        }
        Ok(())
    }

    /// Labels the latest version of a comment, as [`Sentiments::label_post`] does.
    #[tracing::instrument(name = "sentiment.label_comment", skip_all)]
    pub async fn label_comment(&self, id: i64) -> Result<()> {
        let Some((version, text)) = self.store.comment_text(id).await? else {
            return Ok(());
        };
        let l = self.classifier.classify(&text).await?;
        self.store
            .set_comment_sentiment(id, version, &l.sentiment)
            .await?;
        Ok(())
    }
}
