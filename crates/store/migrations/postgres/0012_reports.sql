-- Reports (신고) and the moderation log.

-- One row per reported post or comment: what the reports queue lists and what a
-- moderator decides on. `reporters` counts the distinct members with an open report
-- (with one count per reason); a decision resolves them all, and a later report opens
-- the row again from nothing. `held`: the reports hid the content (as a deletion, so
-- every count stays exact) until a decision.
CREATE TABLE report_targets (
    id           BIGSERIAL PRIMARY KEY,
    target_type  TEXT    NOT NULL CHECK (target_type IN ('post', 'comment')),
    target_id    BIGINT NOT NULL,
    post_id      BIGINT NOT NULL,
    author_id    BIGINT,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    reporters    BIGINT NOT NULL DEFAULT 0,
    n_spam       BIGINT NOT NULL DEFAULT 0,
    n_abuse      BIGINT NOT NULL DEFAULT 0,
    n_illegal    BIGINT NOT NULL DEFAULT 0,
    n_other      BIGINT NOT NULL DEFAULT 0,
    held         BIGINT NOT NULL DEFAULT 0,
    outcome      TEXT,
    first_at     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    resolved_at  BIGINT
);
CREATE UNIQUE INDEX report_targets_target ON report_targets (target_type, target_id);
CREATE INDEX report_targets_reporters ON report_targets (reporters, id);
CREATE INDEX report_targets_first ON report_targets (first_at, id);
CREATE INDEX report_targets_author ON report_targets (author_id, outcome);

-- One member's report. `open_flag` is 1 while the report is open and NULL once it is
-- resolved: the unique index holds one open report per member and target however
-- many repeats race, and keeps every resolved one.
CREATE TABLE reports (
    id           BIGSERIAL PRIMARY KEY,
    target_ref   BIGINT NOT NULL REFERENCES report_targets (id),
    reporter_id  BIGINT NOT NULL REFERENCES users (id),
    reason       TEXT    NOT NULL CHECK (reason IN ('spam', 'abuse', 'illegal', 'other')),
    detail       TEXT,
    open_flag    BIGINT,
    outcome      TEXT,
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT
);
CREATE UNIQUE INDEX reports_open ON reports (target_ref, reporter_id, open_flag);
CREATE INDEX reports_reporter ON reports (reporter_id, created_at, id);

-- The public moderation log names the moderator's role, never the moderator: the
-- role is kept with each entry as it was then.
ALTER TABLE audit_log ADD COLUMN actor_role TEXT;
UPDATE audit_log SET actor_role = (SELECT u.role FROM users u WHERE u.id = audit_log.actor_id);
