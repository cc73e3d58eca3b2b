-- Accounts, sessions, API tokens, schools and classes; and the removals
-- half of the catalog's change feed (the other half is capsules.updated_at),
-- from which every node keeps its search index current.
-- Secrets are never stored: sessions and tokens by the BLAKE3 digest of
-- their random value, passwords and picture passwords as argon2id strings.

CREATE TABLE users (
    login         TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT,
    avatar        TEXT,
    picture_hash  TEXT,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    digest     TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_login ON sessions (login);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    digest       TEXT NOT NULL UNIQUE,
    login        TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_login ON api_tokens (login);

CREATE TABLE schools (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE classes (
    id            TEXT PRIMARY KEY,
    school_id     TEXT NOT NULL REFERENCES schools (id),
    name          TEXT NOT NULL,
    picture_login BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX classes_school ON classes (school_id, id);

-- position: 'teacher' or 'learner'.
CREATE TABLE class_members (
    class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    login    TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    position TEXT NOT NULL,
    PRIMARY KEY (class_id, login)
);
CREATE INDEX class_members_login ON class_members (login);

CREATE TABLE capsule_removals (
    capsule_id TEXT PRIMARY KEY,
    removed_at BIGINT NOT NULL
);
CREATE INDEX capsule_removals_at ON capsule_removals (removed_at);
CREATE INDEX capsules_updated ON capsules (updated_at);
