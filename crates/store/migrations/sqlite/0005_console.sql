-- The staff console (SQLite): its sessions and the audit log of every console write.

-- A console session: the cookie carries a random token, the row its SHA-256.
CREATE TABLE console_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE UNIQUE INDEX console_sessions_token ON console_sessions (token_hash);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Who changed what, when, through the console (like Django's LogEntry). Names are
-- copied so that an entry still reads right after a rename or an erasure.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    actor_id     INTEGER NOT NULL,
    actor_name   TEXT    NOT NULL,
    object_type  TEXT    NOT NULL,
    object_id    INTEGER NOT NULL,
    object_repr  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    changes      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- The console lists deleted posts and comments newest first; they are few, so a
-- partial index holds them all in order.
CREATE INDEX posts_deleted_new ON posts (created_at, id) WHERE deleted_at IS NOT NULL;
CREATE INDEX comments_deleted_new ON comments (created_at, id) WHERE deleted_at IS NOT NULL;
