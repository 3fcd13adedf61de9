-- The search index's change log. Every write that changes what the index holds of a
-- post (create, edit, move, delete, restore, vote, sentiment label) adds a row here in
-- its own transaction; every node's index tails the log by `seq`, and a search checks
-- the rows its index has not applied yet directly, so results are exact at once.
CREATE TABLE search_changes (
    seq         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    post_id     BIGINT NOT NULL,
    changed_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX search_changes_changed ON search_changes (changed_at);

-- One row: the generation of the posts table as the index knows it (bumped by a bulk
-- seed, which writes around the log) and where purging the log has reached. The
-- generation starts at a random number, so that an index built from one database is
-- never taken for another's.
CREATE TABLE search_state (
    id            BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    generation    BIGINT NOT NULL,
    purged_below  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO search_state (id, generation, purged_below) VALUES (1, FLOOR(RAND() * 1e12), 0);
