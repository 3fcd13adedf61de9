//! The `Classifier` port's adapters: the built-in model, and an external model server
//! behind a timeout, bounded retries and a circuit breaker, falling back to the
//! built-in model whenever the server cannot answer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use madang_domain::Result;
use madang_domain::ports::Classifier;
use madang_domain::posts::Sentiment;
use madang_domain::sentiment::Labelled;

use crate::model::Model;

fn observe(model: &'static str, started: Instant) {
    metrics::histogram!("madang_classifier_duration_seconds", "model" => model)
        .record(started.elapsed().as_secs_f64());
}

/// The built-in model: a few microseconds per text, run inline.
pub struct BuiltIn {
    model: Model,
}

impl BuiltIn {
    pub fn new(model: Model) -> Self {
        Self { model }
    }

    pub fn label(&self, text: &str) -> Labelled {
        let p = f64::from(self.model.positive_probability(text));
        let (label, score) = if p >= 0.5 {
            ("positive", p)
        } else {
            ("negative", 1.0 - p)
        };
        Labelled {
            sentiment: Sentiment {
                label: label.to_owned(),
                score,
            },
            model: self.model.name.clone(),
        }
    }
}

#[async_trait]
impl Classifier for BuiltIn {
    async fn classify(&self, text: &str) -> Result<Labelled> {
        let started = Instant::now();
        let l = self.label(text);
        observe("builtin", started);
        Ok(l)
    }
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub url: String,
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long an open circuit sends everything to the fallback.
    pub open_for: Duration,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

/// An external model server that takes `{"text": …}` and answers `{"sentiment": …}`
/// or `{"label": …, "score": …}`.
pub struct HttpClassifier {
    settings: HttpSettings,
    client: reqwest::Client,
    breaker: Mutex<Breaker>,
    fallback: Arc<dyn Classifier>,
    name: String,
}

impl HttpClassifier {
    pub fn new(
        settings: HttpSettings,
        fallback: Arc<dyn Classifier>,
    ) -> std::result::Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        // The host alone names the server in logs and health: any user information
        // (`user:password@`) before it stays out.
        let authority = settings.url.split('/').nth(2).unwrap_or("external");
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host)
            .to_owned();
        Ok(Self {
            name: format!("external:{host}"),
            settings,
            client,
            breaker: Mutex::default(),
            fallback,
        })
    }

    fn open(&self) -> bool {
        let b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        b.open_until.is_some_and(|t| Instant::now() < t)
    }

    fn record(&self, ok: bool) {
        let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            *b = Breaker::default();
            return;
        }
        b.failures += 1;
        if b.failures >= self.settings.failure_threshold {
            if b.open_until.is_none_or(|t| Instant::now() >= t) {
                tracing::warn!(classifier = %self.name, "model server failing; using the built-in model for a while");
            }
            b.open_until = Some(Instant::now() + self.settings.open_for);
        }
    }

    async fn call(&self, text: &str) -> std::result::Result<Sentiment, String> {
        let res = self
            .client
            .post(&self.settings.url)
            .json(&serde_json::json!({"text": text}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("status {}", res.status()));
        }
        let v: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
        parse_answer(&v).ok_or_else(|| format!("unreadable answer {v}"))
    }
}

/// Reads `{"sentiment": "positive"}` (the seed's server: no score, taken as 1.0),
/// `{"label": "negative", "score": 0.93}`, or 1/0 and 긍정/부정 for the label.
fn parse_answer(v: &serde_json::Value) -> Option<Sentiment> {
    let raw = v.get("label").or_else(|| v.get("sentiment"))?;
    let label = match raw {
        serde_json::Value::String(s) => match s.to_lowercase().as_str() {
            "positive" | "pos" | "1" | "긍정" => "positive",
            "negative" | "neg" | "0" | "부정" => "negative",
            _ => return None,
        },
        serde_json::Value::Number(n) => match n.as_i64()? {
            1 => "positive",
            0 => "negative",
            _ => return None,
        },
        _ => return None,
    };
    let score = v
        .get("score")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(1.0)
        .clamp(0.0, 1.0);
    Some(Sentiment {
        label: label.to_owned(),
        score,
    })
}

#[async_trait]
impl Classifier for HttpClassifier {
    async fn classify(&self, text: &str) -> Result<Labelled> {
        if !self.open() {
            let started = Instant::now();
            for attempt in 0..=self.settings.retries {
                match self.call(text).await {
                    Ok(sentiment) => {
                        self.record(true);
                        observe("external", started);
                        return Ok(Labelled {
                            sentiment,
                            model: self.name.clone(),
                        });
                    }
                    Err(e) => {
                        tracing::debug!(attempt, error = %e, "model server call failed");
                        metrics::counter!("madang_classifier_errors_total").increment(1);
                    }
                }
            }
            self.record(false);
        }
        self.fallback.classify(text).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_either_shape_are_read() {
        let s = parse_answer(&serde_json::json!({"sentiment": "positive"})).unwrap();
        assert_eq!((s.label.as_str(), s.score), ("positive", 1.0));
        let s = parse_answer(&serde_json::json!({"label": "negative", "score": 0.8})).unwrap();
        assert_eq!((s.label.as_str(), s.score), ("negative", 0.8));
        assert_eq!(
            parse_answer(&serde_json::json!({"sentiment": 0}))
                .unwrap()
                .label,
            "negative"
        );
        assert_eq!(
            parse_answer(&serde_json::json!({"sentiment": "부정"}))
                .unwrap()
                .label,
            "negative"
        );
        assert!(parse_answer(&serde_json::json!({"sentiment": "meh"})).is_none());
        assert!(parse_answer(&serde_json::json!({"other": 1})).is_none());
    }

    struct Never;

    #[async_trait::async_trait]
    impl Classifier for Never {
        async fn classify(&self, _: &str) -> Result<Labelled> {
            Err(madang_domain::Error::Unavailable("unused".into()))
        }
    }

    #[test]
    fn a_model_server_is_named_by_its_host_without_credentials() {
        let settings = |url: &str| HttpSettings {
            url: url.to_owned(),
            timeout: Duration::from_secs(1),
            retries: 0,
            failure_threshold: 1,
            open_for: Duration::from_secs(1),
        };
        let named = |url| {
            HttpClassifier::new(settings(url), Arc::new(Never))
                .unwrap()
                .name
        };
        assert_eq!(
            named("http://user:model-pass@classifier:9000/v1"),
            "external:classifier:9000"
        );
        assert_eq!(named("http://classifier:9000/"), "external:classifier:9000");
    }
}
