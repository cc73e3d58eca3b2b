-- The rest of the learning records, the same text on both engines: the
-- documents of the State, Activity Profile and Agent Profile resources,
-- the activity definitions the Activities resource merges, attachments,
-- the LRS client keys, and the projections the pages read (progress, the
-- city's counts, assignments).

CREATE TABLE xapi_activities (
    id         TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated    BIGINT NOT NULL
);

-- Attachment bytes live in the blob store; sha2 is what statements name.
CREATE TABLE xapi_attachments (
    sha2         TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    length       BIGINT NOT NULL,
    blob         TEXT NOT NULL
);

-- kind: 'state', 'activity_profile' or 'agent_profile'; the parts a kind
-- does not use are ''. The content lives in the blob store; etag is the
-- SHA-1 of the content, as the spec asks.
CREATE TABLE xapi_documents (
    kind         TEXT NOT NULL,
    activity     TEXT NOT NULL,
    agent        TEXT NOT NULL,
    registration TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    blob         TEXT NOT NULL,
    etag         TEXT NOT NULL,
    updated      BIGINT NOT NULL,
    PRIMARY KEY (kind, activity, agent, registration, doc_id)
);
CREATE INDEX xapi_documents_agent ON xapi_documents (kind, agent, activity);

-- Basic-auth credentials for xAPI clients; the secret is kept as its BLAKE3
-- digest (it is 256 random bits, so no slow hash is needed).
CREATE TABLE lrs_keys (
    key           TEXT PRIMARY KEY,
    secret_digest TEXT NOT NULL,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);

-- The projection the pages read: one row per platform user and activity,
-- folded from their statements by the writer in the statements' own
-- transaction (and recomputed from the statements when one is voided).
-- It holds nothing the statements do not: `cartable lrs reproject`
-- rebuilds it. reached is per mille; times in microseconds.
CREATE TABLE progress (
    login       TEXT NOT NULL,
    activity    TEXT NOT NULL,
    position_ms BIGINT,
    reached     BIGINT,
    completed   BIGINT NOT NULL DEFAULT 0,
    spent_ms    BIGINT NOT NULL DEFAULT 0,
    first_at    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL,
    PRIMARY KEY (login, activity)
);
CREATE INDEX progress_activity ON progress (activity, login);

-- Schools belong to a district (or province): the indicators' reach by
-- district.
ALTER TABLE schools ADD COLUMN district TEXT NOT NULL DEFAULT '';

-- The city indicators: counts only, added by the writer in the statements'
-- transaction. They name no learner, so erasing a learner's records leaves
-- them as they are. day is YYYY-MM-DD (UTC) of the statement's timestamp;
-- school is '' for learners in no class; capsule '' for other activities;
-- channel 'online' or 'offline' (brought back from a satchel); device
-- phone, tablet, computer, tv or ''; quality the rendition watched or ''.
CREATE TABLE daily_activity (
    day         TEXT NOT NULL,
    school      TEXT NOT NULL,
    capsule     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    device      TEXT NOT NULL,
    quality     TEXT NOT NULL,
    records     BIGINT NOT NULL,
    starts      BIGINT NOT NULL,
    completions BIGINT NOT NULL,
    seconds     BIGINT NOT NULL,
    PRIMARY KEY (day, school, capsule, channel, device, quality)
);

-- Distinct active learners per day and per ISO week (2026-W48), per school.
CREATE TABLE daily_learners (
    day      TEXT NOT NULL,
    school   TEXT NOT NULL,
    learners BIGINT NOT NULL,
    PRIMARY KEY (day, school)
);
CREATE TABLE weekly_learners (
    week     TEXT NOT NULL,
    school   TEXT NOT NULL,
    learners BIGINT NOT NULL,
    PRIMARY KEY (week, school)
);

-- Who was already counted on a day or in a week, so each learner counts
-- once; erasing a learner deletes their rows here, never the counts.
CREATE TABLE learner_days (
    login TEXT NOT NULL,
    day   TEXT NOT NULL,
    PRIMARY KEY (login, day)
);
CREATE INDEX learner_days_day ON learner_days (day, login);
CREATE TABLE learner_weeks (
    login TEXT NOT NULL,
    week  TEXT NOT NULL,
    PRIMARY KEY (login, week)
);

-- What a teacher asked a class to watch, by when: a programme (all its
-- capsules) or a list of capsules (JSON array). due is YYYY-MM-DD.
CREATE TABLE assignments (
    id         TEXT PRIMARY KEY,
    class_id   TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    programme  TEXT,
    capsules   TEXT NOT NULL,
    due        TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX assignments_class ON assignments (class_id, due);
