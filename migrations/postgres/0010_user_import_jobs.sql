-- Cognito's user import jobs (CreateUserImportJob, ...): the uploaded CSV, the resume point and
-- the counters. A job runs in the background in batches; `rows_done` moves in the same write
-- transaction as each batch's users, so a restart resumes exactly where the job stopped.
CREATE TABLE user_import_jobs (
    id                TEXT PRIMARY KEY,          -- import-<alphanumerics>
    pool_id           TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    role_arn          TEXT NOT NULL,             -- CloudWatchLogsRoleArn: recorded, unused
    status            TEXT NOT NULL,             -- Created | Pending | InProgress | Stopping | Stopped | Succeeded | Failed | Expired
    upload_hash       TEXT,                      -- SHA-256 of the one-time upload token; NULL once used
    upload_expires_at BIGINT NOT NULL,
    csv               BYTEA,                     -- the uploaded file, dropped when the job ends
    rows_done         BIGINT NOT NULL DEFAULT 0,
    imported          BIGINT NOT NULL DEFAULT 0,
    skipped           BIGINT NOT NULL DEFAULT 0,
    failed            BIGINT NOT NULL DEFAULT 0,
    report            TEXT NOT NULL DEFAULT '',  -- JSON lines: the skipped and failed rows
    message           TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    started_at        BIGINT,
    completed_at      BIGINT
);
CREATE INDEX user_import_jobs_pool ON user_import_jobs(pool_id, created_at);
