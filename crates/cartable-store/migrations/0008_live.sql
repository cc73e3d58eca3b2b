-- Live sessions: the schedule, what the broadcaster pushed, and the room.
-- last_event numbers the room's events: every room write takes the next
-- number by updating the session's row, which also orders concurrent
-- writers (on PostgreSQL the row lock makes commits, and so NOTIFY
-- deliveries, follow the numbers).

CREATE TABLE live_sessions (
    id           TEXT PRIMARY KEY,
    -- The schedule as JSON (title, language, audience, capacity, …).
    schedule     TEXT NOT NULL,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    public       BIGINT NOT NULL,
    state        TEXT NOT NULL,
    -- BLAKE3 of the ingest token.
    token_digest TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    -- The media playlist viewers get, every segment named by its blob.
    playlist     TEXT,
    -- How far the stored playlist reaches (media sequence after its last
    -- segment, +1 once ended): an older one arriving late is not kept.
    playlist_position BIGINT NOT NULL,
    codecs       TEXT,
    format       TEXT,
    last_event   BIGINT NOT NULL,
    live_at      BIGINT,
    ended_at     BIGINT,
    capsule_id   TEXT,
    -- Why making the recording into a capsule failed (it is not retried
    -- by itself; `cartable live record` tries again).
    recording_error TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX live_sessions_starts ON live_sessions (starts_at);

-- The schools and classes a session is for (kind 'school' or 'class').
CREATE TABLE live_audience (
    session_id TEXT NOT NULL REFERENCES live_sessions (id),
    kind       TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    PRIMARY KEY (session_id, kind, group_id)
);
CREATE INDEX live_audience_group ON live_audience (kind, group_id);

CREATE TABLE live_registrations (
    session_id TEXT NOT NULL REFERENCES live_sessions (id),
    login      TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, login)
);

-- Every pushed segment, kept for the recording. seq is the push order;
-- duration_ms comes from the playlist that first lists the segment.
CREATE TABLE live_segments (
    session_id  TEXT NOT NULL REFERENCES live_sessions (id),
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    -- 1 for an fMP4 init section, which playlists name in EXT-X-MAP.
    init        BIGINT NOT NULL,
    duration_ms BIGINT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (session_id, name)
);

CREATE TABLE live_events (
    session_id TEXT NOT NULL REFERENCES live_sessions (id),
    id         BIGINT NOT NULL,
    staff      BIGINT NOT NULL,
    body       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE live_questions (
    session_id TEXT NOT NULL REFERENCES live_sessions (id),
    id         BIGINT NOT NULL,
    login      TEXT NOT NULL,
    name       TEXT NOT NULL,
    text       TEXT NOT NULL,
    state      TEXT NOT NULL,
    answer     TEXT,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE live_polls (
    session_id TEXT NOT NULL REFERENCES live_sessions (id),
    id         BIGINT NOT NULL,
    question   TEXT NOT NULL,
    -- A JSON list of the options.
    options    TEXT NOT NULL,
    open       BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);

-- One vote per learner per poll; voting again changes it.
CREATE TABLE live_votes (
    session_id TEXT NOT NULL,
    poll_id    BIGINT NOT NULL,
    login      TEXT NOT NULL,
    choice     BIGINT NOT NULL,
    PRIMARY KEY (session_id, poll_id, login)
);

CREATE TABLE live_hands (
    session_id TEXT NOT NULL REFERENCES live_sessions (id),
    login      TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, login)
);
