-- The Cognito-compatible API (src/cognito): SRP verifiers, challenge sessions, a sealed copy
-- of client secrets (SECRET_HASH needs the secret itself), server-side secrets, and the
-- access keys of the SigV4-signed admin actions.
--
-- Every "sealed" column holds "enc:v1:..." (AES-256-GCM under the configured master_key), or
-- the plain value when no master_key is configured.

-- One SRP verifier per user with a password, derived whenever a plaintext password is set.
CREATE TABLE srp_verifiers (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    salt       TEXT NOT NULL,          -- hex; the first byte is 01..7f
    verifier   TEXT NOT NULL,          -- sealed hex of v = g^x mod N
    updated_at BIGINT NOT NULL
);

-- A challenge in flight (PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED, ...): single use, bound to
-- pool, client and user, short-lived. The client holds the Session (stored hashed).
CREATE TABLE cognito_challenges (
    id           TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL UNIQUE,
    pool_id      TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL,
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE, -- NULL: decoy for an unknown user
    srp_user     TEXT NOT NULL,        -- USER_ID_FOR_SRP / the internal username
    challenge    TEXT NOT NULL,
    data         TEXT NOT NULL,        -- JSON (public values only)
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX cognito_challenges_expiry ON cognito_challenges(expires_at);

-- Sealed copy of a confidential client's secret, next to the SHA-256 the OAuth door checks.
ALTER TABLE clients ADD COLUMN secret_sealed TEXT;

-- Random keys the server makes for itself (SECRET_BLOCK encryption, decoy salts); sealed.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Access keys for the SigV4-signed admin actions (`incognito admin admin-key create`).
CREATE TABLE admin_keys (
    access_key_id TEXT PRIMARY KEY,
    secret        TEXT NOT NULL,       -- sealed secret access key
    description   TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
