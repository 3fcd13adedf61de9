-- Madang board core (MariaDB/MySQL). Instants are epoch milliseconds (UTC).

CREATE TABLE users (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name           VARCHAR(255),
    name_key       VARCHAR(255),
    email          VARCHAR(255),
    email_key      VARCHAR(255),
    password_hash  VARCHAR(1024),
    role           VARCHAR(16)    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    state          VARCHAR(16)    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended', 'banned')),
    state_until    BIGINT,
    state_reason   VARCHAR(1024),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    deleted_at     BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX users_name_key ON users (name_key);
CREATE UNIQUE INDEX users_email_key ON users (email_key);

CREATE TABLE user_states (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    state       VARCHAR(16)    NOT NULL,
    until_at    BIGINT,
    reason      VARCHAR(1024),
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX user_states_user ON user_states (user_id, created_at, id);

CREATE TABLE sessions (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    token_hash  VARCHAR(64)    NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE login_history (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    succeeded   BIGINT NOT NULL,
    ip          VARCHAR(64),
    user_agent  VARCHAR(1024),
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX login_history_user ON login_history (user_id, created_at, id);

CREATE TABLE categories (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(255)    NOT NULL,
    name_key    VARCHAR(255)    NOT NULL,
    parent_id   BIGINT REFERENCES categories (id),
    parent_key  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX categories_sibling_name_key ON categories (parent_key, name_key);
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE posts (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    category_id      BIGINT NOT NULL REFERENCES categories (id),
    author_id        BIGINT REFERENCES users (id),
    title            VARCHAR(255)    NOT NULL,
    content          MEDIUMTEXT    NOT NULL,
    search_text      MEDIUMTEXT    NOT NULL,
    version          BIGINT NOT NULL,
    comment_count    BIGINT NOT NULL DEFAULT 0,
    vote_count       BIGINT NOT NULL DEFAULT 0,
    hot_rank         DOUBLE    NOT NULL,
    sentiment_label  VARCHAR(16),
    sentiment_score  DOUBLE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    deleted_at       BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX posts_new ON posts (created_at, id);
CREATE INDEX posts_top ON posts (vote_count, id);
CREATE INDEX posts_hot ON posts (hot_rank, id);
CREATE INDEX posts_category_new ON posts (category_id, created_at, id);
CREATE INDEX posts_author_new ON posts (author_id, created_at, id);

CREATE TABLE post_versions (
    post_id     BIGINT NOT NULL REFERENCES posts (id),
    version     BIGINT NOT NULL,
    title       VARCHAR(255)    NOT NULL,
    content     MEDIUMTEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE post_votes (
    post_id     BIGINT NOT NULL REFERENCES posts (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX post_votes_user ON post_votes (user_id);

CREATE TABLE comments (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    post_id          BIGINT NOT NULL REFERENCES posts (id),
    author_id        BIGINT REFERENCES users (id),
    content          MEDIUMTEXT    NOT NULL,
    version          BIGINT NOT NULL,
    vote_count       BIGINT NOT NULL DEFAULT 0,
    sentiment_label  VARCHAR(16),
    sentiment_score  DOUBLE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    deleted_at       BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX comments_post ON comments (post_id, created_at, id);
CREATE INDEX comments_author ON comments (author_id, created_at, id);

CREATE TABLE comment_versions (
    comment_id  BIGINT NOT NULL REFERENCES comments (id),
    version     BIGINT NOT NULL,
    content     MEDIUMTEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (comment_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE comment_votes (
    comment_id  BIGINT NOT NULL REFERENCES comments (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (comment_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX comment_votes_user ON comment_votes (user_id);
