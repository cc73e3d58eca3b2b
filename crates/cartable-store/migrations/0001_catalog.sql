-- The catalog: capsules, programmes and the transcode cache.
-- This text runs unchanged on SQLite and PostgreSQL: TEXT, BIGINT and
-- composite keys only. Structured fields (translations, media, captions)
-- are JSON held in TEXT, because they are always read whole with their
-- capsule and never filtered on.

CREATE TABLE capsules (
    id          TEXT PRIMARY KEY,
    lang        TEXT NOT NULL,
    level       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    titles      TEXT NOT NULL,
    summaries   TEXT NOT NULL,
    media       TEXT NOT NULL,
    captions    TEXT NOT NULL,
    transcript  TEXT,
    attachments TEXT NOT NULL,
    tags        TEXT NOT NULL,
    -- BLAKE3 of the manifest row and every file it names: an import whose
    -- fingerprint is unchanged has nothing to do.
    fingerprint TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX capsules_level_subject ON capsules (level, subject, id);
CREATE INDEX capsules_subject ON capsules (subject, id);
CREATE INDEX capsules_lang ON capsules (lang, id);
CREATE INDEX capsules_created ON capsules (created_at, id);

CREATE TABLE programmes (
    id         TEXT PRIMARY KEY,
    titles     TEXT NOT NULL,
    summaries  TEXT NOT NULL,
    level      TEXT,
    subject    TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE programme_capsules (
    programme_id TEXT NOT NULL REFERENCES programmes (id),
    capsule_id   TEXT NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    PRIMARY KEY (programme_id, capsule_id)
);
CREATE INDEX programme_capsules_order ON programme_capsules (programme_id, position, capsule_id);
CREATE INDEX programme_capsules_capsule ON programme_capsules (capsule_id);

-- What a source file became: keyed by the source's BLAKE3 and the ladder's
-- version, so a capsule whose title changed is not transcoded again.
CREATE TABLE transcodes (
    source_hash TEXT NOT NULL,
    ladder      TEXT NOT NULL,
    media       TEXT NOT NULL,
    PRIMARY KEY (source_hash, ladder)
);
