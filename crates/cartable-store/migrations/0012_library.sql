-- The library: audiobooks, series with their episodes (kept apart from
-- the series, since a live session's recording adds one on its own), and
-- the courses of the literacy path.

CREATE TABLE audiobooks (
    id          TEXT PRIMARY KEY,
    lang        TEXT NOT NULL,
    title       TEXT NOT NULL,
    -- core::library::Audiobook as JSON.
    spec        TEXT NOT NULL,
    -- What the import read (metadata, files, encoding settings): the same
    -- fingerprint again means nothing to do.
    fingerprint TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE series (
    id          TEXT PRIMARY KEY,
    lang        TEXT NOT NULL,
    title       TEXT NOT NULL,
    -- core::library::Series as JSON.
    spec        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE episodes (
    series_id    TEXT NOT NULL REFERENCES series (id),
    id           TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    -- core::library::Episode as JSON.
    spec         TEXT NOT NULL,
    PRIMARY KEY (series_id, id)
);

CREATE INDEX episodes_by_date ON episodes (series_id, published_at);

-- The literacy path's courses: lessons of items with their sounds and
-- pictures, and the spoken prompts of every screen.
CREATE TABLE literacy_courses (
    id          TEXT PRIMARY KEY,
    lang        TEXT NOT NULL,
    title       TEXT NOT NULL,
    -- core::literacy::Course as JSON.
    spec        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
