-- View counts move to a table of their own, one row per post, as on the other
-- engines: a flush adds to a narrow row instead of a wide post row. On PostgreSQL that
-- made a 15,000-post flush 1.6 s → 0.2 s; InnoDB already updated `posts` in place, and
-- its flush cost about the same per view before and after.
CREATE TABLE post_views (
    post_id    BIGINT NOT NULL PRIMARY KEY,
    view_count BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT post_views_post FOREIGN KEY (post_id) REFERENCES posts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO post_views (post_id, view_count) SELECT id, view_count FROM posts;
-- `sort=views` reads this index in order and joins each post by its key.
CREATE INDEX post_views_count ON post_views (view_count, post_id);
DROP INDEX posts_active_views ON posts;
ALTER TABLE posts DROP COLUMN view_count;
