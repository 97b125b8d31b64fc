//! The sign-in state machine shared by the hosted pages and the Cognito API:
//! password → (later: MFA, new password) → done. Enumeration policy lives here: an unknown
//! user costs the same hash as a wrong password and gets the same answer.

use crate::accounts::{User, UserStatus, service::find_by_login};
use crate::authn::{password, throttle};
use crate::pools::Pool;
use crate::store::Store;

#[derive(Debug)]
pub enum LoginError {
    /// Unknown user, wrong password or disabled user: indistinguishable on purpose.
    InvalidCredentials,
    /// Too many failures for this login name; try again in this many seconds.
    Throttled(i64),
    /// The password was right but the account is not confirmed yet.
    NotConfirmed,
    /// The password was right but must be changed before tokens are issued.
    NewPasswordRequired(Box<User>),
    /// An administrator required a password reset (Cognito's RESET_REQUIRED).
    ResetRequired,
    Internal(crate::Error),
}

impl From<crate::Error> for LoginError {
    fn from(e: crate::Error) -> LoginError {
        LoginError::Internal(e)
    }
}

impl From<crate::store::StoreError> for LoginError {
    fn from(e: crate::store::StoreError) -> LoginError {
        LoginError::Internal(e.into())
    }
}

pub struct Authenticated {
    pub user: User,
    pub amr: Vec<String>,
    pub auth_time: i64,
}

/// Checks a password. Blocking (argon2 and SQLite): call on the blocking pool. The hash is
/// verified outside any write transaction so that logins do not serialise on the writer.
pub fn password_login(
    store: &Store,
    pool: &Pool,
    login: &str,
    pass: &str,
    now: i64,
) -> Result<Authenticated, LoginError> {
    let subject = login.trim().to_lowercase();
    let (standing, user) = store.read_sync(|db| -> crate::Result<_> {
        Ok((
            throttle::standing(db, &pool.id, &subject, now)?,
            find_by_login(db, pool, login)?,
        ))
    })?;
    if let Some(wait) = standing.locked_for {
        return Err(LoginError::Throttled(wait));
    }
    let verified = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(hash) if pass.len() <= 1024 => password::verify(pass, hash),
        _ => {
            password::dummy_verify(pass);
            password::Verified::No
        }
    };
    let user = match (verified, user) {
        (password::Verified::No, _) | (_, None) => {
            store.write_sync(|db| throttle::record_failure(db, &pool.id, &subject, now))?;
            tracing::info!(pool = %pool.id, "sign-in failed");
            return Err(LoginError::InvalidCredentials);
        }
        (v, Some(user)) => {
            let rehash = match v {
                password::Verified::YesRehash(h) => Some(h),
                _ => None,
            };
            // Most sign-ins have nothing to clear and nothing to rehash: no write at all.
            if standing.has_failures || rehash.is_some() {
                let (pool_id, user_id) = (pool.id.clone(), user.id.clone());
                store.write_sync(|db| -> crate::Result<()> {
                    throttle::record_success(db, &pool_id, &subject)?;
                    if let Some(h) = &rehash {
                        crate::store::users::set_password_hash(db, &user_id, h, now)?;
                    }
                    Ok(())
                })?;
            }
            user
        }
    };
    if !user.enabled {
        tracing::info!(pool = %pool.id, user = %user.id, "sign-in refused: user disabled");
        return Err(LoginError::InvalidCredentials);
    }
    match user.status {
        UserStatus::Unconfirmed => Err(LoginError::NotConfirmed),
        UserStatus::ForceChangePassword => Err(LoginError::NewPasswordRequired(Box::new(user))),
        UserStatus::ResetRequired => Err(LoginError::ResetRequired),
        UserStatus::Confirmed => {
            tracing::info!(pool = %pool.id, user = %user.id, "sign-in succeeded");
            Ok(Authenticated {
                user,
                amr: vec!["pwd".into()],
                auth_time: now,
            })
        }
    }
}
