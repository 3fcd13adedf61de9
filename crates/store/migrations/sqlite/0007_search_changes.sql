-- The search index's change log. Every write that changes what the index holds of a
-- post (create, edit, move, delete, restore, vote, sentiment label) adds a row here in
-- its own transaction; every node's index tails the log by `seq`, and a search checks
-- the rows its index has not applied yet directly, so results are exact at once.
CREATE TABLE search_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL
);
CREATE INDEX search_changes_changed ON search_changes (changed_at);

-- One row: the generation of the posts table as the index knows it (bumped by a bulk
-- seed, which writes around the log) and where purging the log has reached. The
-- generation starts at a random number, so that an index built from one database is
-- never taken for another's.
CREATE TABLE search_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    generation    INTEGER NOT NULL,
    purged_below  INTEGER NOT NULL
);
INSERT INTO search_state (id, generation, purged_below) VALUES (1, abs(random() % 1000000000000), 0);
