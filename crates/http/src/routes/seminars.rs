//! Seminars and the role profiles that run and join them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use madang_domain::seminars::{
    MemberRole, Profiles, RoleInput, Seminar, SeminarDetail, SeminarInput, SeminarQuery,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::dto::{Paged, rfc3339};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, JsonBody, OptionalJson, QueryParams};

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// `participant` or `instructor`.
    #[schema(
        required = true,
        nullable = false,
        example = "participant",
        pattern = "^(participant|instructor)$"
    )]
    pub role: Option<String>,
    /// For participants.
    #[schema(max_length = 100)]
    pub university: Option<String>,
    /// For instructors.
    #[schema(max_length = 100)]
    pub company: Option<String>,
    /// For instructors: years of experience.
    #[schema(minimum = 0, maximum = 100)]
    pub year: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantProfileView {
    pub university: String,
    pub accepted: bool,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstructorProfileView {
    pub company: String,
    pub year: Option<i64>,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfilesView {
    /// The role just added.
    pub role: &'static str,
    pub participant: Option<ParticipantProfileView>,
    pub instructor: Option<InstructorProfileView>,
}

fn profiles_view(role: &'static str, p: Profiles) -> ProfilesView {
    ProfilesView {
        role,
        participant: p.participant.map(|p| ParticipantProfileView {
            university: p.university,
            accepted: p.accepted,
            created_at: rfc3339(p.created_at),
        }),
        instructor: p.instructor.map(|i| InstructorProfileView {
            company: i.company,
            year: i.year,
            created_at: rfc3339(i.created_at),
        }),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SeminarRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub capacity: Option<i64>,
    /// Number of sessions.
    #[schema(minimum = 1, maximum = 1000000)]
    pub count: Option<i64>,
    /// `HH:MM`, 24-hour clock.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "19:30")]
    pub time: Option<String>,
    /// Defaults to `true` on create.
    pub online: Option<bool>,
}

/// A new seminar (deserialised as [`SeminarRequest`]; documents the required fields).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewSeminarRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(minimum = 1, maximum = 1000000)]
    pub capacity: i64,
    #[schema(minimum = 1, maximum = 1000000)]
    pub count: i64,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "19:30")]
    pub time: String,
    pub online: Option<bool>,
}

impl From<SeminarRequest> for SeminarInput {
    fn from(b: SeminarRequest) -> Self {
        Self {
            name: b.name,
            capacity: b.capacity,
            count: b.count,
            time: b.time,
            online: b.online,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct JoinRequest {
    /// `participant` (default) or `instructor`.
    #[schema(pattern = "^(participant|instructor)$")]
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstructorView {
    pub id: i64,
    pub name: Option<String>,
    pub company: Option<String>,
    pub joined_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantView {
    pub id: i64,
    pub name: Option<String>,
    pub university: Option<String>,
    pub joined_at: String,
    pub is_active: bool,
    pub dropped_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeminarItemView {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
    pub count: i64,
    pub time: String,
    pub online: bool,
    /// Active participants.
    pub participant_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Seminar> for SeminarItemView {
    fn from(s: Seminar) -> Self {
        Self {
            id: s.id,
            name: s.name,
            capacity: s.capacity,
            count: s.count,
            time: s.time,
            online: s.online,
            participant_count: s.participant_count,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeminarView {
    #[serde(flatten)]
    pub seminar: SeminarItemView,
    pub instructors: Vec<InstructorView>,
    pub participants: Vec<ParticipantView>,
}

impl From<SeminarDetail> for SeminarView {
    fn from(d: SeminarDetail) -> Self {
        let mut instructors = Vec::new();
        let mut participants = Vec::new();
        for m in d.members {
            match m.role {
                MemberRole::Instructor => instructors.push(InstructorView {
                    id: m.user_id,
                    name: m.name,
                    company: m.company,
                    joined_at: rfc3339(m.joined_at),
                }),
                MemberRole::Participant => participants.push(ParticipantView {
                    id: m.user_id,
                    name: m.name,
                    university: m.university,
                    joined_at: rfc3339(m.joined_at),
                    is_active: m.is_active,
                    dropped_at: m.dropped_at.map(rfc3339),
                }),
            }
        }
        Self {
            seminar: d.seminar.into(),
            instructors,
            participants,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeminarListParams {
    /// Seminars whose name contains this, ignoring case.
    #[param(max_length = 100)]
    pub name: Option<String>,
    /// `earliest` for oldest first; newest first by default.
    #[param(pattern = "^(earliest|newest)?$")]
    pub order: Option<String>,
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub size: Option<i64>,
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/users/me/roles", tag = "seminars", security(("bearer" = [])),
    request_body = RoleRequest,
    responses((status = 201, body = ProfilesView), (status = 400, body = ErrorBody, description = "role held already"),
        (status = 422, body = ErrorBody)))]
pub async fn add_role(
    State(s): State<AppState>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<RoleRequest>,
) -> ApiResult<(StatusCode, Json<ProfilesView>)> {
    let input = RoleInput {
        role: b.role,
        university: b.university,
        company: b.company,
        year: b.year,
    };
    let (kind, profiles) = s.seminars.add_profile(&actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(profiles_view(kind.as_str(), profiles)),
    ))
}

#[utoipa::path(post, path = "/api/v1/seminars", tag = "seminars", security(("bearer" = [])),
    request_body = NewSeminarRequest,
    responses((status = 201, body = SeminarView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<SeminarRequest>,
) -> ApiResult<(StatusCode, Json<SeminarView>)> {
    let detail = s.seminars.create(&actor, b.into()).await?;
    Ok((StatusCode::CREATED, Json(detail.into())))
}

#[utoipa::path(get, path = "/api/v1/seminars", tag = "seminars", params(SeminarListParams),
    responses((status = 200, body = Paged<SeminarItemView>)))]
pub async fn list(
    State(s): State<AppState>,
    QueryParams(q): QueryParams<SeminarListParams>,
) -> ApiResult<Json<Paged<SeminarItemView>>> {
    let query = SeminarQuery {
        name: q.name,
        order: q.order,
        page: q.page,
        size: q.size,
        cursor: q.cursor,
    };
    Ok(Json(Paged::new(s.seminars.list(query).await?, Into::into)))
}

#[utoipa::path(get, path = "/api/v1/seminars/{id}", tag = "seminars", params(("id" = i64, Path)),
    responses((status = 200, body = SeminarView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<SeminarView>> {
    Ok(Json(s.seminars.get(id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/seminars/{id}", tag = "seminars", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SeminarRequest,
    responses((status = 200, body = SeminarView),
        (status = 400, body = ErrorBody, description = "capacity below the active participants"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
    JsonBody(b): JsonBody<SeminarRequest>,
) -> ApiResult<Json<SeminarView>> {
    Ok(Json(s.seminars.update(&actor, id, b.into()).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/seminars/{id}/participants", tag = "seminars", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body(content = Option<JoinRequest>, description = "optional; joins as participant"),
    responses((status = 201, body = SeminarView),
        (status = 400, body = ErrorBody, description = "full, already in it, dropped before, or running another seminar"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn join(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
    OptionalJson(b): OptionalJson<JoinRequest>,
) -> ApiResult<(StatusCode, Json<SeminarView>)> {
    let role = match b.and_then(|b| b.role).as_deref() {
        None | Some("participant") => MemberRole::Participant,
        Some("instructor") => MemberRole::Instructor,
        Some(_) => {
            return Err(madang_domain::Error::invalid(
                "role",
                "one_of",
                "role must be participant or instructor",
            )
            .into());
        }
    };
    let detail = s.seminars.join(&actor, id, role).await?;
    Ok((StatusCode::CREATED, Json(detail.into())))
}

#[utoipa::path(delete, path = "/api/v1/seminars/{id}/participants/me", tag = "seminars", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = SeminarView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn drop_out(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Id(id): Id,
) -> ApiResult<Json<SeminarView>> {
    Ok(Json(s.seminars.drop_out(&actor, id).await?.into()))
}
