-- Email verification and password-reset codes, and the mail outbox.

CREATE TABLE email_codes (
    id         INTEGER PRIMARY KEY,
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,          -- confirm_signup | reset_password | verify_attribute
    code_hash  TEXT NOT NULL,          -- SHA-256 of the 6 digits, keyed by user id
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER
);
CREATE INDEX email_codes_user ON email_codes(user_id, purpose);

-- Messages waiting to be delivered; a delivery failure leaves the row for a retry, so no
-- code is ever lost. Bodies are cleared once sent.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    pool_id         TEXT,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(sent_at, next_attempt_at);
