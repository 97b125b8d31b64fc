-- A changed email waits here until the user proves it with a code; the login alias and the
-- `email` claim keep the old, verified address meanwhile.
ALTER TABLE users ADD COLUMN pending_email TEXT;
