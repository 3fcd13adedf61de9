-- The console filters posts and comments by sentiment (a moderator looking for the
-- negative ones, or for what is not labelled yet), newest first: without an index led
-- by the label, a rare label is a scan of every row for the page and its total.
CREATE INDEX posts_sentiment_new ON posts (sentiment_label, created_at, id);
CREATE INDEX comments_sentiment_new ON comments (sentiment_label, created_at, id);
