-- Seminars with capacity-limited enrolment, and the role profiles that join them (SQLite).

CREATE TABLE participant_profiles (
    user_id     INTEGER NOT NULL PRIMARY KEY REFERENCES users (id),
    university  TEXT    NOT NULL,
    accepted    INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

CREATE TABLE instructor_profiles (
    user_id     INTEGER NOT NULL PRIMARY KEY REFERENCES users (id),
    company     TEXT    NOT NULL,
    years       INTEGER,
    created_at  INTEGER NOT NULL
);

CREATE TABLE seminars (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    name_key           TEXT    NOT NULL,
    capacity           INTEGER NOT NULL CHECK (capacity > 0),
    session_count      INTEGER NOT NULL CHECK (session_count > 0),
    start_time         TEXT    NOT NULL,
    online             INTEGER NOT NULL,
    participant_count  INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK (participant_count <= capacity)
);
CREATE INDEX seminars_new ON seminars (created_at, id);

CREATE TABLE seminar_members (
    seminar_id  INTEGER NOT NULL REFERENCES seminars (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    role        TEXT    NOT NULL CHECK (role IN ('instructor', 'participant')),
    joined_at   INTEGER NOT NULL,
    is_active   INTEGER NOT NULL,
    dropped_at  INTEGER,
    PRIMARY KEY (seminar_id, user_id)
);
CREATE INDEX seminar_members_user ON seminar_members (user_id, role, is_active);
