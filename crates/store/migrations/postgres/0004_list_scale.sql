-- Lists that stay flat at a million posts.
--
-- Every public list reads active posts only, so its indexes hold active posts only
-- (partial indexes): a page walks the index in order and stops, with no row visited
-- to be thrown away, and a deep OFFSET skips index entries rather than rows.

-- Active posts per category, kept in the transaction of every post create, move and
-- delete (and re-counted by the nightly reconcile): a list's total is a sum over the
-- category tree instead of a COUNT(*) over the posts.
ALTER TABLE categories ADD COLUMN post_count BIGINT NOT NULL DEFAULT 0;
UPDATE categories SET post_count =
    (SELECT COUNT(*) FROM posts p WHERE p.category_id = categories.id AND p.deleted_at IS NULL);

CREATE INDEX posts_active_new ON posts (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX posts_active_top ON posts (vote_count, id) WHERE deleted_at IS NULL;
CREATE INDEX posts_active_hot ON posts (hot_rank, id) WHERE deleted_at IS NULL;
CREATE INDEX posts_active_category ON posts (category_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX posts_active_author ON posts (author_id, created_at, id) WHERE deleted_at IS NULL;
DROP INDEX posts_top;
DROP INDEX posts_hot;
-- posts_new, posts_category_new and posts_author_new stay: the daily statistics count
-- deleted posts too, and deleting a category or checking it for posts looks up every
-- post of it, deleted or not.
