-- Federation (issue #14): a pool's identity providers (Cognito's model), the links from an
-- upstream identity to a user, and the server-side state of sign-ins in flight upstream.

CREATE TABLE identity_providers (
    pool_id           TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,      -- Cognito's ProviderName
    provider_type     TEXT NOT NULL,      -- OIDC | Google | SignInWithApple | Facebook | LoginWithAmazon | SAML
    details           TEXT NOT NULL,      -- JSON ProviderDetails as given; secrets sealed
    attribute_mapping TEXT NOT NULL,      -- JSON object: pool attribute -> upstream claim
    idp_identifiers   TEXT NOT NULL,      -- JSON array
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);

-- One row per upstream identity: (pool, provider, upstream subject) -> user.
CREATE TABLE federated_links (
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, provider, subject)
);
CREATE INDEX federated_links_user ON federated_links(user_id);

-- A sign-in sent upstream: keyed by the hash of the `state` it carries, single use
-- (taken with DELETE ... RETURNING), five minutes.
CREATE TABLE federation_states (
    state_hash TEXT PRIMARY KEY,
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    data       TEXT NOT NULL,             -- JSON: nonce, PKCE verifier, pending request id
    expires_at BIGINT NOT NULL
);
CREATE INDEX federation_states_expiry ON federation_states(expires_at);
