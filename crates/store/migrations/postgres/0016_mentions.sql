-- Mentions (`@이름`): the members a post's or a comment's current version mentions, by
-- id, so an edit or a rename never breaks one. Written with every version of the text.
CREATE TABLE mentions (
    id          BIGSERIAL PRIMARY KEY,
    source_type TEXT   NOT NULL,
    source_id   BIGINT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX mentions_source ON mentions (source_type, source_id, user_id);
CREATE INDEX mentions_user ON mentions (user_id);
