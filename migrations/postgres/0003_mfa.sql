-- TOTP multi-factor authentication: factors, recovery codes, sign-in challenges, remembered devices.

CREATE TABLE mfa_totp (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,          -- base32, sealed with the master key when one is configured
    enabled    BOOLEAN NOT NULL,       -- FALSE while the set-up waits for its first code
    created_at BIGINT NOT NULL,
    last_step  BIGINT NOT NULL DEFAULT 0   -- the last accepted time step: no replay
);

CREATE TABLE mfa_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in that passed the password step and waits for its second factor.
CREATE TABLE mfa_challenges (
    id_hash    TEXT PRIMARY KEY,
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,          -- verify | enrol
    auth_time  BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE remembered_devices (
    token_hash TEXT PRIMARY KEY,
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX remembered_devices_user ON remembered_devices(user_id);
