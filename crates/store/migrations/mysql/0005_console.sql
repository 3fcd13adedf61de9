-- The staff console (MariaDB/MySQL): its sessions and the audit log of every console write.

-- A console session: the cookie carries a random token, the row its SHA-256.
CREATE TABLE console_sessions (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token_hash  VARCHAR(128)   NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    csrf        VARCHAR(128)   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX console_sessions_token ON console_sessions (token_hash);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Who changed what, when, through the console (like Django's LogEntry). Names are
-- copied so that an entry still reads right after a rename or an erasure.
CREATE TABLE audit_log (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    actor_id     BIGINT NOT NULL,
    actor_name   VARCHAR(255)   NOT NULL,
    object_type  VARCHAR(32)    NOT NULL,
    object_id    BIGINT NOT NULL,
    object_repr  VARCHAR(255)   NOT NULL,
    action       VARCHAR(32)    NOT NULL,
    changes      TEXT           NOT NULL,
    created_at   BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- The console lists deleted comments newest first (posts have posts_active_new, led by
-- deleted_at, already).
CREATE INDEX comments_deleted_new ON comments (deleted_at, created_at, id);
