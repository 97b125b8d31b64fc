//! Tables of the Cognito-compatible API: SRP verifiers, challenges, sealed client secrets,
//! server secrets and admin access keys (migration 0004_cognito). On the `Sql` seam: one text
//! for both engines.

use super::StoreError;
use super::sql::{Row, Sql};

// ---- SRP verifiers ----

pub struct Verifier {
    pub salt: String,
    /// Sealed hex.
    pub verifier: String,
}

pub fn put_verifier<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    salt: &str,
    verifier: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO srp_verifiers (user_id, salt, verifier, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(user_id) DO UPDATE SET salt = excluded.salt, verifier = excluded.verifier,
         updated_at = excluded.updated_at",
        &[&user_id, &salt, &verifier, &now],
    )?;
    Ok(())
}

pub fn get_verifier<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
) -> Result<Option<Verifier>, StoreError> {
    db.into().query_opt(
        "SELECT salt, verifier FROM srp_verifiers WHERE user_id = ?1",
        &[&user_id],
        |r| {
            Ok(Verifier {
                salt: r.get(0)?,
                verifier: r.get(1)?,
            })
        },
    )
}

pub fn delete_verifier<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<(), StoreError> {
    db.into()
        .execute("DELETE FROM srp_verifiers WHERE user_id = ?1", &[&user_id])?;
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

pub fn insert_challenge<'a>(db: impl Into<Sql<'a>>, c: &Challenge) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO cognito_challenges (id, session_hash, pool_id, client_id, user_id, srp_user,
         challenge, data, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &[
            &c.id,
            &c.session_hash,
            &c.pool_id,
            &c.client_id,
            &c.user_id,
            &c.srp_user,
            &c.challenge,
            &c.data,
            &c.created_at,
            &c.expires_at,
        ],
    )?;
    Ok(())
}

const CHALLENGE_COLUMNS: &str = "id, session_hash, pool_id, client_id, user_id, srp_user, challenge, data, created_at, expires_at";

fn challenge_row(r: &Row<'_>) -> Result<Challenge, StoreError> {
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

/// Removes and returns the challenge whose `column` is `value`: single use, whoever takes it
/// first (one `DELETE ... RETURNING`, so two instances racing on one challenge cannot both
/// get it).
fn take_challenge(db: Sql<'_>, column: &str, value: &str) -> Result<Option<Challenge>, StoreError> {
    db.query_opt(
        &format!(
            "DELETE FROM cognito_challenges WHERE {column} = ?1 RETURNING {CHALLENGE_COLUMNS}"
        ),
        &[&value],
        challenge_row,
    )
}

/// Removes and returns a challenge by its id: single use, whoever takes it first.
pub fn take_challenge_by_id<'a>(
    db: impl Into<Sql<'a>>,
    id: &str,
) -> Result<Option<Challenge>, StoreError> {
    take_challenge(db.into(), "id", id)
}

/// A challenge by its session, left in place (to prepare work before the transaction that
/// takes it).
pub fn get_challenge_by_session<'a>(
    db: impl Into<Sql<'a>>,
    session_hash: &str,
) -> Result<Option<Challenge>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {CHALLENGE_COLUMNS} FROM cognito_challenges WHERE session_hash = ?1"),
        &[&session_hash],
        challenge_row,
    )
}

/// `take_challenge_by_id` by the challenge's session.
pub fn take_challenge_by_session<'a>(
    db: impl Into<Sql<'a>>,
    session_hash: &str,
) -> Result<Option<Challenge>, StoreError> {
    take_challenge(db.into(), "session_hash", session_hash)
}

pub fn purge_expired_challenges<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM cognito_challenges WHERE expires_at <= ?1",
        &[&now],
    )? as usize)
}

// ---- clients ----

/// The pool of a client id (client ids are unique across pools).
pub fn client_pool<'a>(
    db: impl Into<Sql<'a>>,
    client_id: &str,
) -> Result<Option<String>, StoreError> {
    db.into().query_opt(
        "SELECT pool_id FROM clients WHERE id = ?1",
        &[&client_id],
        |r| r.get(0),
    )
}

pub fn set_client_secret_sealed<'a>(
    db: impl Into<Sql<'a>>,
    client_id: &str,
    sealed: Option<&str>,
) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE clients SET secret_sealed = ?2 WHERE id = ?1",
        &[&client_id, &sealed],
    )?;
    Ok(())
}

pub fn client_secret_sealed<'a>(
    db: impl Into<Sql<'a>>,
    client_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT secret_sealed FROM clients WHERE id = ?1",
            &[&client_id],
            |r| r.get::<Option<String>>(0),
        )?
        .flatten())
}

// ---- server secrets ----

pub fn server_secret<'a>(db: impl Into<Sql<'a>>, name: &str) -> Result<Option<String>, StoreError> {
    db.into().query_opt(
        "SELECT value FROM server_secrets WHERE name = ?1",
        &[&name],
        |r| r.get(0),
    )
}

/// Inserts unless present; returns the stored value (the first writer wins).
pub fn init_server_secret<'a>(
    db: impl Into<Sql<'a>>,
    name: &str,
    value: &str,
    now: i64,
) -> Result<String, StoreError> {
    let db = db.into();
    db.execute(
        "INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        &[&name, &value, &now],
    )?;
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

/// Creates the key, or gives an existing one this secret and scope (the configured key; its
/// description and creation time stay). One upsert, so instances starting together with the
/// same configured key do not trip over each other.
pub fn put_admin_key<'a>(db: impl Into<Sql<'a>>, k: &AdminKey) -> Result<(), StoreError> {
    admin_key_insert(
        db.into(),
        k,
        "ON CONFLICT(access_key_id) DO UPDATE SET secret = excluded.secret,
         pool_id = excluded.pool_id, read_only = excluded.read_only",
    )
}

/// Creates the key; an existing id is a unique violation.
pub fn insert_admin_key<'a>(db: impl Into<Sql<'a>>, k: &AdminKey) -> Result<(), StoreError> {
    admin_key_insert(db.into(), k, "")
}

fn admin_key_insert(db: Sql<'_>, k: &AdminKey, on_conflict: &str) -> Result<(), StoreError> {
    db.execute(
        &format!(
            "INSERT INTO admin_keys (access_key_id, secret, description, created_at, pool_id, read_only)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) {on_conflict}"
        ),
        &[
            &k.access_key_id,
            &k.secret,
            &k.description,
            &k.created_at,
            &k.pool_id,
            &k.read_only,
        ],
    )?;
    Ok(())
}

const ADMIN_KEY_COLUMNS: &str =
    "access_key_id, secret, description, created_at, last_used_at, pool_id, read_only";

fn admin_key_row(r: &Row<'_>) -> Result<AdminKey, StoreError> {
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

pub fn get_admin_key<'a>(db: impl Into<Sql<'a>>, id: &str) -> Result<Option<AdminKey>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {ADMIN_KEY_COLUMNS} FROM admin_keys WHERE access_key_id = ?1"),
        &[&id],
        admin_key_row,
    )
}

pub fn list_admin_keys<'a>(db: impl Into<Sql<'a>>) -> Result<Vec<AdminKey>, StoreError> {
    db.into().query_all(
        &format!("SELECT {ADMIN_KEY_COLUMNS} FROM admin_keys ORDER BY created_at, access_key_id"),
        &[],
        admin_key_row,
    )
}

pub fn delete_admin_key<'a>(db: impl Into<Sql<'a>>, id: &str) -> Result<bool, StoreError> {
    Ok(db
        .into()
        .execute("DELETE FROM admin_keys WHERE access_key_id = ?1", &[&id])?
        == 1)
}

// ---- group membership (admin API) ----

/// Ids of a group's members, ordered by id, after `after`, at most `limit`.
pub fn group_member_ids<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    group: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    db.into().query_all(
        "SELECT user_id FROM group_members WHERE pool_id = ?1 AND group_name = ?2 AND user_id > ?3
         ORDER BY user_id LIMIT ?4",
        &[&pool_id, &group, &after, &limit],
        |r| r.get(0),
    )
}
