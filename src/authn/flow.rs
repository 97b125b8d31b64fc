//! The sign-in state machine shared by the hosted pages and the Cognito API:
//! password → (later: MFA, new password) → done. Enumeration policy lives here: an unknown
//! user costs the same hash as a wrong password and gets the same answer. The sign-in
//! triggers fire here too, so that every door behaves the same: UserMigration for an unknown
//! login name, then PreAuthentication before the password is accepted. (PostAuthentication
//! fires where each door completes a sign-in, before tokens or a session exist:
//! `triggers::post_authentication`.)

use std::collections::BTreeMap;

use crate::accounts::migration::{self, Purpose};
use crate::accounts::{User, UserStatus, service::find_by_login};
use crate::authn::{password, srp, throttle};
use crate::keys::seal::Sealer;
use crate::pools::Pool;
use crate::store::Store;
use crate::triggers::{TriggerError, Triggers, pre_authentication, user_migration};

#[derive(Debug)]
pub enum LoginError {
    /// Unknown user, wrong password or disabled user: indistinguishable on purpose.
    InvalidCredentials,
    /// Unknown user, for a client that does not prevent user-existence errors (and so asked
    /// to be told).
    UnknownUser,
    /// Too many failures for this login name; try again in this many seconds.
    Throttled(i64),
    /// The password was right but the account is not confirmed yet.
    NotConfirmed,
    /// The password was right but must be changed before tokens are issued.
    NewPasswordRequired(Box<User>),
    /// An administrator required a password reset (Cognito's RESET_REQUIRED).
    ResetRequired,
    /// A trigger refused the sign-in or failed (its message is Cognito's).
    Trigger(TriggerError),
    /// Adaptive sign-in blocked it (the password was right).
    RiskBlocked,
    Internal(crate::Error),
}

impl From<crate::Error> for LoginError {
    fn from(e: crate::Error) -> LoginError {
        match e {
            crate::Error::Trigger(t) => LoginError::Trigger(t),
            e => LoginError::Internal(e),
        }
    }
}

impl From<crate::store::StoreError> for LoginError {
    fn from(e: crate::store::StoreError) -> LoginError {
        LoginError::Internal(e.into())
    }
}

impl From<TriggerError> for LoginError {
    fn from(e: TriggerError) -> LoginError {
        LoginError::Trigger(e)
    }
}

/// What the door knows of a sign-in besides the login name and password.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The app client (`callerContext.clientId`), when there is one.
    pub client_id: Option<String>,
    /// InitiateAuth's `ClientMetadata`: the triggers' `validationData`.
    pub client_metadata: Option<BTreeMap<String, String>>,
    /// The client's PreventUserExistenceErrors.
    pub prevent_user_existence_errors: bool,
    /// The door, as the sign-in metrics label it (`hosted_ui`, `cognito`).
    pub door: &'static str,
    /// Where the sign-in comes from, for adaptive sign-in (None: not scored).
    pub evidence: Option<crate::authn::risk::Evidence>,
}

impl Context {
    fn pre_authentication(&self) -> pre_authentication::Context {
        pre_authentication::Context {
            client_id: self.client_id.clone(),
            validation_data: self.client_metadata.clone(),
            prevent_user_existence_errors: self.prevent_user_existence_errors,
        }
    }

    fn migration(&self) -> user_migration::Context {
        user_migration::Context {
            client_id: self.client_id.clone(),
            validation_data: self.client_metadata.clone(),
            client_metadata: self.client_metadata.clone(),
        }
    }
}

/// What a password sign-in needs of the server: the store, the triggers, the sealer (for the
/// SRP verifier of a migrated user).
pub struct Services<'a> {
    pub store: &'a Store,
    pub triggers: &'a Triggers,
    pub sealer: &'a Sealer,
    pub risk: &'a crate::authn::risk::Engine,
}

pub struct Authenticated {
    pub user: User,
    pub amr: Vec<String>,
    pub auth_time: i64,
    /// Adaptive sign-in's score (None when the pool does not score): its second factor
    /// demand is the door's to honour.
    pub risk: Option<crate::authn::risk::Assessment>,
}

/// Checks a password. Blocking (argon2, SQLite and the triggers): call on the blocking pool.
/// The hash is verified, and the triggers called, outside any write transaction so that
/// logins do not serialise on the writer.
///
/// An unknown login name is first offered to the pool's migration sources (a user they
/// vouch for is created, with this password, and signed in); then PreAuthentication fires.
pub fn password_login(
    services: &Services<'_>,
    pool: &Pool,
    login: &str,
    pass: &str,
    context: &Context,
    now: i64,
) -> Result<Authenticated, LoginError> {
    let result = check_password(services, pool, login, pass, context, now);
    crate::metrics::sign_in_result(context.door, &result);
    result
}

fn check_password(
    services: &Services<'_>,
    pool: &Pool,
    login: &str,
    pass: &str,
    context: &Context,
    now: i64,
) -> Result<Authenticated, LoginError> {
    let store = services.store;
    let subject = login.trim().to_lowercase();
    let (standing, mut user, has_verifier) = store.read_sync(|db| -> crate::Result<_> {
        let user = find_by_login(db, pool, login)?;
        let has_verifier = match &user {
            Some(u) => crate::store::cognito::get_verifier(db, &u.id)?.is_some(),
            None => false,
        };
        Ok((
            throttle::standing(db, &pool.id, &subject, now)?,
            user,
            has_verifier,
        ))
    })?;
    if let Some(wait) = standing.locked_for {
        return Err(LoginError::Throttled(wait));
    }
    // The source checked the password (and its hash was just made): no second check.
    let mut migrated = false;
    if user.is_none() && pass.len() <= 1024 {
        user = migration::migrate(
            services,
            pool,
            login,
            Purpose::SignIn { password: pass },
            &context.migration(),
            now,
        )?;
        migrated = user.is_some();
    }
    // A user copied from the `migrate_from` upstream without a password: the upstream checks
    // this one, once, and it is kept here.
    if let Some(copied) = user.as_ref().filter(|u| {
        u.password_hash.is_none()
            && u.enabled
            && matches!(u.status, UserStatus::ResetRequired | UserStatus::Confirmed)
            && pool.settings.migrate_from.is_some()
            && !pass.is_empty()
            && pass.len() <= 1024
    }) && let Some(completed) = migration::complete(services, pool, copied, login, pass, now)?
    {
        user = Some(completed);
        migrated = true;
    }
    if user.is_none() && !context.prevent_user_existence_errors {
        return Err(LoginError::UnknownUser);
    }
    pre_authentication::fire(
        services.triggers,
        pool,
        user.as_ref(),
        login,
        &context.pre_authentication(),
    )?;
    let verified = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        // The source vouched (a user it sends over RESET_REQUIRED has no password yet).
        _ if migrated => password::Verified::Yes,
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
            // A password that arrived as a hash (import, bootstrap) has no SRP verifier: derive
            // it now that the plaintext is here, before the write transaction.
            let verifier = (!has_verifier && !migrated)
                .then(|| srp::StoredVerifier::compute(&pool.id, &user.username, pass));
            // Most sign-ins have nothing to clear and nothing to rehash: no write at all.
            if standing.has_failures || rehash.is_some() || verifier.is_some() {
                let (pool_id, user_id) = (pool.id.clone(), user.id.clone());
                store.write_sync(|db| -> crate::Result<()> {
                    throttle::record_success(db, &pool_id, &subject)?;
                    if let Some(h) = &rehash {
                        crate::store::users::set_password_hash(db, &user_id, h, now)?;
                    }
                    if let Some(v) = &verifier {
                        v.put(db, services.sealer, &user_id, now)?;
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
    if user.status == UserStatus::Confirmed && compromised_blocked(pool, context, pass) {
        return Err(send_to_reset(services.store, pool, user, now)?);
    }
    match user.status {
        UserStatus::Unconfirmed => Err(LoginError::NotConfirmed),
        UserStatus::ForceChangePassword => Err(LoginError::NewPasswordRequired(Box::new(user))),
        UserStatus::ResetRequired => Err(LoginError::ResetRequired),
        // Federated users have no password here (unreachable: no hash verifies).
        UserStatus::ExternalProvider => Err(LoginError::InvalidCredentials),
        UserStatus::Confirmed => {
            let risk = match &context.evidence {
                Some(evidence) => store.write_sync(|db| {
                    crate::authn::risk::assess(
                        db,
                        services.risk,
                        pool,
                        context.client_id.as_deref(),
                        &user,
                        evidence,
                        standing.failures,
                        now,
                    )
                })?,
                None => None,
            };
            if risk.as_ref().is_some_and(|r| r.blocked()) {
                tracing::info!(pool = %pool.id, user = %user.id, "sign-in blocked by adaptive sign-in");
                return Err(LoginError::RiskBlocked);
            }
            tracing::info!(pool = %pool.id, user = %user.id, "sign-in succeeded");
            Ok(Authenticated {
                user,
                amr: vec!["pwd".into()],
                auth_time: now,
                risk,
            })
        }
    }
}

/// Whether the risk configuration in force for the client blocks this (right) password at
/// sign-in because it is on the breached-password list (`CompromisedCredentialsRiskConfiguration`).
fn compromised_blocked(pool: &Pool, context: &Context, pass: &str) -> bool {
    crate::pools::risk::effective(&pool.settings.risk, context.client_id.as_deref())
        .is_some_and(|c| c.blocks_compromised(crate::pools::risk::Event::SignIn))
        && crate::authn::breached::is_breached(pass)
}

/// A compromised password stops here: the user must reset it (RESET_REQUIRED, recorded in
/// the audit log) before anything is issued.
fn send_to_reset(
    store: &Store,
    pool: &Pool,
    mut user: User,
    now: i64,
) -> crate::Result<LoginError> {
    user.status = UserStatus::ResetRequired;
    user.updated_at = now;
    let event = crate::audit::Event::new(
        crate::audit::Door::Core,
        crate::audit::COMPROMISED_CREDENTIALS,
        "reset_required",
    )
    .pool(&pool.id)
    .target(&user.id);
    store.write_sync(|db| -> crate::Result<()> {
        crate::store::users::update(db, &user)?;
        crate::audit::record_in(db, event, now)?;
        Ok(())
    })?;
    tracing::info!(pool = %pool.id, user = %user.id, "sign-in with a compromised password: reset required");
    Ok(LoginError::ResetRequired)
}

/// PreAuthentication for a sign-in that does not go through `password_login` (SRP, at
/// InitiateAuth, before the challenge): `user` as found, `None` when unknown. Blocking.
pub fn pre_authentication(
    triggers: &Triggers,
    pool: &Pool,
    user: Option<&User>,
    login: &str,
    context: &Context,
) -> Result<(), TriggerError> {
    pre_authentication::fire(triggers, pool, user, login, &context.pre_authentication())
}
