-- Background jobs, cron ticks and daily statistics (MariaDB/MySQL).

-- Jobs committed with the write that wants them, until relayed into the queue.
CREATE TABLE job_outbox (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind          VARCHAR(64)    NOT NULL,
    payload       MEDIUMTEXT    NOT NULL,
    max_attempts  BIGINT NOT NULL,
    run_at        BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The embedded queue. A job is visible to workers from `visible_at`: its run time while
-- queued, its lease expiry while running (a worker that dies loses the job at that time).
CREATE TABLE jobs (
    id            BIGINT NOT NULL PRIMARY KEY,
    kind          VARCHAR(64)    NOT NULL,
    payload       MEDIUMTEXT    NOT NULL,
    state         VARCHAR(64)    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    visible_at    BIGINT NOT NULL,
    lease         VARCHAR(64),
    last_error    MEDIUMTEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX jobs_due ON jobs (state, visible_at, id);
CREATE INDEX jobs_state_updated ON jobs (state, updated_at, id);

-- The latest tick of each schedule that some node claimed.
CREATE TABLE cron_ticks (
    name        VARCHAR(64)    NOT NULL PRIMARY KEY,
    last_slot   BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE daily_stats (
    day          CHAR(10)    NOT NULL PRIMARY KEY,
    new_users    BIGINT NOT NULL,
    posts        BIGINT NOT NULL,
    comments     BIGINT NOT NULL,
    votes        BIGINT NOT NULL,
    computed_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Counting a day's new rows, and purging old login history, by time.
CREATE INDEX users_created ON users (created_at);
CREATE INDEX comments_created ON comments (created_at);
CREATE INDEX post_votes_created ON post_votes (created_at);
CREATE INDEX comment_votes_created ON comment_votes (created_at);
CREATE INDEX login_history_created ON login_history (created_at, id);
