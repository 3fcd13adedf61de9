-- Members' sessions in the web app at / (MariaDB/MySQL), beside the console's.

-- A member's web-app session: the cookie carries a random token, the row its SHA-256.
CREATE TABLE member_sessions (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token_hash  VARCHAR(128)   NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    csrf        VARCHAR(128)   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX member_sessions_token ON member_sessions (token_hash);
CREATE INDEX member_sessions_user ON member_sessions (user_id);
