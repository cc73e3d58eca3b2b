-- Satchels and sync. On a hub: the boxes it packed satchels for (a box's
-- public key is its certificate) and how far each box's records have come
-- back. On a box: what it serves and how far its own sync has gone, as
-- named values. On both: the log of every sync, with what failed and why.

CREATE TABLE sync_boxes (
    id             TEXT PRIMARY KEY,
    public_key     TEXT NOT NULL UNIQUE,
    -- JSON array of school ids whose learners' records the box may send.
    schools        TEXT NOT NULL,
    version        BIGINT NOT NULL,
    digest         TEXT NOT NULL,
    packed_at      BIGINT NOT NULL,
    -- The box's own record numbers: every one up to received has arrived;
    -- newest is the highest the box said it had at its last contact.
    received       BIGINT NOT NULL DEFAULT 0,
    newest         BIGINT NOT NULL DEFAULT 0,
    last_sync_at   BIGINT,
    last_sync_kind TEXT,
    -- The newest satchel packed for the box, for a box online to fetch:
    -- its signed manifest and its sections (JSON: base64 manifest, hex
    -- signature, base64 sections by name). Never served but to the box.
    satchel        TEXT
);

CREATE TABLE sync_events (
    seq        BIGINT PRIMARY KEY,
    box_id     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    -- push, pull, import, export
    kind       TEXT NOT NULL,
    ok         BIGINT NOT NULL,
    accepted   BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX sync_events_box ON sync_events (box_id, seq);

CREATE TABLE local_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
