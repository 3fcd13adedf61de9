//! The job outbox, the embedded job queue and cron tick claims.
//!
//! Every job is first written to `job_outbox`, inside the transaction of the write that
//! wants it. The embedded queue relays outbox rows into `jobs` in one transaction (copy
//! and delete together, so a row is relayed exactly once); broker-backed queues read the
//! outbox through the [`Outbox`] port and delete what they published.
//!
//! Workers reserve a job by a conditional UPDATE on its `(id, state, attempts)`: of two
//! workers that saw the same row, one changes it and the other changes nothing, on every
//! engine and without engine-specific locking. A running job's `visible_at` is its lease
//! expiry, so a job whose worker died is due again once the lease runs out.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use madang_domain::jobs::{Job, JobState, JobStats, Lease, NewJob, Outcome, Tick};
use madang_domain::ports::{CronStore, JobQueue, Outbox};
use madang_domain::time::{Clock, Timestamp};
use madang_domain::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::db::{Db, col, commit};

/// Outbox rows relayed per transaction.
const RELAY_BATCH: u32 = 200;
/// Candidates read per reservation attempt; another worker may win some of them.
const RESERVE_CANDIDATES: i64 = 8;
/// Finished jobs deleted per statement when purging.
const PURGE_BATCH: i64 = 1_000;

const OUTBOX_INSERT: &str = "INSERT INTO job_outbox (kind, payload, max_attempts, run_at, created_at) VALUES (?, ?, ?, ?, ?)";

const JOB_COLUMNS: &str = "id, kind, payload, state, attempts, max_attempts, visible_at, last_error, created_at, updated_at";

impl Db {
    /// Deletes one batch of old rows: the ids `select` finds (binding `before` and
    /// `limit`), by `delete` (ending in `id IN `). Keeps each delete short on big tables.
    pub(crate) async fn delete_batch(
        &self,
        select: &str,
        delete: &str,
        before: Timestamp,
        limit: i64,
    ) -> Result<u64> {
        let rows = self
            .stmt(select)
            .bind(before.millis())
            .bind(limit)
            .fetch_all(&mut *self.rd().await?)
            .await?;
        let ids = rows
            .iter()
            .map(|r| col::<i64>(r, "id"))
            .collect::<Result<Vec<_>>>()?;
        if ids.is_empty() {
            return Ok(0);
        }
        let mut s = self.stmt(delete);
        s.push_in_list(&ids);
        s.execute(&mut *self.wr().await?).await.map_err(Into::into)
    }

    /// Writes `job` to the outbox inside `tx`; answers its id.
    pub(crate) async fn insert_outbox(
        &self,
        tx: &mut Transaction<'static, Any>,
        job: &NewJob,
        now: Timestamp,
    ) -> Result<i64> {
        self.stmt(OUTBOX_INSERT)
            .bind(job.kind.clone())
            .bind(job.payload.clone())
            .bind(i64::from(job.max_attempts))
            .bind(job.run_at.millis())
            .bind(now.millis())
            .insert_id(&mut **tx)
            .await
            .map_err(Into::into)
    }

    /// Enqueues, inside `tx`, one job of each kind about row `id`.
    pub(crate) async fn enqueue_follow_ups(
        &self,
        tx: &mut Transaction<'static, Any>,
        kinds: &[&'static str],
        id: i64,
        now: Timestamp,
    ) -> Result<()> {
        for kind in kinds {
            self.insert_outbox(tx, &NewJob::about(kind, id, now), now)
                .await?;
        }
        Ok(())
    }
}

fn job_from_row(r: &AnyRow) -> Result<Job> {
    let state: String = col(r, "state")?;
    let attempts: i64 = col(r, "attempts")?;
    let max_attempts: i64 = col(r, "max_attempts")?;
    Ok(Job {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        payload: col(r, "payload")?,
        state: JobState::parse(&state).ok_or_else(|| {
            Error::internal(madang_domain::error::Message(format!("job state {state}")))
        })?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
        run_at: Timestamp(col(r, "visible_at")?),
        last_error: col(r, "last_error")?,
        created_at: Timestamp(col(r, "created_at")?),
        updated_at: Timestamp(col(r, "updated_at")?),
    })
}

#[async_trait]
impl Outbox for Db {
    async fn add(&self, job: &NewJob) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = self.insert_outbox(&mut tx, job, job.run_at).await?;
        commit(tx).await?;
        self.outbox_written();
        Ok(id)
    }

    async fn pending(&self, limit: u32) -> Result<Vec<(i64, NewJob, Timestamp)>> {
        let rows = self
            .stmt("SELECT id, kind, payload, max_attempts, run_at, created_at FROM job_outbox ORDER BY id LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&mut *self.rd().await?)
            .await?;
        rows.iter()
            .map(|r| {
                let max: i64 = col(r, "max_attempts")?;
                Ok((
                    col(r, "id")?,
                    NewJob {
                        kind: col(r, "kind")?,
                        payload: col(r, "payload")?,
                        max_attempts: u32::try_from(max).unwrap_or(u32::MAX),
                        run_at: Timestamp(col(r, "run_at")?),
                    },
                    Timestamp(col(r, "created_at")?),
                ))
            })
            .collect()
    }

    async fn remove(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut s = self.stmt("DELETE FROM job_outbox WHERE id IN ");
        s.push_in_list(ids);
        s.execute(&mut *self.wr().await?).await?;
        Ok(())
    }

    async fn count(&self) -> Result<u64> {
        let n = crate::db::count(
            self.stmt("SELECT COUNT(*) AS n FROM job_outbox"),
            &mut *self.rd().await?,
        )
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[async_trait]
impl CronStore for Db {
    async fn claim_tick(&self, name: &str, slot: Timestamp, job: &NewJob) -> Result<Tick> {
        let now = job.run_at;
        let mut tx = self.begin().await?;
        let advanced = self
            .stmt("UPDATE cron_ticks SET last_slot = ?, updated_at = ? WHERE name = ? AND last_slot < ?")
            .bind(slot.millis())
            .bind(now.millis())
            .bind(name.to_owned())
            .bind(slot.millis())
            .execute(&mut *tx)
            .await?;
        let tick = if advanced == 1 {
            self.insert_outbox(&mut tx, job, now).await?;
            Tick::Run
        } else {
            let inserted = self
                .stmt(
                    &self
                        .insert_ignore("cron_ticks (name, last_slot, updated_at) VALUES (?, ?, ?)"),
                )
                .bind(name.to_owned())
                .bind(slot.millis())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            if inserted == 1 {
                Tick::Baseline
            } else {
                Tick::Taken
            }
        };
        commit(tx).await?;
        if tick == Tick::Run {
            self.outbox_written();
        }
        Ok(tick)
    }
}

/// The job queue in Madang's own database: nothing else to run, and it survives restarts.
#[derive(Clone)]
pub struct EmbeddedQueue {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl EmbeddedQueue {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Due candidates in `state`, oldest first.
    async fn candidates(&self, state: JobState, now: Timestamp) -> Result<Vec<AnyRow>> {
        self.db
            .stmt("SELECT id, attempts, max_attempts FROM jobs WHERE state = ? AND visible_at <= ? ORDER BY visible_at, id LIMIT ?")
            .bind(state.as_str().to_owned())
            .bind(now.millis())
            .bind(RESERVE_CANDIDATES)
            .fetch_all(&mut *self.db.rd().await?)
            .await
            .map_err(Into::into)
    }

    /// Takes job `id` if it is still in `state` after `attempts` deliveries.
    async fn claim(
        &self,
        id: i64,
        state: JobState,
        attempts: i64,
        worker: &str,
        now: Timestamp,
        visibility: Duration,
    ) -> Result<Option<Lease>> {
        let token = format!("{worker}/{}", attempts + 1);
        let taken = self
            .db
            .stmt(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, visible_at = ?, lease = ?, updated_at = ? \
                 WHERE id = ? AND state = ? AND attempts = ? AND visible_at <= ?",
            )
            .bind(now.plus(visibility).millis())
            .bind(token.clone())
            .bind(now.millis())
            .bind(id)
            .bind(state.as_str().to_owned())
            .bind(attempts)
            .bind(now.millis())
            .execute(&mut *self.db.wr().await?)
            .await?;
        if taken != 1 {
            return Ok(None);
        }
        let job = self.job(id).await?.ok_or(Error::NotFound("job"))?;
        Ok(Some(Lease { job, token }))
    }

    /// Settles the delivery `lease` if it is still the job's current one.
    async fn settle(
        &self,
        lease: &Lease,
        state: JobState,
        visible_at: Timestamp,
        error: Option<&str>,
    ) -> Result<bool> {
        let n = self
            .db
            .stmt(
                "UPDATE jobs SET state = ?, visible_at = ?, lease = NULL, last_error = COALESCE(?, last_error), updated_at = ? \
                 WHERE id = ? AND state = 'running' AND lease = ?",
            )
            .bind(state.as_str().to_owned())
            .bind(visible_at.millis())
            .bind(error.map(str::to_owned))
            .bind(self.clock.now().millis())
            .bind(lease.job.id)
            .bind(lease.token.clone())
            .execute(&mut *self.db.wr().await?)
            .await?;
        Ok(n == 1)
    }
}

#[async_trait]
impl JobQueue for EmbeddedQueue {
    fn name(&self) -> &'static str {
        "embedded"
    }

    async fn enqueue(&self, job: &NewJob) -> Result<i64> {
        let id = Outbox::add(&self.db, job).await?;
        self.relay().await?;
        Ok(id)
    }

    async fn relay(&self) -> Result<usize> {
        let mut tx = self.db.begin().await?;
        let sql = format!(
            "SELECT id, kind, payload, max_attempts, run_at, created_at FROM job_outbox ORDER BY id LIMIT ?{}",
            self.db.for_update_skip_locked()
        );
        let rows = self
            .db
            .stmt(&sql)
            .bind(i64::from(RELAY_BATCH))
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let now = self.clock.now().millis();
        let values = vec!["(?, ?, ?, 'queued', 0, ?, ?, ?, ?)"; rows.len()].join(", ");
        let mut insert = self.db.stmt(&self.db.insert_ignore(&format!(
            "jobs (id, kind, payload, state, attempts, max_attempts, visible_at, created_at, updated_at) VALUES {values}"
        )));
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = col(r, "id")?;
            ids.push(id);
            insert.args_add(id);
            insert.args_add(col::<String>(r, "kind")?);
            insert.args_add(col::<String>(r, "payload")?);
            insert.args_add(col::<i64>(r, "max_attempts")?);
            insert.args_add(col::<i64>(r, "run_at")?);
            insert.args_add(col::<i64>(r, "created_at")?);
            insert.args_add(now);
        }
        insert.execute(&mut *tx).await?;
        let mut delete = self.db.stmt("DELETE FROM job_outbox WHERE id IN ");
        delete.push_in_list(&ids);
        delete.execute(&mut *tx).await?;
        commit(tx).await?;
        Ok(ids.len())
    }

    async fn reserve(&self, worker: &str, visibility: Duration) -> Result<Option<Lease>> {
        let now = self.clock.now();
        for state in [JobState::Queued, JobState::Running] {
            for r in self.candidates(state, now).await? {
                let id: i64 = col(&r, "id")?;
                let attempts: i64 = col(&r, "attempts")?;
                let max: i64 = col(&r, "max_attempts")?;
                if state == JobState::Running && attempts >= max {
                    // Its last allowed delivery died with its worker: dead-letter it.
                    self.db
                        .stmt(
                            "UPDATE jobs SET state = 'dead', lease = NULL, updated_at = ?, \
                             last_error = 'the worker was lost during the last allowed attempt' \
                             WHERE id = ? AND state = 'running' AND attempts = ? AND visible_at <= ?",
                        )
                        .bind(now.millis())
                        .bind(id)
                        .bind(attempts)
                        .bind(now.millis())
                        .execute(&mut *self.db.wr().await?)
                        .await?;
                    continue;
                }
                if let Some(lease) = self
                    .claim(id, state, attempts, worker, now, visibility)
                    .await?
                {
                    return Ok(Some(lease));
                }
            }
        }
        Ok(None)
    }

    async fn extend(&self, lease: &Lease, visibility: Duration) -> Result<bool> {
        let now = self.clock.now();
        let n = self
            .db
            .stmt("UPDATE jobs SET visible_at = ?, updated_at = ? WHERE id = ? AND state = 'running' AND lease = ?")
            .bind(now.plus(visibility).millis())
            .bind(now.millis())
            .bind(lease.job.id)
            .bind(lease.token.clone())
            .execute(&mut *self.db.wr().await?)
            .await?;
        Ok(n == 1)
    }

    async fn complete(&self, lease: &Lease) -> Result<()> {
        let now = self.clock.now();
        if !self.settle(lease, JobState::Done, now, None).await? {
            tracing::warn!(
                job = lease.job.id,
                "completed a job whose lease had passed to another worker"
            );
        }
        Ok(())
    }

    async fn fail(&self, lease: &Lease, error: &str, outcome: Outcome) -> Result<()> {
        let (state, at) = match outcome {
            Outcome::RetryAt(t) => (JobState::Queued, t),
            Outcome::Dead => (JobState::Dead, self.clock.now()),
        };
        self.settle(lease, state, at, Some(error)).await?;
        Ok(())
    }

    async fn job(&self, id: i64) -> Result<Option<Job>> {
        let row = self
            .db
            .stmt(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *self.db.rd().await?)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn list(&self, state: Option<JobState>, limit: u32) -> Result<Vec<Job>> {
        let mut s = self.db.stmt(&format!("SELECT {JOB_COLUMNS} FROM jobs"));
        match state {
            Some(st) => {
                s.push_bind(" WHERE state = ?", st.as_str().to_owned());
                s.push_sql(" ORDER BY updated_at DESC, id DESC");
            }
            None => s.push_sql(" ORDER BY id DESC"),
        }
        s.push_bind(" LIMIT ?", i64::from(limit));
        let rows = s.fetch_all(&mut *self.db.rd().await?).await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn retry(&self, id: i64) -> Result<bool> {
        let now = self.clock.now().millis();
        let n = self
            .db
            .stmt("UPDATE jobs SET state = 'queued', attempts = 0, visible_at = ?, updated_at = ? WHERE id = ? AND state = 'dead'")
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(&mut *self.db.wr().await?)
            .await?;
        Ok(n == 1)
    }

    async fn retry_all_dead(&self) -> Result<u64> {
        let now = self.clock.now().millis();
        self.db
            .stmt("UPDATE jobs SET state = 'queued', attempts = 0, visible_at = ?, updated_at = ? WHERE state = 'dead'")
            .bind(now)
            .bind(now)
            .execute(&mut *self.db.wr().await?)
            .await
            .map_err(Into::into)
    }

    async fn stats(&self) -> Result<JobStats> {
        let rows = self
            .db
            .stmt("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all(&mut *self.db.rd().await?)
            .await?;
        let mut stats = JobStats {
            outbox: Outbox::count(&self.db).await?,
            ..JobStats::default()
        };
        for r in &rows {
            let n = u64::try_from(col::<i64>(r, "n")?).unwrap_or(0);
            match JobState::parse(&col::<String>(r, "state")?) {
                Some(JobState::Queued) => stats.queued = n,
                Some(JobState::Running) => stats.running = n,
                Some(JobState::Done) => stats.done = n,
                Some(JobState::Dead) => stats.dead = n,
                None => {}
            }
        }
        Ok(stats)
    }

    async fn purge_done(&self, before: Timestamp) -> Result<u64> {
        let mut purged = 0;
        loop {
            let n = self
                .db
                .delete_batch(
                    "SELECT id FROM jobs WHERE state = 'done' AND updated_at < ? ORDER BY updated_at, id LIMIT ?",
                    "DELETE FROM jobs WHERE state = 'done' AND id IN ",
                    before,
                    PURGE_BATCH,
                )
                .await?;
            purged += n;
            if n < PURGE_BATCH as u64 {
                return Ok(purged);
            }
        }
    }

    async fn ping(&self) -> Result<()> {
        self.db.ping().await
    }
}
