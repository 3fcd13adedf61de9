-- Reports (신고) and the moderation log.

-- One row per reported post or comment: what the reports queue lists and what a
-- moderator decides on. `reporters` counts the distinct members with an open report
-- (with one count per reason); a decision resolves them all, and a later report opens
-- the row again from nothing. `held`: the reports hid the content (as a deletion, so
-- every count stays exact) until a decision.
CREATE TABLE report_targets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    target_type  TEXT    NOT NULL CHECK (target_type IN ('post', 'comment')),
    target_id    INTEGER NOT NULL,
    post_id      INTEGER NOT NULL,
    author_id    INTEGER,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    reporters    INTEGER NOT NULL DEFAULT 0,
    n_spam       INTEGER NOT NULL DEFAULT 0,
    n_abuse      INTEGER NOT NULL DEFAULT 0,
    n_illegal    INTEGER NOT NULL DEFAULT 0,
    n_other      INTEGER NOT NULL DEFAULT 0,
    held         INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    resolved_at  INTEGER
);
CREATE UNIQUE INDEX report_targets_target ON report_targets (target_type, target_id);
CREATE INDEX report_targets_reporters ON report_targets (reporters, id);
CREATE INDEX report_targets_first ON report_targets (first_at, id);
CREATE INDEX report_targets_author ON report_targets (author_id, outcome);

-- One member's report. `open_flag` is 1 while the report is open and NULL once it is
-- resolved: the unique index holds one open report per member and target however
-- many repeats race, and keeps every resolved one.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    target_ref   INTEGER NOT NULL REFERENCES report_targets (id),
    reporter_id  INTEGER NOT NULL REFERENCES users (id),
    reason       TEXT    NOT NULL CHECK (reason IN ('spam', 'abuse', 'illegal', 'other')),
    detail       TEXT,
    open_flag    INTEGER,
    outcome      TEXT,
    created_at   INTEGER NOT NULL,
    resolved_at  INTEGER
);
CREATE UNIQUE INDEX reports_open ON reports (target_ref, reporter_id, open_flag);
CREATE INDEX reports_reporter ON reports (reporter_id, created_at, id);

-- The public moderation log names the moderator's role, never the moderator: the
-- role is kept with each entry as it was then.
ALTER TABLE audit_log ADD COLUMN actor_role TEXT;
UPDATE audit_log SET actor_role = (SELECT u.role FROM users u WHERE u.id = audit_log.actor_id);
