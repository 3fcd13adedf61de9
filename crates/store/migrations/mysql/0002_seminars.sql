-- Seminars with capacity-limited enrolment, and the role profiles that join them (MariaDB/MySQL).

CREATE TABLE participant_profiles (
    user_id     BIGINT NOT NULL PRIMARY KEY REFERENCES users (id),
    university  VARCHAR(255)    NOT NULL,
    accepted    BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE instructor_profiles (
    user_id     BIGINT NOT NULL PRIMARY KEY REFERENCES users (id),
    company     VARCHAR(255)    NOT NULL,
    years       BIGINT,
    created_at  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE seminars (
    id                 BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name               VARCHAR(255)    NOT NULL,
    name_key           VARCHAR(255)    NOT NULL,
    capacity           BIGINT NOT NULL CHECK (capacity > 0),
    session_count      BIGINT NOT NULL CHECK (session_count > 0),
    start_time         VARCHAR(16)    NOT NULL,
    online             BIGINT NOT NULL,
    participant_count  BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    CHECK (participant_count <= capacity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX seminars_new ON seminars (created_at, id);

CREATE TABLE seminar_members (
    seminar_id  BIGINT NOT NULL REFERENCES seminars (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    role        VARCHAR(16)    NOT NULL CHECK (role IN ('instructor', 'participant')),
    joined_at   BIGINT NOT NULL,
    is_active   BIGINT NOT NULL,
    dropped_at  BIGINT,
    PRIMARY KEY (seminar_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX seminar_members_user ON seminar_members (user_id, role, is_active);
