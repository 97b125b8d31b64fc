-- Groups carry an IAM role (Cognito's RoleArn: cognito:roles / cognito:preferred_role in ID
-- tokens), and admin access keys may be scoped to one pool and/or to read actions.
ALTER TABLE groups ADD COLUMN role_arn TEXT;

ALTER TABLE admin_keys ADD COLUMN pool_id TEXT;                               -- NULL: every pool
ALTER TABLE admin_keys ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE;   -- TRUE: Describe/Get/List only
ALTER TABLE groups ADD COLUMN updated_at BIGINT;                              -- NULL: created_at
