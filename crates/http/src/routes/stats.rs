//! Daily statistics, filled by the daily cron job.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::QueryParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyParams {
    /// First day, `YYYY-MM-DD`, in the statistics' time zone (Asia/Seoul by default).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, inclusive; a range spans at most 366 days.
    #[param(format = Date)]
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyStatsItem {
    #[schema(example = "2026-11-22")]
    pub date: String,
    pub new_users: i64,
    pub posts: i64,
    pub comments: i64,
    /// Votes on posts and on comments.
    pub votes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyStatsList {
    /// Oldest day first; days the job has not counted yet are absent.
    pub data: Vec<DailyStatsItem>,
}

/// Per-day counts; without a range, the latest 30 days counted.
#[utoipa::path(get, path = "/api/v1/stats/daily", tag = "stats", params(DailyParams),
    responses((status = 200, body = DailyStatsList), (status = 422, body = ErrorBody)))]
pub async fn daily(
    State(s): State<AppState>,
    QueryParams(q): QueryParams<DailyParams>,
) -> ApiResult<Json<DailyStatsList>> {
    let days = s
        .maintenance
        .daily(q.from.as_deref(), q.to.as_deref())
        .await?;
    Ok(Json(DailyStatsList {
        data: days
            .into_iter()
            .map(|d| DailyStatsItem {
                date: d.day.to_string(),
                new_users: d.counts.new_users,
                posts: d.counts.posts,
                comments: d.counts.comments,
                votes: d.counts.votes,
            })
            .collect(),
    }))
}
