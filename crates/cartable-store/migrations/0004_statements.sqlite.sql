-- Learning records: the xAPI statements as received (JSON text, never
-- changed once stored except the voided mark), the columns and index
-- tables the Statements resource filters on, the documents of the State,
-- Activity Profile and Agent Profile resources, the activity definitions
-- the Activities resource merges, attachments, and the LRS client keys.
--
-- seq is the order of storage; the LRS hands it out from one writer per
-- node (see cartable-web's xapi::writer), so it is also the order of
-- `stored`. Times are microseconds since the Unix epoch.
--
-- This is the SQLite text: seq is INTEGER PRIMARY KEY, SQLite's row id
-- (BIGINT PRIMARY KEY would be a second B-tree searched on every lookup),
-- and the index tables are WITHOUT ROWID (their primary key is the
-- table). The PostgreSQL text differs only there.

CREATE TABLE xapi_statements (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    stored       BIGINT NOT NULL,
    verb         TEXT NOT NULL,
    activity     TEXT,
    registration TEXT,
    voids        TEXT,
    refers_to    TEXT,
    voided       BIGINT NOT NULL DEFAULT 0,
    -- The key or user that stored it (for statements/read/mine).
    authority    TEXT NOT NULL,
    statement    TEXT NOT NULL
);
-- Every index costs each insert a B-tree write, and ingest speed matters
-- (whole schools sync at once): the rare columns get partial indexes,
-- which statements without them do not touch.
CREATE INDEX xapi_statements_verb ON xapi_statements (verb, seq);
CREATE INDEX xapi_statements_registration ON xapi_statements (registration, seq) WHERE registration IS NOT NULL;
CREATE INDEX xapi_statements_voids ON xapi_statements (voids) WHERE voids IS NOT NULL;
CREATE INDEX xapi_statements_refers_to ON xapi_statements (refers_to) WHERE refers_to IS NOT NULL;
CREATE INDEX xapi_statements_stored ON xapi_statements (stored);
CREATE INDEX xapi_statements_authority ON xapi_statements (authority, seq);

-- One row per agent a statement names, by IFI; direct = 1 for the actor
-- and an agent object (what `agent=` matches), 0 for the agents only
-- `related_agents=true` matches. No foreign key and no index by seq: each
-- would cost every insert; the one delete (erasing a person's records)
-- removes rows by their primary key.
CREATE TABLE xapi_statement_agents (
    ifi    TEXT NOT NULL,
    seq    BIGINT NOT NULL,
    direct BIGINT NOT NULL,
    PRIMARY KEY (ifi, seq)
) WITHOUT ROWID;

-- Likewise for activities: direct = 1 for the object activity.
CREATE TABLE xapi_statement_activities (
    activity TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    direct   BIGINT NOT NULL,
    PRIMARY KEY (activity, seq)
) WITHOUT ROWID;

