//! Sentiment: classifying a text on request, and labelling posts and comments in the
//! background after each create and edit.

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

/// Asks for labels to be computed off the request path (a spawned task today, the job
/// queue later). Fire and forget: a label that is never computed stays `null`.
pub trait LabelRequests: Send + Sync {
    fn post_written(&self, id: i64, version: i64, text: String);
    fn comment_written(&self, id: i64, version: i64, text: String);
}

/// Requests nothing (tests of other parts, and `MADANG_CLASSIFIER=off`).
pub struct NoLabels;

impl LabelRequests for NoLabels {
    fn post_written(&self, _: i64, _: i64, _: String) {}
    fn comment_written(&self, _: i64, _: i64, _: String) {}
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
    pub async fn analyse(&self, text: Option<&str>) -> Result<Labelled> {
        let text = text.ok_or_else(|| Error::invalid("text", "required", "text is required"))?;
        not_blank("text", text)
            .and_then(|_| char_len("text", text, 1, TEXT_MAX))
            .map_err(|v| Error::Validation(vec![v]))?;
        self.classifier.classify(text).await
    }

    /// Labels version `version` of a post; a label for an older version is dropped.
    pub async fn label_post(&self, id: i64, version: i64, text: &str) -> Result<()> {
        let l = self.classifier.classify(text).await?;
        if self
            .store
            .set_post_sentiment(id, version, &l.sentiment)
            .await?
        {
            self.cache.invalidate(&[scope::post(id)]).await;
        }
        Ok(())
    }

    pub async fn label_comment(&self, id: i64, version: i64, text: &str) -> Result<()> {
        let l = self.classifier.classify(text).await?;
        self.store
            .set_comment_sentiment(id, version, &l.sentiment)
            .await?;
        Ok(())
    }
}
