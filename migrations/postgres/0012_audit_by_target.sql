-- A user's sign-in history is read by (pool, user id) newest first: without this index every
-- account page and AdminListUserAuthEvents call would scan the pool's whole audit log.
CREATE INDEX audit_events_pool_target_at ON audit_events (pool_id, target, at);

-- "This wasn't me" (or "that was me"): the user's or an admin's word on one sign-in event.
-- No foreign key to audit_events (the event is purged with the audit retention, the feedback
-- stays until the user goes); deleting the user deletes it.
CREATE TABLE auth_event_feedback (
    pool_id  TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    value    TEXT NOT NULL CHECK (value IN ('Valid', 'Invalid')),
    at       BIGINT NOT NULL,
    PRIMARY KEY (pool_id, event_id)
);
