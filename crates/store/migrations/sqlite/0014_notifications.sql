-- Notifications (알림). A notification is keyed by its recipient, kind and source event
-- (`comment:12`, `audit:34`): a job delivered twice writes it once.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    kind        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    actor_id    INTEGER,
    post_id     INTEGER,
    comment_id  INTEGER,
    reason      TEXT,
    read_at     INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, kind, source);
CREATE INDEX notifications_user ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at, created_at, id);

-- The kinds a member turned off (every kind is on until then).
CREATE TABLE notification_mutes (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    kind     TEXT    NOT NULL,
    PRIMARY KEY (user_id, kind)
);

