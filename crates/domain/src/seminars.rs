//! Seminars: capacity-limited enrolment, instructors and participants.
//!
//! The capacity rule is settled by the store under a row lock on the seminar (see
//! `docs/decisions.md`); this module checks inputs and permissions around it.

use std::sync::Arc;

use crate::accounts::Actor;
use crate::cache::{Entry, read_through, scope};
use crate::error::{Error, Result, Violation};
use crate::listing::{Cursor, KeyValue, Page, PageRequest};
use crate::ports::{Cache, SeminarStore};
use crate::search::Keyword;
use crate::time::{Clock, Timestamp};
use crate::validate::{Violations, char_len, not_blank};

pub const NAME_MAX: usize = 100;
pub const PROFILE_TEXT_MAX: usize = 100;
pub const ORDER_NEWEST: &str = "seminars.newest";
pub const ORDER_EARLIEST: &str = "seminars.earliest";

/// A role profile a member can add to their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    Participant,
    Instructor,
}

impl ProfileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Participant => "participant",
            Self::Instructor => "instructor",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, Violation> {
        match s {
            "participant" => Ok(Self::Participant),
            "instructor" => Ok(Self::Instructor),
            _ => Err(Violation::new(
                field,
                "one_of",
                format!("{field} must be participant or instructor"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantProfile {
    pub university: String,
    pub accepted: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructorProfile {
    pub company: String,
    pub year: Option<i64>,
    pub created_at: Timestamp,
}

/// The role profiles a user holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profiles {
    pub participant: Option<ParticipantProfile>,
    pub instructor: Option<InstructorProfile>,
}

/// `POST /users/me/roles` as received.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    pub role: Option<String>,
    pub university: Option<String>,
    pub company: Option<String>,
    pub year: Option<i64>,
}

/// A start time, `HH:MM` on the 24-hour clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockTime(String);

impl ClockTime {
    pub fn parse(field: &str, s: &str) -> Result<Self, Violation> {
        let bad = || {
            Violation::new(
                field,
                "time",
                format!("{field} must be HH:MM on the 24-hour clock"),
            )
        };
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Seminar fields as received (create: all but `online` required; update: all optional).
#[derive(Debug, Clone, Default)]
pub struct SeminarInput {
    pub name: Option<String>,
    pub capacity: Option<i64>,
    pub count: Option<i64>,
    pub time: Option<String>,
    pub online: Option<bool>,
}

impl SeminarInput {
    /// Checks the fields by the seminar rules — every violation at once. Creating,
    /// all but `online` are required; updating, an absent field keeps its value.
    pub fn check(&self, creating: bool) -> Result<SeminarChange> {
        let mut v = Violations::new();
        let required = |v: &mut Violations, field: &str, present: bool| {
            if creating && !present {
                v.add(field, "required", format!("{field} is required"));
            }
        };
        required(&mut v, "name", self.name.is_some());
        required(&mut v, "capacity", self.capacity.is_some());
        required(&mut v, "count", self.count.is_some());
        required(&mut v, "time", self.time.is_some());
        let change = SeminarChange {
            name: self.name.as_deref().and_then(|n| check_name(&mut v, n)),
            capacity: self
                .capacity
                .and_then(|c| check_positive(&mut v, "capacity", c)),
            count: self.count.and_then(|c| check_positive(&mut v, "count", c)),
            time: self
                .time
                .as_deref()
                .and_then(|t| v.check(ClockTime::parse("time", t))),
            online: self.online.or(if creating { Some(true) } else { None }),
        };
        v.into_result()?;
        Ok(change)
    }
}

/// The refusal of a capacity below the seminar's active participants (the store
/// settles it under the seminar's row lock).
pub fn below_participants(n: i64) -> Violation {
    Violation::new(
        "capacity",
        "participants",
        format!("capacity cannot go below the {n} active participants"),
    )
}

/// Checked seminar fields; `None` keeps the current value on update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeminarChange {
    pub name: Option<String>,
    pub capacity: Option<i64>,
    pub count: Option<i64>,
    pub time: Option<ClockTime>,
    pub online: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seminar {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
    pub count: i64,
    pub time: String,
    pub online: bool,
    /// Active participants.
    pub participant_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Instructor,
    Participant,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instructor => "instructor",
            Self::Participant => "participant",
        }
    }
}

/// A user's place in a seminar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: i64,
    /// `None` when the user resigned.
    pub name: Option<String>,
    pub role: MemberRole,
    pub university: Option<String>,
    pub company: Option<String>,
    pub joined_at: Timestamp,
    pub is_active: bool,
    pub dropped_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeminarDetail {
    pub seminar: Seminar,
    pub members: Vec<Member>,
}

/// What the store found when asked to enrol someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    NoSeminar,
    Full,
    AlreadyMember,
    DroppedBefore,
    /// Instructors run one seminar at a time.
    InstructsAnother,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropOutcome {
    Dropped,
    NoSeminar,
    NotMember,
    Instructor,
    AlreadyDropped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    Updated,
    NoSeminar,
    NotInstructor,
    BelowParticipants(i64),
}

#[derive(Debug, Clone, Default)]
pub struct SeminarQuery {
    pub name: Option<String>,
    pub order: Option<String>,
    pub page: Option<i64>,
    pub size: Option<i64>,
    pub cursor: Option<String>,
}

/// A checked seminar list request.
#[derive(Debug, Clone)]
pub struct SeminarFilter {
    pub name: Option<Keyword>,
    pub earliest_first: bool,
}

pub struct Seminars {
    store: Arc<dyn SeminarStore>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
}

/// A list page as cached: the cursor is kept in its encoded form.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedPage {
    items: Vec<Seminar>,
    total_items: i64,
    next_cursor: Option<String>,
}

fn check_name(v: &mut Violations, name: &str) -> Option<String> {
    let n = crate::search::text::nfc(name.trim());
    v.check(
        not_blank("name", &n)
            .and_then(|_| crate::validate::visible("name", &n))
            .and_then(|_| char_len("name", &n, 1, NAME_MAX)),
    )
    .map(|_| n)
}

fn check_positive(v: &mut Violations, field: &str, n: i64) -> Option<i64> {
    if n > 0 && n <= 1_000_000 {
        Some(n)
    } else {
        v.add(
            field,
            "range",
            format!("{field} must be between 1 and 1000000"),
        );
        None
    }
}

impl Seminars {
    pub fn new(store: Arc<dyn SeminarStore>, cache: Arc<dyn Cache>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            cache,
            clock,
        }
    }

    /// Any enrolment or seminar change moves the list (counts, names, order).
    async fn list_changed(&self) {
        self.cache.invalidate(&[scope::SEMINARS.to_owned()]).await;
    }

    /// Adds a role profile; holding it already is a `400`.
    #[tracing::instrument(name = "seminars.add_profile", skip_all)]
    pub async fn add_profile(
        &self,
        actor: &Actor,
        input: RoleInput,
    ) -> Result<(ProfileKind, Profiles)> {
        actor.ensure_can_write()?;
        let mut v = Violations::new();
        let kind = match input.role.as_deref() {
            Some(r) => v.check(ProfileKind::parse("role", r)),
            None => {
                v.add("role", "required", "role is required");
                None
            }
        };
        let text = |v: &mut Violations, field: &str, s: &Option<String>| -> String {
            let s = s.as_deref().unwrap_or_default().trim().to_owned();
            v.check(char_len(field, &s, 0, PROFILE_TEXT_MAX))
                .map(|_| s)
                .unwrap_or_default()
        };
        let university = text(&mut v, "university", &input.university);
        let company = text(&mut v, "company", &input.company);
        if input.year.is_some_and(|y| !(0..=100).contains(&y)) {
            v.add("year", "range", "year must be between 0 and 100");
        }
        v.into_result()?;
        let Some(kind) = kind else {
            return Err(Error::invalid("role", "required", "role is required"));
        };
        let now = self.clock.now();
        let added = match kind {
            ProfileKind::Participant => {
                self.store
                    .add_participant_profile(actor.id, &university, now)
                    .await?
            }
            ProfileKind::Instructor => {
                self.store
                    .add_instructor_profile(actor.id, &company, input.year, now)
                    .await?
            }
        };
        if !added {
            return Err(Error::BadRequest(format!(
                "you hold the {} role already",
                kind.as_str()
            )));
        }
        Ok((kind, self.store.profiles(actor.id).await?))
    }

    #[tracing::instrument(name = "seminars.profiles", skip_all)]
    pub async fn profiles(&self, user_id: i64) -> Result<Profiles> {
        self.store.profiles(user_id).await
    }

    /// Creates a seminar run by its creator, who needs the instructor role.
    #[tracing::instrument(name = "seminars.create", skip_all)]
    pub async fn create(&self, actor: &Actor, input: SeminarInput) -> Result<SeminarDetail> {
        actor.ensure_can_write()?;
        if self.store.profiles(actor.id).await?.instructor.is_none() {
            return Err(Error::Forbidden(
                "creating a seminar needs the instructor role".into(),
            ));
        }
        let change = input.check(true)?;
        let id = self
            .store
            .insert_seminar(actor.id, &change, self.clock.now())
            .await?;
        self.list_changed().await;
        self.get(id).await
    }

    #[tracing::instrument(name = "seminars.get", skip_all)]
    pub async fn get(&self, id: i64) -> Result<SeminarDetail> {
        self.store
            .seminar(id)
            .await?
            .ok_or(Error::NotFound("seminar"))
    }

    /// Changes a seminar; only its instructors may, and the capacity may not go
    /// below the active participants.
    #[tracing::instrument(name = "seminars.update", skip_all)]
    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        input: SeminarInput,
    ) -> Result<SeminarDetail> {
        actor.ensure_can_write()?;
        let change = input.check(false)?;
        match self
            .store
            .update_seminar(id, actor.id, &change, self.clock.now())
            .await?
        {
            UpdateOutcome::Updated => {
                self.list_changed().await;
                self.get(id).await
            }
            UpdateOutcome::NoSeminar => Err(Error::NotFound("seminar")),
            UpdateOutcome::NotInstructor => Err(Error::Forbidden(
                "only its instructors may change a seminar".into(),
            )),
            UpdateOutcome::BelowParticipants(n) => {
                Err(Error::BadRequest(below_participants(n).message))
            }
        }
    }

    /// Joins a seminar as a participant (or as an instructor, who runs one at a time).
    #[tracing::instrument(name = "seminars.join", skip_all)]
    pub async fn join(&self, actor: &Actor, id: i64, role: MemberRole) -> Result<SeminarDetail> {
        actor.ensure_can_write()?;
        if self.store.seminar_exists(id).await? {
            let profiles = self.store.profiles(actor.id).await?;
            match role {
                MemberRole::Participant => match profiles.participant {
                    None => {
                        return Err(Error::Forbidden(
                            "joining needs the participant role".into(),
                        ));
                    }
                    Some(p) if !p.accepted => {
                        return Err(Error::Forbidden(
                            "your participant registration is not accepted".into(),
                        ));
                    }
                    Some(_) => {}
                },
                MemberRole::Instructor if profiles.instructor.is_none() => {
                    return Err(Error::Forbidden(
                        "joining as instructor needs the instructor role".into(),
                    ));
                }
                MemberRole::Instructor => {}
            }
        }
        match self
            .store
            .join_seminar(id, actor.id, role, self.clock.now())
            .await?
        {
            JoinOutcome::Joined => {
                self.list_changed().await;
                self.get(id).await
            }
            JoinOutcome::NoSeminar => Err(Error::NotFound("seminar")),
            JoinOutcome::Full => Err(Error::BadRequest("the seminar is full".into())),
            JoinOutcome::AlreadyMember => {
                Err(Error::BadRequest("you are in this seminar already".into()))
            }
            JoinOutcome::DroppedBefore => Err(Error::BadRequest(
                "you dropped this seminar and cannot rejoin".into(),
            )),
            JoinOutcome::InstructsAnother => Err(Error::BadRequest(
                "you are running another seminar already".into(),
            )),
        }
    }

    #[tracing::instrument(name = "seminars.drop_out", skip_all)]
    pub async fn drop_out(&self, actor: &Actor, id: i64) -> Result<SeminarDetail> {
        actor.ensure_can_write()?;
        match self
            .store
            .drop_seminar(id, actor.id, self.clock.now())
            .await?
        {
            DropOutcome::Dropped => {
                self.list_changed().await;
                self.get(id).await
            }
            DropOutcome::NoSeminar => Err(Error::NotFound("seminar")),
            DropOutcome::NotMember => Err(Error::BadRequest("you are not in this seminar".into())),
            DropOutcome::AlreadyDropped => {
                Err(Error::BadRequest("you dropped this seminar already".into()))
            }
            DropOutcome::Instructor => Err(Error::Forbidden(
                "an instructor cannot drop their seminar".into(),
            )),
        }
    }

    #[tracing::instrument(name = "seminars.list", skip_all)]
    pub async fn list(&self, q: SeminarQuery) -> Result<Page<Seminar>> {
        let mut v = Violations::new();
        let name = q
            .name
            .as_deref()
            .and_then(|n| v.check(Keyword::parse("name", n)))
            .flatten();
        let earliest_first = match q.order.as_deref() {
            None | Some("") | Some("newest") => false,
            Some("earliest") => true,
            Some(_) => {
                v.add("order", "one_of", "order must be earliest or newest");
                false
            }
        };
        v.into_result()?;
        let order = if earliest_first {
            ORDER_EARLIEST
        } else {
            ORDER_NEWEST
        };
        let page = PageRequest::parse(q.page, q.size, q.cursor.as_deref(), order)?;
        let filter = SeminarFilter {
            name,
            earliest_first,
        };
        // The seed system's cached endpoint: every distinct query is its own entry.
        let key = format!(
            "{order}|{}|{}|{}|{}",
            filter
                .name
                .as_ref()
                .map(Keyword::folded)
                .unwrap_or_default(),
            page.page,
            page.size,
            page.after.map(|c| c.encode()).unwrap_or_default()
        );
        let cached = read_through(self.cache.as_ref(), Entry::seminar_list(&key), || async {
            let p = self.store.list_seminars(&filter, &page).await?;
            Ok(CachedPage {
                total_items: p.total_items,
                next_cursor: p.next_cursor.map(|c| c.encode()),
                items: p.items,
            })
        })
        .await?;
        let next_cursor = match cached.next_cursor {
            Some(c) => Some(Cursor::decode(&c, order)?),
            None => None,
        };
        Ok(Page {
            items: cached.items,
            total_items: cached.total_items,
            total_capped: false,
            current_page: page.page,
            size: page.size,
            next_cursor,
        })
    }
}

impl Seminar {
    /// Cursor key: creation time, then id.
    pub fn key(&self) -> (KeyValue, i64) {
        (KeyValue::Int(self.created_at.millis()), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_are_24_hour_hh_mm() {
        for ok in ["00:00", "09:30", "23:59"] {
            assert!(ClockTime::parse("time", ok).is_ok(), "{ok}");
        }
        for bad in [
            "24:00", "9:30", "12:60", "ab:cd", "12-30", "", "12:345", "+1:30",
        ] {
            assert!(ClockTime::parse("time", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_parse() {
        assert_eq!(
            ProfileKind::parse("role", "participant").unwrap(),
            ProfileKind::Participant
        );
        assert!(ProfileKind::parse("role", "admin").is_err());
    }
}
