-- SAML 2.0 identity providers (issue #14). Migration 0014 is adaptive sign-in's (issue #16).

-- The pool's service-provider key: signs AuthnRequests and LogoutRequests, decrypts
-- encrypted assertions; its certificate is in the SP metadata and GetSigningCertificate.
CREATE TABLE saml_sp_keys (
    pool_id     TEXT PRIMARY KEY REFERENCES pools(id) ON DELETE CASCADE,
    private_key TEXT NOT NULL,            -- RSA private key, PKCS#1 DER, base64, sealed
    certificate BLOB NOT NULL,            -- X.509 DER, self-signed
    created_at  INTEGER NOT NULL
);

-- Assertion ids already used, until the assertion expires: a replayed assertion finds its id.
CREATE TABLE saml_assertions_seen (
    pool_id      TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    issuer       TEXT NOT NULL,
    assertion_id TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (pool_id, issuer, assertion_id)
);
CREATE INDEX saml_assertions_seen_expiry ON saml_assertions_seen(expires_at);

-- A user's last SAML sign-in, for single logout: the provider, and the NameID and
-- SessionIndex the IdP knows the session by. `signed_in_at` is the browser session's
-- auth_time, so a later sign-in of another kind does not send a LogoutRequest upstream.
CREATE TABLE saml_logins (
    pool_id        TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    name_id        TEXT NOT NULL,
    name_id_format TEXT,
    session_index  TEXT,
    signed_in_at   INTEGER NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);
