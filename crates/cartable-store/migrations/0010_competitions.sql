-- Innovation competitions: teams (a learner is in at most one team per
-- competition), each team's submission (text and files, replaced while
-- submissions are open), and each juror's scores against the rubric.

CREATE TABLE competitions (
    id           TEXT PRIMARY KEY,
    -- core::competition::CompetitionSpec as JSON.
    spec         TEXT NOT NULL,
    published_at BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE competition_teams (
    id             TEXT PRIMARY KEY,
    competition_id TEXT NOT NULL REFERENCES competitions (id),
    name           TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (competition_id, name)
);

CREATE TABLE competition_members (
    competition_id TEXT NOT NULL REFERENCES competitions (id),
    team_id        TEXT NOT NULL REFERENCES competition_teams (id),
    login          TEXT NOT NULL,
    PRIMARY KEY (competition_id, login)
);
CREATE INDEX competition_members_team ON competition_members (team_id);

CREATE TABLE competition_submissions (
    team_id      TEXT PRIMARY KEY REFERENCES competition_teams (id),
    body         TEXT NOT NULL,
    -- [{name, blob, size, mime}] as JSON.
    files        TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at BIGINT NOT NULL
);

CREATE TABLE competition_scores (
    team_id TEXT NOT NULL REFERENCES competition_teams (id),
    juror   TEXT NOT NULL,
    -- One number per criterion, as a JSON array.
    scores  TEXT NOT NULL,
    comment TEXT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (team_id, juror)
);
