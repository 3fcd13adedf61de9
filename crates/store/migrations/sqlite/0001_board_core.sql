-- Madang board core (SQLite). Instants are epoch milliseconds (UTC).

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT,
    name_key       TEXT,
    email          TEXT,
    email_key      TEXT,
    password_hash  TEXT,
    role           TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    state          TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended', 'banned')),
    state_until    INTEGER,
    state_reason   TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER
);
CREATE UNIQUE INDEX users_name_key ON users (name_key);
CREATE UNIQUE INDEX users_email_key ON users (email_key);

CREATE TABLE user_states (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    state       TEXT    NOT NULL,
    until_at    INTEGER,
    reason      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX user_states_user ON user_states (user_id, created_at, id);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id),
    token_hash  TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE login_history (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    succeeded   INTEGER NOT NULL,
    ip          TEXT,
    user_agent  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX login_history_user ON login_history (user_id, created_at, id);

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    parent_id   INTEGER REFERENCES categories (id),
    parent_key  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX categories_sibling_name_key ON categories (parent_key, name_key);
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE posts (
    id               INTEGER PRIMARY KEY,
    category_id      INTEGER NOT NULL REFERENCES categories (id),
    author_id        INTEGER REFERENCES users (id),
    title            TEXT    NOT NULL,
    content          TEXT    NOT NULL,
    search_text      TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    comment_count    INTEGER NOT NULL DEFAULT 0,
    vote_count       INTEGER NOT NULL DEFAULT 0,
    hot_rank         REAL    NOT NULL,
    sentiment_label  TEXT,
    sentiment_score  REAL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    deleted_at       INTEGER
);
CREATE INDEX posts_new ON posts (created_at, id);
CREATE INDEX posts_top ON posts (vote_count, id);
CREATE INDEX posts_hot ON posts (hot_rank, id);
CREATE INDEX posts_category_new ON posts (category_id, created_at, id);
CREATE INDEX posts_author_new ON posts (author_id, created_at, id);

CREATE TABLE post_versions (
    post_id     INTEGER NOT NULL REFERENCES posts (id),
    version     INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    content     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (post_id, version)
);

CREATE TABLE post_votes (
    post_id     INTEGER NOT NULL REFERENCES posts (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_votes_user ON post_votes (user_id);

CREATE TABLE comments (
    id               INTEGER PRIMARY KEY,
    post_id          INTEGER NOT NULL REFERENCES posts (id),
    author_id        INTEGER REFERENCES users (id),
    content          TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    vote_count       INTEGER NOT NULL DEFAULT 0,
    sentiment_label  TEXT,
    sentiment_score  REAL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    deleted_at       INTEGER
);
CREATE INDEX comments_post ON comments (post_id, created_at, id);
CREATE INDEX comments_author ON comments (author_id, created_at, id);

CREATE TABLE comment_versions (
    comment_id  INTEGER NOT NULL REFERENCES comments (id),
    version     INTEGER NOT NULL,
    content     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (comment_id, version)
);

CREATE TABLE comment_votes (
    comment_id  INTEGER NOT NULL REFERENCES comments (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_votes_user ON comment_votes (user_id);
