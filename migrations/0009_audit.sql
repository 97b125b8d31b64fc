-- The audit log: one row per administrative change (CLI, control-plane and admin actions,
-- bootstrap) and per security event (sign-ins, refreshes, lock-outs, password and MFA
-- changes, revocations, user life cycle). Never a secret. No foreign key to pools: the record
-- of what happened to a pool outlives the pool. Purged after `audit_retention_days`.

CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    pool_id TEXT,
    -- `cli`, `bootstrap`, `key:<admin access key id>`, `user:<sub>`, `anonymous`
    actor   TEXT NOT NULL,
    -- `hosted`, `oauth`, `cognito`, `cli`, `bootstrap`, `core`
    door    TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT,
    source  TEXT,
    -- `success`, or what the caller was answered (a Cognito `__type`, `failed`, `locked`)
    outcome TEXT NOT NULL
);

CREATE INDEX audit_events_pool_at ON audit_events (pool_id, at);
CREATE INDEX audit_events_at ON audit_events (at);
