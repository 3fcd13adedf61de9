//! Sentiment of a text, by the configured classifier.

use axum::Json;
use axum::extract::State;
use madang_domain::limits::Action;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Client, JsonBody, MaybeAuth};

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SentimentRequest {
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 10000,
        example = "정말 재밌게 봤어요"
    )]
    pub text: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SentimentResponse {
    /// `positive` or `negative`.
    pub label: String,
    /// Confidence in the label, 0.5..1 for the built-in model.
    pub score: f64,
    /// The model that answered.
    pub model: String,
}

#[utoipa::path(post, path = "/api/v1/sentiment", tag = "sentiment", request_body = SentimentRequest,
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = SentimentResponse), (status = 422, body = ErrorBody)))]
pub async fn analyse(
    State(s): State<AppState>,
    MaybeAuth(viewer): MaybeAuth,
    Client(client): Client,
    JsonBody(b): JsonBody<SentimentRequest>,
) -> ApiResult<Json<SentimentResponse>> {
    s.limits
        .check(Action::Sentiment, viewer.as_ref(), &client)
        .await?;
    let l = s.sentiments.analyse(b.text.as_deref()).await?;
    Ok(Json(SentimentResponse {
        label: l.sentiment.label,
        score: l.sentiment.score,
        model: l.model,
    }))
}
