-- Background jobs, cron ticks and daily statistics (SQLite).

-- Jobs committed with the write that wants them, until relayed into the queue.
CREATE TABLE job_outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    max_attempts  INTEGER NOT NULL,
    run_at        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

-- The embedded queue. A job is visible to workers from `visible_at`: its run time while
-- queued, its lease expiry while running (a worker that dies loses the job at that time).
CREATE TABLE jobs (
    id            INTEGER NOT NULL PRIMARY KEY,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    visible_at    INTEGER NOT NULL,
    lease         TEXT,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, visible_at, id);
CREATE INDEX jobs_state_updated ON jobs (state, updated_at, id);

-- The latest tick of each schedule that some node claimed.
CREATE TABLE cron_ticks (
    name        TEXT    NOT NULL PRIMARY KEY,
    last_slot   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE daily_stats (
    day          TEXT    NOT NULL PRIMARY KEY,
    new_users    INTEGER NOT NULL,
    posts        INTEGER NOT NULL,
    comments     INTEGER NOT NULL,
    votes        INTEGER NOT NULL,
    computed_at  INTEGER NOT NULL
);

-- Counting a day's new rows, and purging old login history, by time.
CREATE INDEX users_created ON users (created_at);
CREATE INDEX comments_created ON comments (created_at);
CREATE INDEX post_votes_created ON post_votes (created_at);
CREATE INDEX comment_votes_created ON comment_votes (created_at);
CREATE INDEX login_history_created ON login_history (created_at, id);
