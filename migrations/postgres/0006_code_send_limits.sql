-- How many email codes were asked for per user (or login name) and per client address within
-- the current window, so resends are limited on every instance alike. Rows whose window has
-- ended are purged.
CREATE TABLE code_send_limits (
    pool_id    TEXT NOT NULL,
    subject    TEXT NOT NULL,        -- "<purpose>:<user id or lower-cased login>", or "ip:<address>"
    requests   BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    PRIMARY KEY (pool_id, subject)
);
CREATE INDEX code_send_limits_window_end ON code_send_limits (window_end);
