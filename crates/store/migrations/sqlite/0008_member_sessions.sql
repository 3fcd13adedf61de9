-- Members' sessions in the web app at / (SQLite), beside the console's.

-- A member's web-app session: the cookie carries a random token, the row its SHA-256.
CREATE TABLE member_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE UNIQUE INDEX member_sessions_token ON member_sessions (token_hash);
CREATE INDEX member_sessions_user ON member_sessions (user_id);
