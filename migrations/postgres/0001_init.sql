-- Incognito schema, version 1 (PostgreSQL twin of migrations/0001_init.sql).
-- Types: epoch seconds and counters are BIGINT (the Rust side reads i64); flags the Rust side
-- binds and reads as bool are BOOLEAN; JSON stays TEXT, as in SQLite, so one statement text
-- reads it on both engines.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
-- Bumped by triggers whenever something the server caches changes, so a running server
-- notices changes made by the CLI (or, here, by another instance) on the same database.
INSERT INTO meta (key, value) VALUES ('cache_generation', 0);

CREATE TABLE pools (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    settings   TEXT NOT NULL,          -- JSON: pools::PoolSettings
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    secret_hash TEXT,                  -- SHA-256 of the secret, hex; NULL for public clients
    settings    TEXT NOT NULL,         -- JSON: pools::ClientSettings
    created_at  BIGINT NOT NULL
);
CREATE INDEX clients_pool ON clients(pool_id);

CREATE TABLE resource_scopes (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,             -- "resource-server/scope"
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,   -- the stable `sub`, a UUID
    pool_id        TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    username       TEXT NOT NULL,      -- Cognito username (the UUID in email-username pools)
    email          TEXT,               -- lower-cased login alias
    status         TEXT NOT NULL,      -- UNCONFIRMED | CONFIRMED | FORCE_CHANGE_PASSWORD
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash  TEXT,
    attributes     TEXT NOT NULL,      -- JSON object of string attributes (name, locale, custom:*)
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (pool_id, username)
);
CREATE UNIQUE INDEX users_email ON users(pool_id, email) WHERE email IS NOT NULL;

CREATE TABLE groups (
    pool_id     TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    precedence  BIGINT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id    TEXT NOT NULL,
    group_name TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, group_name, user_id),
    FOREIGN KEY (pool_id, group_name) REFERENCES groups(pool_id, name) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    alg         TEXT NOT NULL,
    private_jwk TEXT NOT NULL,         -- JSON, or "enc:v1:..." when a master key is configured
    public_jwk  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    active      BOOLEAN NOT NULL,      -- TRUE for the key that signs; FALSE for retired keys
    retired_at  BIGINT                 -- when it stopped signing; published until retired_at + max token lifetime
);
CREATE INDEX signing_keys_pool ON signing_keys(pool_id);

CREATE TABLE browser_sessions (
    id_hash    TEXT PRIMARY KEY,       -- SHA-256 of the cookie value
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time  BIGINT NOT NULL,
    amr        TEXT NOT NULL,          -- JSON array
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX browser_sessions_user ON browser_sessions(user_id);

-- An authorization request waiting for the user to sign in (or consent).
CREATE TABLE pending_authorizations (
    id         TEXT PRIMARY KEY,
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    request    TEXT NOT NULL,          -- JSON: oidc::authorize::AuthorizeRequest
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- A grant: everything issued from one authentication of one user to one client.
-- Refresh tokens rotate inside a family; revoking the family kills its access tokens too.
CREATE TABLE token_families (
    id         TEXT PRIMARY KEY,       -- also the access tokens' origin_jti
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    amr        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,        -- absolute lifetime of the refresh chain
    revoked_at BIGINT
);
CREATE INDEX token_families_user ON token_families(user_id);

CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    pool_id        TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      BIGINT NOT NULL,
    amr            TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    consumed_at    BIGINT,
    family_id      TEXT                -- set on redemption; revoked if the code is replayed
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES token_families(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT                  -- NULL while it is the family's current token
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);

CREATE TABLE login_throttle (
    pool_id      TEXT NOT NULL,
    subject      TEXT NOT NULL,        -- lower-cased username, or "ip:..."
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    PRIMARY KEY (pool_id, subject)
);

-- SQLite's triggers carry their body inline; PostgreSQL's call a function. One function
-- serves every cache-generation trigger; the triggers keep SQLite's names (one per table and
-- event) so that the schema parity test can compare them.
-- It also notifies `incognito_cache`: delivered to every listening instance at commit (one per
-- transaction, however many rows changed), so caches are dropped at once instead of at the
-- next once-a-second poll of the generation, which stays the fallback.
CREATE FUNCTION bump_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'cache_generation';
    PERFORM pg_notify('incognito_cache', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER pools_gen_i AFTER INSERT ON pools FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE TRIGGER pools_gen_u AFTER UPDATE ON pools FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE TRIGGER pools_gen_d AFTER DELETE ON pools FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE TRIGGER keys_gen_i AFTER INSERT ON signing_keys FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE TRIGGER keys_gen_u AFTER UPDATE ON signing_keys FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE TRIGGER keys_gen_d AFTER DELETE ON signing_keys FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE TRIGGER scopes_gen_i AFTER INSERT ON resource_scopes FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE TRIGGER scopes_gen_d AFTER DELETE ON resource_scopes FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
