-- Question banks, quizzes and attempts. A question's id is the hash of
-- its bank and content (core::quiz::question_id): questions are never
-- edited in place, so an attempt always names what was asked.

CREATE TABLE question_banks (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE questions (
    id       TEXT PRIMARY KEY,
    bank     TEXT NOT NULL REFERENCES question_banks (id),
    position BIGINT NOT NULL,
    -- core::quiz::Question as JSON.
    body     TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX questions_bank ON questions (bank, position);

CREATE TABLE question_tags (
    question TEXT NOT NULL REFERENCES questions (id),
    tag      TEXT NOT NULL,
    PRIMARY KEY (question, tag)
);
CREATE INDEX question_tags_tag ON question_tags (tag, question);

CREATE TABLE quizzes (
    id           TEXT PRIMARY KEY,
    -- core::quiz::paper::QuizSpec as JSON.
    spec         TEXT NOT NULL,
    capsule_id   TEXT,
    programme_id TEXT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX quizzes_capsule ON quizzes (capsule_id);
CREATE INDEX quizzes_programme ON quizzes (programme_id);

-- Starting an attempt is this one row: the paper drawn, and the deadline
-- the server holds answers to. Credits are thousandths of a question.
CREATE TABLE quiz_attempts (
    id          TEXT PRIMARY KEY,
    quiz_id     TEXT NOT NULL REFERENCES quizzes (id),
    login       TEXT NOT NULL,
    number      BIGINT NOT NULL,
    -- The question ids, in the order asked, as a JSON array.
    paper       TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    deadline    BIGINT,
    finished_at BIGINT,
    credit      BIGINT,
    UNIQUE (quiz_id, login, number)
);
CREATE INDEX quiz_attempts_login ON quiz_attempts (login, quiz_id);

CREATE TABLE quiz_answers (
    attempt_id TEXT NOT NULL REFERENCES quiz_attempts (id),
    slot       BIGINT NOT NULL,
    -- core::quiz::Answer as JSON.
    answer     TEXT NOT NULL,
    credit     BIGINT NOT NULL,
    saved_at   BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, slot)
);
