-- Each sign-in deletes the expired sessions; this keeps that a range scan.
CREATE INDEX sessions_expires ON sessions (expires_at);
