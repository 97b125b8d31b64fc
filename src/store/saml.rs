//! SAML's rows (migration 0015): the pool's service-provider key, and the assertion ids
//! already used. On the `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::Sql;

/// The pool's SP key: (sealed PKCS#8 DER in base64, certificate DER).
pub fn sp_key<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    db.into().query_opt(
        "SELECT private_key, certificate FROM saml_sp_keys WHERE pool_id = ?1",
        &[&pool_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Keeps the first key made for a pool: a concurrent maker's insert is ignored.
pub fn insert_sp_key<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    sealed_key: &str,
    certificate: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO saml_sp_keys (pool_id, private_key, certificate, created_at) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (pool_id) DO NOTHING",
        &[&pool_id, &sealed_key, &certificate, &now],
    )?;
    Ok(())
}

/// Records an assertion id; false when it was already there (a replay).
pub fn remember_assertion<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    issuer: &str,
    assertion_id: &str,
    expires_at: i64,
) -> Result<bool, StoreError> {
    let inserted = db.into().execute(
        "INSERT INTO saml_assertions_seen (pool_id, issuer, assertion_id, expires_at) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        &[&pool_id, &issuer, &assertion_id, &expires_at],
    )?;
    Ok(inserted == 1)
}

pub fn purge_assertions<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM saml_assertions_seen WHERE expires_at <= ?1",
        &[&now],
    )? as usize)
}

/// A user's last SAML sign-in (single logout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlLogin {
    pub pool_id: String,
    pub user_id: String,
    pub provider: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_index: Option<String>,
    pub signed_in_at: i64,
}

pub fn put_login<'a>(db: impl Into<Sql<'a>>, l: &SamlLogin) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO saml_logins (pool_id, user_id, provider, name_id, name_id_format, session_index, signed_in_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (pool_id, user_id) DO UPDATE SET provider = excluded.provider, \
         name_id = excluded.name_id, name_id_format = excluded.name_id_format, \
         session_index = excluded.session_index, signed_in_at = excluded.signed_in_at",
        &[
            &l.pool_id,
            &l.user_id,
            &l.provider,
            &l.name_id,
            &l.name_id_format,
            &l.session_index,
            &l.signed_in_at,
        ],
    )?;
    Ok(())
}

/// Takes a user's last SAML sign-in, once: one `DELETE ... RETURNING`, so of two takes racing
/// on two instances only one gets it.
pub fn take_login<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    user_id: &str,
) -> Result<Option<SamlLogin>, StoreError> {
    db.into().query_opt(
        "DELETE FROM saml_logins WHERE pool_id = ?1 AND user_id = ?2 \
         RETURNING pool_id, user_id, provider, name_id, name_id_format, session_index, signed_in_at",
        &[&pool_id, &user_id],
        |r| {
            Ok(SamlLogin {
                pool_id: r.get(0)?,
                user_id: r.get(1)?,
                provider: r.get(2)?,
                name_id: r.get(3)?,
                name_id_format: r.get(4)?,
                session_index: r.get(5)?,
                signed_in_at: r.get(6)?,
            })
        },
    )
}
