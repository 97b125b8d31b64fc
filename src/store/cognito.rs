//! Tables of the Cognito-compatible API: SRP verifiers, challenges, sealed client secrets,
//! server secrets and admin access keys (migration 0004_cognito).

use super::{Db, OptionalExtension, StoreError};

// ---- SRP verifiers ----

pub struct Verifier {
    pub salt: String,
    /// Sealed hex.
    pub verifier: String,
}

pub fn put_verifier(
    db: &Db,
    user_id: &str,
    salt: &str,
    verifier: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO srp_verifiers (user_id, salt, verifier, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(user_id) DO UPDATE SET salt = excluded.salt, verifier = excluded.verifier,
         updated_at = excluded.updated_at",
    )?
    .execute(rusqlite::params![user_id, salt, verifier, now])?;
    Ok(())
}

pub fn get_verifier(db: &Db, user_id: &str) -> Result<Option<Verifier>, StoreError> {
    Ok(db
        .prepare_cached("SELECT salt, verifier FROM srp_verifiers WHERE user_id = ?1")?
        .query_row([user_id], |r| {
            Ok(Verifier {
                salt: r.get(0)?,
                verifier: r.get(1)?,
            })
        })
        .optional()?)
}

pub fn delete_verifier(db: &Db, user_id: &str) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM srp_verifiers WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(())
}

// ---- challenges ----

#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: String,
    pub session_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub srp_user: String,
    pub challenge: String,
    pub data: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert_challenge(db: &Db, c: &Challenge) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO cognito_challenges (id, session_hash, pool_id, client_id, user_id, srp_user,
         challenge, data, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(rusqlite::params![
        c.id,
        c.session_hash,
        c.pool_id,
        c.client_id,
        c.user_id,
        c.srp_user,
        c.challenge,
        c.data,
        c.created_at,
        c.expires_at
    ])?;
    Ok(())
}

const CHALLENGE_COLUMNS: &str = "id, session_hash, pool_id, client_id, user_id, srp_user, challenge, data, created_at, expires_at";

fn challenge_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Challenge> {
    Ok(Challenge {
        id: r.get(0)?,
        session_hash: r.get(1)?,
        pool_id: r.get(2)?,
        client_id: r.get(3)?,
        user_id: r.get(4)?,
        srp_user: r.get(5)?,
        challenge: r.get(6)?,
        data: r.get(7)?,
        created_at: r.get(8)?,
        expires_at: r.get(9)?,
    })
}

/// Removes and returns a challenge: single use, whoever takes it first (one `DELETE ...
/// RETURNING`, so two instances racing on one challenge cannot both get it).
pub fn take_challenge_by_id(db: &Db, id: &str) -> Result<Option<Challenge>, StoreError> {
    Ok(db
        .prepare_cached(&format!(
            "DELETE FROM cognito_challenges WHERE id = ?1 RETURNING {CHALLENGE_COLUMNS}"
        ))?
        .query_row([id], challenge_row)
        .optional()?)
}

/// A challenge by its session, left in place (to prepare work before the transaction that
/// takes it).
pub fn get_challenge_by_session(
    db: &Db,
    session_hash: &str,
) -> Result<Option<Challenge>, StoreError> {
    Ok(db
        .prepare_cached(&format!(
            "SELECT {CHALLENGE_COLUMNS} FROM cognito_challenges WHERE session_hash = ?1"
        ))?
        .query_row([session_hash], challenge_row)
        .optional()?)
}

/// `take_challenge_by_id` by the challenge's session.
pub fn take_challenge_by_session(
    db: &Db,
    session_hash: &str,
) -> Result<Option<Challenge>, StoreError> {
    Ok(db
        .prepare_cached(&format!(
            "DELETE FROM cognito_challenges WHERE session_hash = ?1 RETURNING {CHALLENGE_COLUMNS}"
        ))?
        .query_row([session_hash], challenge_row)
        .optional()?)
}

pub fn purge_expired_challenges(db: &Db, now: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM cognito_challenges WHERE expires_at <= ?1")?
        .execute([now])?)
}

// ---- clients ----

/// The pool of a client id (client ids are unique across pools).
pub fn client_pool(db: &Db, client_id: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .prepare_cached("SELECT pool_id FROM clients WHERE id = ?1")?
        .query_row([client_id], |r| r.get(0))
        .optional()?)
}

pub fn set_client_secret_sealed(
    db: &Db,
    client_id: &str,
    sealed: Option<&str>,
) -> Result<(), StoreError> {
    db.prepare_cached("UPDATE clients SET secret_sealed = ?2 WHERE id = ?1")?
        .execute(rusqlite::params![client_id, sealed])?;
    Ok(())
}

pub fn client_secret_sealed(db: &Db, client_id: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .prepare_cached("SELECT secret_sealed FROM clients WHERE id = ?1")?
        .query_row([client_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

// ---- server secrets ----

pub fn server_secret(db: &Db, name: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .prepare_cached("SELECT value FROM server_secrets WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// Inserts unless present; returns the stored value (the first writer wins).
pub fn init_server_secret(
    db: &Db,
    name: &str,
    value: &str,
    now: i64,
) -> Result<String, StoreError> {
    db.prepare_cached(
        "INSERT OR IGNORE INTO server_secrets (name, value, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![name, value, now])?;
    Ok(server_secret(db, name)?.unwrap_or_else(|| value.to_string()))
}

// ---- admin access keys ----

pub struct AdminKey {
    pub access_key_id: String,
    /// Sealed.
    pub secret: String,
    pub description: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The one pool the key may act on; None: every pool.
    pub pool_id: Option<String>,
    /// Only the read actions (Describe*, Get*, List*, AdminGet*, AdminList*).
    pub read_only: bool,
}

/// Creates the key, or gives an existing one this secret and scope (the configured key).
pub fn put_admin_key(db: &Db, k: &AdminKey) -> Result<(), StoreError> {
    if get_admin_key(db, &k.access_key_id)?.is_some() {
        db.prepare_cached(
            "UPDATE admin_keys SET secret = ?2, pool_id = ?3, read_only = ?4 WHERE access_key_id = ?1",
        )?
        .execute(rusqlite::params![k.access_key_id, k.secret, k.pool_id, k.read_only])?;
        return Ok(());
    }
    insert_admin_key(db, k)
}

pub fn insert_admin_key(db: &Db, k: &AdminKey) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO admin_keys (access_key_id, secret, description, created_at, pool_id, read_only)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        k.access_key_id,
        k.secret,
        k.description,
        k.created_at,
        k.pool_id,
        k.read_only
    ])?;
    Ok(())
}

const ADMIN_KEY_COLUMNS: &str =
    "access_key_id, secret, description, created_at, last_used_at, pool_id, read_only";

fn admin_key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AdminKey> {
    Ok(AdminKey {
        access_key_id: r.get(0)?,
        secret: r.get(1)?,
        description: r.get(2)?,
        created_at: r.get(3)?,
        last_used_at: r.get(4)?,
        pool_id: r.get(5)?,
        read_only: r.get(6)?,
    })
}

pub fn get_admin_key(db: &Db, id: &str) -> Result<Option<AdminKey>, StoreError> {
    Ok(db
        .prepare_cached(&format!(
            "SELECT {ADMIN_KEY_COLUMNS} FROM admin_keys WHERE access_key_id = ?1"
        ))?
        .query_row([id], admin_key_row)
        .optional()?)
}

pub fn list_admin_keys(db: &Db) -> Result<Vec<AdminKey>, StoreError> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {ADMIN_KEY_COLUMNS} FROM admin_keys ORDER BY created_at, access_key_id"
    ))?;
    let rows = stmt
        .query_map([], admin_key_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn delete_admin_key(db: &Db, id: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM admin_keys WHERE access_key_id = ?1")?
        .execute([id])?
        == 1)
}

// ---- group membership (admin API) ----

/// Ids of a group's members, ordered by id, after `after`, at most `limit`.
pub fn group_member_ids(
    db: &Db,
    pool_id: &str,
    group: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT user_id FROM group_members WHERE pool_id = ?1 AND group_name = ?2 AND user_id > ?3
         ORDER BY user_id LIMIT ?4",
    )?;
    let rows = stmt
        .query_map(rusqlite::params![pool_id, group, after, limit], |r| {
            r.get(0)
        })?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}
