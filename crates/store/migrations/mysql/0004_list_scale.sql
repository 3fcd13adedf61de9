-- Lists that stay flat at a million posts (MariaDB/MySQL).
--
-- Every public list reads active posts only. MariaDB has no partial indexes, so the
-- list indexes lead with deleted_at: `deleted_at IS NULL` is an equality on the first
-- column and the rest of the index gives the order, so a page walks the index and
-- stops, and every column a deep OFFSET needs to skip a row is in the index.

-- Active posts per category, kept in the transaction of every post create, move and
-- delete (and re-counted by the nightly reconcile): a list's total is a sum over the
-- category tree instead of a COUNT(*) over the posts.
ALTER TABLE categories ADD COLUMN post_count BIGINT NOT NULL DEFAULT 0;
UPDATE categories SET post_count =
    (SELECT COUNT(*) FROM posts p WHERE p.category_id = categories.id AND p.deleted_at IS NULL);

CREATE INDEX posts_active_new ON posts (deleted_at, created_at, id);
CREATE INDEX posts_active_top ON posts (deleted_at, vote_count, id);
CREATE INDEX posts_active_hot ON posts (deleted_at, hot_rank, id);
CREATE INDEX posts_active_category ON posts (deleted_at, category_id, created_at, id);
CREATE INDEX posts_active_author ON posts (deleted_at, author_id, created_at, id);
DROP INDEX posts_top ON posts;
DROP INDEX posts_hot ON posts;
-- posts_category_new and posts_author_new stay: InnoDB wants an index led by each
-- foreign-key column. posts_new stays for the daily statistics, which count deleted
-- posts too.
