-- What a Korean board shows: view counts, pinned notices, prefixes (말머리) and
-- bookmarks (스크랩).

-- Views are buffered and added in batches (see madang-domain's views), so the
-- counter costs one UPDATE per batch, not one per read.
ALTER TABLE posts ADD COLUMN view_count BIGINT NOT NULL DEFAULT 0, ADD COLUMN prefix_id BIGINT;
CREATE INDEX posts_active_views ON posts (deleted_at, view_count, id);
CREATE INDEX posts_active_prefix ON posts (prefix_id, deleted_at, created_at, id);

-- A board's prefixes, in the order the board shows them. A post keeps the id of its
-- prefix without a foreign key: deleting a prefix clears it from the posts in the
-- same transaction, and a list joins prefixes with LEFT JOIN.
ALTER TABLE categories ADD COLUMN prefix_required BIGINT NOT NULL DEFAULT 0;
CREATE TABLE board_prefixes (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    name        VARCHAR(255) NOT NULL,
    name_key    VARCHAR(255) NOT NULL,
    position    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX board_prefixes_name ON board_prefixes (category_id, name_key);

-- Pins: `scope_key` is `site` or `board:<id>`, and each holds slots 1 to 5, so the
-- limit is settled by the unique index however many pins race.
CREATE TABLE post_pins (
    post_id     BIGINT NOT NULL PRIMARY KEY REFERENCES posts (id),
    scope       VARCHAR(16) NOT NULL,
    scope_key   VARCHAR(40) NOT NULL,
    category_id BIGINT NOT NULL,
    slot        BIGINT NOT NULL,
    pinned_by   BIGINT REFERENCES users (id),
    pinned_at   BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX post_pins_slot ON post_pins (scope_key, slot);

CREATE TABLE bookmarks (
    user_id     BIGINT NOT NULL REFERENCES users (id),
    post_id     BIGINT NOT NULL REFERENCES posts (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, post_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX bookmarks_user_new ON bookmarks (user_id, created_at, post_id);
