-- Courses: who enrolled, the readings each learner marked as read, and the
-- certificates issued (one per learner and course, found by its code).

CREATE TABLE courses (
    id         TEXT PRIMARY KEY,
    -- core::course::CourseSpec as JSON.
    spec       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE course_enrolments (
    course_id TEXT NOT NULL REFERENCES courses (id),
    login     TEXT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (course_id, login)
);

CREATE TABLE course_readings (
    course_id TEXT NOT NULL REFERENCES courses (id),
    login     TEXT NOT NULL,
    module    BIGINT NOT NULL,
    item      BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (course_id, login, module, item)
);

CREATE TABLE course_certificates (
    code      TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES courses (id),
    login     TEXT NOT NULL,
    -- The learner's name and the course's title as they were when issued.
    name      TEXT NOT NULL,
    title     TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    UNIQUE (course_id, login)
);
