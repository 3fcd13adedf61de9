-- Notifications (알림). A notification is keyed by its recipient, kind and source event
-- (`comment:12`, `audit:34`): a job delivered twice writes it once.
CREATE TABLE notifications (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    kind        VARCHAR(32) NOT NULL,
    source      VARCHAR(64) NOT NULL,
    actor_id    BIGINT,
    post_id     BIGINT,
    comment_id  BIGINT,
    reason      TEXT,
    read_at     BIGINT,
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, kind, source);
CREATE INDEX notifications_user ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at, created_at, id);

-- The kinds a member turned off (every kind is on until then).
CREATE TABLE notification_mutes (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    kind     VARCHAR(32) NOT NULL,
    PRIMARY KEY (user_id, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

