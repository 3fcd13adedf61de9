//! Seminars, members and role profiles.
//!
//! Every enrolment change locks the seminar row first (`SELECT … FOR UPDATE`; on
//! SQLite the single writer connection serialises all writes), then checks and
//! writes, then commits: N simultaneous joins to k free places admit exactly k, and a
//! busy seminar holds only its own row, so joins to other seminars go on.

use async_trait::async_trait;
use madang_domain::listing::{Page, PageRequest};
use madang_domain::ports::SeminarStore;
use madang_domain::seminars::{
    DropOutcome, InstructorProfile, JoinOutcome, Member, MemberRole, ORDER_EARLIEST, ORDER_NEWEST,
    ParticipantProfile, Profiles, Seminar, SeminarChange, SeminarDetail, SeminarFilter,
    UpdateOutcome,
};
use madang_domain::users::fold_case;
use madang_domain::{Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::db::{Db, DbError, col, commit, count, like_contains, push_page};

const SEMINAR_COLS: &str = "s.id, s.name, s.capacity, s.session_count, s.start_time, s.online, \
     s.participant_count, s.created_at, s.updated_at";

fn seminar_from_row(r: &AnyRow) -> Result<Seminar> {
    Ok(Seminar {
        id: col(r, "id")?,
        name: col(r, "name")?,
        capacity: col(r, "capacity")?,
        count: col(r, "session_count")?,
        time: col(r, "start_time")?,
        online: col::<i64>(r, "online")? != 0,
        participant_count: col(r, "participant_count")?,
        created_at: Timestamp(col(r, "created_at")?),
        updated_at: Timestamp(col(r, "updated_at")?),
    })
}

/// The primary key rejects a second profile of the same kind; either way, `false`.
fn inserted(r: std::result::Result<u64, DbError>) -> Result<bool> {
    match r {
        Ok(n) => Ok(n > 0),
        Err(e) if e.is_unique("") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

impl Db {
    /// Locks the seminar row; its capacity and active participant count.
    pub(crate) async fn lock_seminar(
        &self,
        tx: &mut AnyConnection,
        id: i64,
    ) -> Result<Option<(i64, i64)>> {
        let sql = format!(
            "SELECT capacity, participant_count FROM seminars WHERE id = ?{}",
            self.for_update()
        );
        let row = self.stmt(&sql).bind(id).fetch_optional(&mut *tx).await?;
        row.map(|r| Ok((col(&r, "capacity")?, col(&r, "participant_count")?)))
            .transpose()
    }

    /// Writes a change to a seminar whose row `tx` holds locked, with `participants`
    /// active: a capacity below them is refused and nothing is written.
    pub(crate) async fn change_locked_seminar_in(
        &self,
        tx: &mut AnyConnection,
        id: i64,
        participants: i64,
        s: &SeminarChange,
        now: Timestamp,
    ) -> Result<UpdateOutcome> {
        if let Some(c) = s.capacity
            && c < participants
        {
            return Ok(UpdateOutcome::BelowParticipants(participants));
        }
        let mut q = self.stmt("UPDATE seminars SET updated_at = ?");
        q.args_add(now.millis());
        if let Some(n) = &s.name {
            q.push_bind(", name = ?", n.clone());
            q.push_bind(", name_key = ?", fold_case(n));
        }
        if let Some(c) = s.capacity {
            q.push_bind(", capacity = ?", c);
        }
        if let Some(c) = s.count {
            q.push_bind(", session_count = ?", c);
        }
        if let Some(t) = &s.time {
            q.push_bind(", start_time = ?", t.as_str().to_owned());
        }
        if let Some(o) = s.online {
            q.push_bind(", online = ?", i64::from(o));
        }
        q.push_bind(" WHERE id = ?", id);
        q.execute(&mut *tx).await?;
        Ok(UpdateOutcome::Updated)
    }

    async fn membership(
        &self,
        tx: &mut AnyConnection,
        id: i64,
        user_id: i64,
    ) -> Result<Option<(String, bool)>> {
        let row = self
            .stmt(
                "SELECT role, is_active FROM seminar_members WHERE seminar_id = ? AND user_id = ?",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        row.map(|r| Ok((col(&r, "role")?, col::<i64>(&r, "is_active")? != 0)))
            .transpose()
    }
}

#[async_trait]
impl SeminarStore for Db {
    async fn add_participant_profile(
        &self,
        user_id: i64,
        university: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let sql = self.insert_ignore(
            "participant_profiles (user_id, university, accepted, created_at) VALUES (?, ?, 1, ?)",
        );
        inserted(
            self.stmt(&sql)
                .bind(user_id)
                .bind(university.to_owned())
                .bind(now.millis())
                .execute(&mut *self.wr().await?)
                .await,
        )
    }

    async fn add_instructor_profile(
        &self,
        user_id: i64,
        company: &str,
        year: Option<i64>,
        now: Timestamp,
    ) -> Result<bool> {
        let mut conn = self.wr().await?;
        let sql = self.insert_ignore(
            "instructor_profiles (user_id, company, years, created_at) VALUES (?, ?, ?, ?)",
        );
        let r = self
            .stmt(&sql)
            .bind(user_id)
            .bind(company.to_owned())
            .bind(year)
            .bind(now.millis())
            .execute(&mut *conn);
        inserted(r.await)
    }

    async fn profiles(&self, user_id: i64) -> Result<Profiles> {
        let p = self
            .stmt("SELECT university, accepted, created_at FROM participant_profiles WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        let i = self
            .stmt("SELECT company, years, created_at FROM instructor_profiles WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&mut *self.rd().await?)
            .await?;
        Ok(Profiles {
            participant: p
                .map(|r| {
                    Ok::<_, madang_domain::Error>(ParticipantProfile {
                        university: col(&r, "university")?,
                        accepted: col::<i64>(&r, "accepted")? != 0,
                        created_at: Timestamp(col(&r, "created_at")?),
                    })
                })
                .transpose()?,
            instructor: i
                .map(|r| {
                    Ok::<_, madang_domain::Error>(InstructorProfile {
                        company: col(&r, "company")?,
                        year: col(&r, "years")?,
                        created_at: Timestamp(col(&r, "created_at")?),
                    })
                })
                .transpose()?,
        })
    }

    async fn insert_seminar(
        &self,
        instructor_id: i64,
        s: &SeminarChange,
        now: Timestamp,
    ) -> Result<i64> {
        let name = s.name.clone().unwrap_or_default();
        let mut tx = self.begin().await?;
        let id = self
            .stmt(
                "INSERT INTO seminars (name, name_key, capacity, session_count, start_time, online, participant_count, \
                 created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
            )
            .bind(name.clone())
            .bind(fold_case(&name))
            .bind(s.capacity.unwrap_or(1))
            .bind(s.count.unwrap_or(1))
            .bind(s.time.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default())
            .bind(i64::from(s.online.unwrap_or(true)))
            .bind(now.millis())
            .bind(now.millis())
            .insert_id(&mut *tx)
            .await?;
        self.stmt(
            "INSERT INTO seminar_members (seminar_id, user_id, role, joined_at, is_active) VALUES (?, ?, 'instructor', ?, 1)",
        )
        .bind(id)
        .bind(instructor_id)
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
        commit(tx).await?;
        Ok(id)
    }

    async fn seminar_exists(&self, id: i64) -> Result<bool> {
        Ok(count(
            self.stmt("SELECT COUNT(*) AS n FROM seminars WHERE id = ?")
                .bind(id),
            &mut *self.rd().await?,
        )
        .await?
            > 0)
    }

    async fn seminar(&self, id: i64) -> Result<Option<SeminarDetail>> {
        let sql = format!("SELECT {SEMINAR_COLS} FROM seminars s WHERE s.id = ?");
        let Some(row) = self
            .stmt(&sql)
            .bind(id)
            .fetch_optional(&mut *self.rd_lagging().await?)
            .await?
        else {
            return Ok(None);
        };
        let seminar = seminar_from_row(&row)?;
        let rows = self
            .stmt(
                "SELECT m.user_id, u.name, m.role, m.joined_at, m.is_active, m.dropped_at, pp.university, ip.company \
                 FROM seminar_members m JOIN users u ON u.id = m.user_id \
                 LEFT JOIN participant_profiles pp ON pp.user_id = m.user_id \
                 LEFT JOIN instructor_profiles ip ON ip.user_id = m.user_id \
                 WHERE m.seminar_id = ? ORDER BY m.joined_at, m.user_id",
            )
            .bind(id)
            .fetch_all(&mut *self.rd_lagging().await?)
            .await?;
        let members = rows
            .iter()
            .map(|r| {
                let role: String = col(r, "role")?;
                let role = if role == "instructor" {
                    MemberRole::Instructor
                } else {
                    MemberRole::Participant
                };
                Ok(Member {
                    user_id: col(r, "user_id")?,
                    name: col(r, "name")?,
                    role,
                    university: col(r, "university")?,
                    company: col(r, "company")?,
                    joined_at: Timestamp(col(r, "joined_at")?),
                    is_active: col::<i64>(r, "is_active")? != 0,
                    dropped_at: col::<Option<i64>>(r, "dropped_at")?.map(Timestamp),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(SeminarDetail { seminar, members }))
    }

    async fn update_seminar(
        &self,
        id: i64,
        by: i64,
        s: &SeminarChange,
        now: Timestamp,
    ) -> Result<UpdateOutcome> {
        let mut tx = self.begin().await?;
        let Some((_, participants)) = self.lock_seminar(&mut tx, id).await? else {
            return Ok(UpdateOutcome::NoSeminar);
        };
        match self.membership(&mut tx, id, by).await? {
            Some((role, true)) if role == "instructor" => {}
            _ => return Ok(UpdateOutcome::NotInstructor),
        }
        let outcome = self
            .change_locked_seminar_in(&mut tx, id, participants, s, now)
            .await?;
        if outcome == UpdateOutcome::Updated {
            commit(tx).await?;
        }
        Ok(outcome)
    }

    async fn join_seminar(
        &self,
        id: i64,
        user_id: i64,
        role: MemberRole,
        now: Timestamp,
    ) -> Result<JoinOutcome> {
        let mut tx = self.begin().await?;
        let Some((capacity, participants)) = self.lock_seminar(&mut tx, id).await? else {
            return Ok(JoinOutcome::NoSeminar);
        };
        match self.membership(&mut tx, id, user_id).await? {
            Some((_, true)) => return Ok(JoinOutcome::AlreadyMember),
            Some((_, false)) => return Ok(JoinOutcome::DroppedBefore),
            None => {}
        }
        match role {
            MemberRole::Participant if participants >= capacity => return Ok(JoinOutcome::Full),
            MemberRole::Participant => {}
            MemberRole::Instructor => {
                // The profile row serialises one instructor's joins across seminars.
                let lock = format!(
                    "SELECT user_id FROM instructor_profiles WHERE user_id = ?{}",
                    self.for_update()
                );
                self.stmt(&lock)
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let running = count(
                    self.stmt(
                        "SELECT COUNT(*) AS n FROM seminar_members \
                         WHERE user_id = ? AND role = 'instructor' AND is_active = 1",
                    )
                    .bind(user_id),
                    &mut *tx,
                )
                .await?;
                if running > 0 {
                    return Ok(JoinOutcome::InstructsAnother);
                }
            }
        }
        self.stmt("INSERT INTO seminar_members (seminar_id, user_id, role, joined_at, is_active) VALUES (?, ?, ?, ?, 1)")
            .bind(id)
            .bind(user_id)
            .bind(role.as_str().to_owned())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        if role == MemberRole::Participant {
            self.stmt("UPDATE seminars SET participant_count = participant_count + 1 WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        commit(tx).await?;
        Ok(JoinOutcome::Joined)
    }

    async fn drop_seminar(&self, id: i64, user_id: i64, now: Timestamp) -> Result<DropOutcome> {
        let mut tx = self.begin().await?;
        if self.lock_seminar(&mut tx, id).await?.is_none() {
            return Ok(DropOutcome::NoSeminar);
        }
        match self.membership(&mut tx, id, user_id).await? {
            None => return Ok(DropOutcome::NotMember),
            Some((role, _)) if role == "instructor" => return Ok(DropOutcome::Instructor),
            Some((_, false)) => return Ok(DropOutcome::AlreadyDropped),
            Some((_, true)) => {}
        }
        self.stmt("UPDATE seminar_members SET is_active = 0, dropped_at = ? WHERE seminar_id = ? AND user_id = ?")
            .bind(now.millis())
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        self.stmt("UPDATE seminars SET participant_count = participant_count - 1 WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        commit(tx).await?;
        Ok(DropOutcome::Dropped)
    }

    async fn list_seminars(&self, f: &SeminarFilter, page: &PageRequest) -> Result<Page<Seminar>> {
        let filter = |s: &mut crate::db::Stmt| {
            s.push_sql(" WHERE 1 = 1");
            if let Some(k) = &f.name {
                s.push_bind(
                    " AND s.name_key LIKE ? ESCAPE '!'",
                    like_contains(k.folded()),
                );
            }
        };
        let mut q = self.stmt(&format!("SELECT {SEMINAR_COLS} FROM seminars s"));
        filter(&mut q);
        push_page(&mut q, "s.created_at", "s.id", !f.earliest_first, page);
        let rows = q.fetch_all(&mut *self.rd_lagging().await?).await?;
        let items = rows
            .iter()
            .map(seminar_from_row)
            .collect::<Result<Vec<_>>>()?;
        let mut c = self.stmt("SELECT COUNT(*) AS n FROM seminars s");
        filter(&mut c);
        let total = count(c, &mut *self.rd_lagging().await?).await?;
        let order = if f.earliest_first {
            ORDER_EARLIEST
        } else {
            ORDER_NEWEST
        };
        Ok(Page::from_rows(
            items,
            page,
            order,
            total,
            false,
            Seminar::key,
        ))
    }
}
