-- Adaptive (risk-based) sign-in (issue #16 point 2, src/authn/risk/).

-- One row per scored sign-in (a right password, at any door), written when it is scored.
-- The audit writer links it to the sign-in's audit event (`event_id`) when that event is
-- written; a link to a successful event also "learns" the sign-in's device, network and
-- country (risk_seen). Purged with the audit log (`audit_retention_days`).
CREATE TABLE sign_in_risk (
    id          INTEGER PRIMARY KEY,
    pool_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    -- `Low`, `Medium`, `High`, or NULL when no signal fired
    level       TEXT,
    -- Cognito's RiskDecision: `NoRisk`, `AccountTakeover`, `Block`
    decision    TEXT NOT NULL,
    -- what was done: `NO_ACTION`, `MFA_IF_CONFIGURED`, `MFA_REQUIRED`, `BLOCK` (AUDIT: NO_ACTION)
    action      TEXT NOT NULL,
    -- the signals that fired, comma-separated (`new_device,new_network`)
    signals     TEXT NOT NULL,
    source      TEXT NOT NULL,
    -- hashes (never the raw device id or address): what is learned on success
    device_hash  TEXT,
    network_hash TEXT NOT NULL,
    device_name TEXT,
    country     TEXT,
    city        TEXT,
    latitude    REAL,
    longitude   REAL,
    event_id    INTEGER,
    -- 1 once linked to a successful sign-in event (its device, network, country learned)
    learned     INTEGER NOT NULL DEFAULT 0,
    -- the "this wasn't me" link of the notification mail was used (single use)
    link_used_at INTEGER
);

CREATE INDEX sign_in_risk_pending ON sign_in_risk (user_id, event_id, at);
CREATE INDEX sign_in_risk_event ON sign_in_risk (pool_id, event_id);
CREATE INDEX sign_in_risk_at ON sign_in_risk (at);

-- What a user has signed in from successfully: `device`, `network` (/24, /48) and `country`
-- values, hashed. A value first seen is a signal; one seen before is not.
CREATE TABLE risk_seen (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('device', 'network', 'country')),
    value    TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, value)
);

CREATE INDEX risk_seen_last_at ON risk_seen (last_at);
