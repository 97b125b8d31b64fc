-- Cognito's resource servers: a named identifier (`api`, `https://api.example.com`) whose
-- scopes are `<identifier>/<scope name>`. The scope list itself stays in resource_scopes (what
-- the grants and discovery read); a scope gets a description here.

CREATE TABLE resource_servers (
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, identifier)
);

ALTER TABLE resource_scopes ADD COLUMN description TEXT NOT NULL DEFAULT '';

CREATE TRIGGER scopes_gen_u AFTER UPDATE ON resource_scopes FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();

-- When a client was last changed (Cognito's LastModifiedDate); NULL: never since its creation.
ALTER TABLE clients ADD COLUMN updated_at BIGINT;
