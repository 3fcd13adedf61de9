-- Who blocks whom (차단): a blocker does not see the blocked member's posts and
-- comments in lists, and is not notified of what they do.
CREATE TABLE blocks (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    blocked_id  INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id, user_id);
