-- Mentions (`@이름`): the members a post's or a comment's current version mentions, by
-- id, so an edit or a rename never breaks one. Written with every version of the text.
CREATE TABLE mentions (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source_type VARCHAR(16) NOT NULL,
    source_id   BIGINT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX mentions_source ON mentions (source_type, source_id, user_id);
CREATE INDEX mentions_user ON mentions (user_id);
