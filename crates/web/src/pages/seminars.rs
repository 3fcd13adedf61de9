//! Seminars: the list with the places left, one seminar with who takes part, joining
//! and dropping for participants, creating for instructors, and the role profiles
//! that allow them.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use madang_domain::seminars::{
    MemberRole, Profiles, RoleInput, Seminar, SeminarInput, SeminarQuery,
};

use super::{Chrome, Failure, FieldErrors, PageResult, form, html, ok, path_id, query, see};
use crate::WebState;
use crate::i18n::Words;
use crate::session::Visitor;
use crate::view::{Pager, enc};

pub struct SeminarRow {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
    pub taken: i64,
    pub left: i64,
    pub count: i64,
    pub time: String,
    pub online: bool,
}

impl SeminarRow {
    fn new(s: &Seminar) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            capacity: s.capacity,
            taken: s.participant_count,
            left: (s.capacity - s.participant_count).max(0),
            count: s.count,
            time: s.time.clone(),
            online: s.online,
        }
    }
}

#[derive(Template)]
#[template(path = "seminars.html")]
pub struct SeminarsPage {
    pub c: Chrome,
    pub rows: Vec<SeminarRow>,
    pub pager: Pager,
    pub profiles: Option<Profiles>,
    pub errors: FieldErrors,
    pub added: bool,
}

async fn profiles_of(state: &WebState, v: &Visitor) -> Result<Option<Profiles>, Failure> {
    match &v.member {
        Some(m) => state
            .app
            .seminars
            .profiles(m.user.id)
            .await
            .map(Some)
            .map_err(|e| Failure::new(e, v.lang)),
        None => Ok(None),
    }
}

async fn list_page(
    state: &WebState,
    v: &Visitor,
    raw: Option<&str>,
    errors: FieldErrors,
) -> Result<SeminarsPage, Failure> {
    let q = query(raw, v.lang)?;
    let page = q.get("page").and_then(|p| p.parse::<i64>().ok());
    let list = state
        .app
        .seminars
        .list(SeminarQuery {
            page,
            size: Some(20),
            cursor: q.get("cursor").filter(|c| !c.is_empty()).map(str::to_owned),
            ..SeminarQuery::default()
        })
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let next = list.next_cursor.as_ref().map(|c| enc(&c.encode()));
    let mut c = Chrome::new(v, v.lang.t("seminars"));
    c.canonical = Some("/seminars".to_owned());
    Ok(SeminarsPage {
        rows: list.items.iter().map(SeminarRow::new).collect(),
        pager: Pager::new("/seminars?", list.current_page, list.total_pages(), next),
        profiles: profiles_of(state, v).await?,
        errors,
        added: q.get("added").is_some(),
        c,
    })
}

/// `/seminars`
pub async fn list(
    State(state): State<WebState>,
    v: Visitor,
    RawQuery(raw): RawQuery,
) -> PageResult {
    ok(&list_page(&state, &v, raw.as_deref(), FieldErrors::none()).await?)
}

/// `POST /seminars/profile`: a participant (`university`) or instructor (`company`)
/// profile for the member.
pub async fn add_profile(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let Some(m) = &v.member else {
        return Ok(see("/login?next=%2Fseminars"));
    };
    let f = form(&body, &v)?;
    let input = RoleInput {
        role: f.get("role").map(str::to_owned),
        university: f.get("university").map(str::to_owned),
        company: f.get("company").map(str::to_owned),
        year: None,
    };
    match state.app.seminars.add_profile(&m.actor(), input).await {
        Ok(_) => Ok(see("/seminars?added=1")),
        Err(e) => {
            let errors = FieldErrors::from_error(e, &["university", "company"], v.lang)?;
            let page = list_page(&state, &v, None, errors).await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

pub struct MemberRow {
    pub name: Option<String>,
    pub user_id: i64,
    pub instructor: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "seminar.html")]
pub struct SeminarPage {
    pub c: Chrome,
    pub s: SeminarRow,
    pub members: Vec<MemberRow>,
    pub taking_part: bool,
    pub instructing: bool,
    pub can_join: bool,
    pub error: Option<String>,
}

/// The seminar's page; `error` is why a join or drop was refused, with its status.
async fn seminar_page(
    state: &WebState,
    v: &Visitor,
    id: i64,
    error: Option<(StatusCode, String)>,
) -> PageResult {
    let d = state
        .app
        .seminars
        .get(id)
        .await
        .map_err(|e| Failure::new(e, v.lang))?;
    let me = v.member.as_ref().map(|m| m.user.id);
    let active: Vec<_> = d.members.iter().filter(|m| m.is_active).collect();
    let taking_part = active
        .iter()
        .any(|m| Some(m.user_id) == me && m.role == MemberRole::Participant);
    let instructing = active
        .iter()
        .any(|m| Some(m.user_id) == me && m.role == MemberRole::Instructor);
    let profiles = profiles_of(state, v).await?;
    let can_join = profiles.as_ref().is_some_and(|p| p.participant.is_some());
    let mut c = Chrome::new(v, d.seminar.name.clone());
    c.canonical = Some(format!("/seminars/{id}"));
    let page = SeminarPage {
        s: SeminarRow::new(&d.seminar),
        members: active
            .iter()
            .map(|m| MemberRow {
                name: m.name.clone(),
                user_id: m.user_id,
                instructor: m.role == MemberRole::Instructor,
                detail: m
                    .university
                    .clone()
                    .or_else(|| m.company.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        taking_part,
        instructing,
        can_join,
        c,
        error: error.as_ref().map(|(_, m)| m.clone()),
    };
    let status = error.map_or(StatusCode::OK, |(s, _)| s);
    Ok(html(status, &page))
}

/// `/seminars/{id}`
pub async fn show(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    seminar_page(&state, &v, id, None).await
}

/// `POST /seminars/{id}/join`
pub async fn join(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    enrol(state, v, raw_id, body, true).await
}

/// `POST /seminars/{id}/drop`
pub async fn drop_out(
    State(state): State<WebState>,
    v: Visitor,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> PageResult {
    enrol(state, v, raw_id, body, false).await
}

async fn enrol(state: WebState, v: Visitor, raw_id: String, body: Bytes, join: bool) -> PageResult {
    let id = path_id(&raw_id, v.lang)?;
    let Some(m) = &v.member else {
        return Ok(see(&format!("/login?next=%2Fseminars%2F{id}")));
    };
    form(&body, &v)?;
    let actor = m.actor();
    let done = if join {
        state
            .app
            .seminars
            .join(&actor, id, MemberRole::Participant)
            .await
    } else {
        state.app.seminars.drop_out(&actor, id).await
    };
    match done {
        Ok(_) => Ok(see(&format!("/seminars/{id}"))),
        Err(e @ (madang_domain::Error::NotFound(_) | madang_domain::Error::Internal(_))) => {
            Err(Failure::new(e, v.lang))
        }
        Err(e) => {
            let f = Failure::new(e, v.lang);
            let msg = f.detail.unwrap_or_default();
            seminar_page(&state, &v, id, Some((f.status, msg))).await
        }
    }
}

#[derive(Template)]
#[template(path = "seminar_form.html")]
pub struct SeminarForm {
    pub c: Chrome,
    pub name: String,
    pub capacity: String,
    pub count: String,
    pub time: String,
    pub online: bool,
    pub errors: FieldErrors,
}

/// `GET /seminars/new`
pub async fn new_page(v: Visitor) -> PageResult {
    if v.member.is_none() {
        return Ok(see("/login?next=%2Fseminars%2Fnew"));
    }
    ok(&SeminarForm {
        c: Chrome::new(&v, v.lang.t("new_seminar")),
        name: String::new(),
        capacity: String::new(),
        count: String::new(),
        time: String::new(),
        online: false,
        errors: FieldErrors::none(),
    })
}

/// `POST /seminars/new` (instructors)
pub async fn create(State(state): State<WebState>, v: Visitor, body: Bytes) -> PageResult {
    let Some(m) = &v.member else {
        return Ok(see("/login?next=%2Fseminars%2Fnew"));
    };
    let f = form(&body, &v)?;
    let text = |k: &str| f.get(k).unwrap_or("").trim().to_owned();
    let mut errors = FieldErrors::none();
    let mut number = |k: &str| -> Option<i64> {
        let s = text(k);
        if s.is_empty() {
            return None;
        }
        s.parse().ok().or_else(|| {
            errors
                .items
                .push((k.to_owned(), format!("{k} must be a whole number")));
            None
        })
    };
    let input = SeminarInput {
        name: Some(text("name")).filter(|s| !s.is_empty()),
        capacity: number("capacity"),
        count: number("count"),
        time: Some(text("time")).filter(|s| !s.is_empty()),
        online: Some(f.get("online").is_some()),
    };
    if !errors.any() {
        match state.app.seminars.create(&m.actor(), input).await {
            Ok(d) => return Ok(see(&format!("/seminars/{}", d.seminar.id))),
            Err(e) => {
                errors =
                    FieldErrors::from_error(e, &["name", "capacity", "count", "time"], v.lang)?;
            }
        }
    }
    let page = SeminarForm {
        c: Chrome::new(&v, v.lang.t("new_seminar")),
        name: text("name"),
        capacity: text("capacity"),
        count: text("count"),
        time: text("time"),
        online: f.get("online").is_some(),
        errors,
    };
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
