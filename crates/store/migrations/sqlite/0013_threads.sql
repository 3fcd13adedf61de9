-- Replies (대댓글): a reply names its thread's top-level comment (`parent_id`) and the
-- comment it answers (`reply_to_id`, the parent or another reply of the thread).
-- `reply_count` counts a top-level comment's live replies; a post's `thread_count`
-- counts the top-level comments its list shows (live ones, and deleted ones that still
-- have live replies, shown as placeholders). Both move in the transaction of every
-- comment write, like `comment_count`, and the nightly reconcile recounts them.
ALTER TABLE comments ADD COLUMN parent_id INTEGER;
ALTER TABLE comments ADD COLUMN reply_to_id INTEGER;
ALTER TABLE comments ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN thread_count INTEGER NOT NULL DEFAULT 0;
UPDATE posts SET thread_count = comment_count;
CREATE INDEX comments_thread_top ON comments (post_id, parent_id, created_at, id);
CREATE INDEX comments_replies ON comments (parent_id, created_at, id);
