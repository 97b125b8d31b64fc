//! Users who are not here yet: when a login name is unknown, the pool's migration sources may
//! vouch for it (with the password the user typed, or for a password reset), and the user is
//! then created here, once; every later sign-in is local.
//!
//! Today the only source is the UserMigration trigger. A second one (issue #15's
//! `migrate_from`, an upstream Cognito asked with the user's password) is one more `Source`
//! variant answering a `Vouched`; the callers (`authn::flow`, `accounts::recovery`) do not
//! change.

use std::collections::BTreeMap;

use super::service::{self, NewPassword, NewUser, PreparedUser};
use super::{User, UserStatus};
use crate::authn::flow::Services;
use crate::pools::Pool;
use crate::triggers::user_migration::{self, FinalStatus};
use crate::triggers::{TriggerError, Triggers};

/// Where a user may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The pool's UserMigration trigger.
    Trigger,
}

/// Why a user is being looked for: a sign-in (with the password typed) or a reset.
#[derive(Debug, Clone, Copy)]
pub enum Purpose<'a> {
    SignIn { password: &'a str },
    ForgotPassword,
}

/// What a source said of a user: their attributes (`email` and `email_verified` included) and
/// the status they start in.
pub struct Vouched {
    pub attributes: BTreeMap<String, String>,
    pub final_status: Option<FinalStatus>,
}

/// The pool's sources, in the order they are asked.
pub fn sources(pool: &Pool) -> Vec<Source> {
    let mut found = Vec::new();
    if Triggers::target(pool, user_migration::TRIGGER).is_some() {
        found.push(Source::Trigger);
    }
    found
}

impl Source {
    /// `Ok(None)`: this source does not know the user (or the password is wrong).
    fn ask(
        self,
        triggers: &Triggers,
        pool: &Pool,
        login: &str,
        purpose: Purpose<'_>,
        context: &user_migration::Context,
    ) -> Result<Option<Vouched>, TriggerError> {
        match self {
            Source::Trigger => {
                let (source, password) = match purpose {
                    Purpose::SignIn { password } => {
                        (user_migration::Source::Authentication, Some(password))
                    }
                    Purpose::ForgotPassword => (user_migration::Source::ForgotPassword, None),
                };
                match user_migration::fire(triggers, pool, source, login, password, context) {
                    Ok(found) => Ok(found.map(|m| Vouched {
                        attributes: m.attributes,
                        final_status: m.final_status,
                    })),
                    // A handler that throws says "no such user or wrong password" (the
                    // examples of AWS do just that): answered like a wrong password.
                    Err(TriggerError::Rejected { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

/// Asks the pool's sources for `login` and, when one vouches for it, creates the user (one
/// write transaction, after the calls) and returns it. `Ok(None)` when nobody knows the
/// user, or the user could not be created because the name or email is taken. Blocking: call
/// on the blocking pool, outside any transaction.
pub fn migrate(
    services: &Services<'_>,
    pool: &Pool,
    login: &str,
    purpose: Purpose<'_>,
    context: &user_migration::Context,
    now: i64,
) -> crate::Result<Option<User>> {
    let Services {
        store,
        triggers,
        sealer,
    } = services;
    for source in sources(pool) {
        let Some(vouched) = source.ask(triggers, pool, login, purpose, context)? else {
            continue;
        };
        let prepared = prepare(pool, login, purpose, vouched, now)?;
        let created = store.write_sync(|db| service::create(db, pool, sealer, prepared));
        return match created {
            Ok(user) => {
                tracing::info!(pool = %pool.id, user = %user.id, ?source, "user migrated");
                Ok(Some(user))
            }
            // Taken meanwhile (two first sign-ins at once) or by someone else (the email):
            // nobody is created, and this attempt fails like a wrong password. The user found
            // by a retry is then checked like any local user, never vouched for by this call.
            Err(crate::Error::AlreadyExists(_)) => {
                tracing::info!(pool = %pool.id, ?source, "migrated user already exists");
                Ok(None)
            }
            Err(e) => Err(e),
        };
    }
    Ok(None)
}

/// The user a source vouched for, checked against the pool's schema like AdminCreateUser's
/// input; an answer the pool cannot take is the source's fault (`InvalidLambdaResponse`).
fn prepare(
    pool: &Pool,
    login: &str,
    purpose: Purpose<'_>,
    vouched: Vouched,
    now: i64,
) -> crate::Result<PreparedUser> {
    let invalid = |detail: String| {
        tracing::warn!(pool = %pool.id, %detail, "migration source answered a user the pool cannot take");
        crate::Error::Trigger(TriggerError::InvalidResponse {
            trigger: user_migration::TRIGGER,
        })
    };
    let mut attributes = vouched.attributes;
    let email_verified = attributes
        .remove("email_verified")
        .is_some_and(|v| v == "true");
    attributes.remove("phone_number_verified");
    if attributes.contains_key("sub") {
        return Err(invalid("sub cannot be set".into()));
    }
    let email = attributes
        .remove("email")
        .or_else(|| login.contains('@').then(|| login.trim().to_string()));
    let mut prepared = service::prepare_user(
        pool,
        NewUser {
            username: Some(login.trim().to_string()),
            email,
            password: None,
            password_hash: None,
            attributes,
            confirmed: true,
            email_verified,
        },
        now,
    )
    .map_err(|e| invalid(e.to_string()))?;
    let status = match (purpose, vouched.final_status) {
        // A reset is under way: the user has no password until it completes.
        (Purpose::ForgotPassword, _) | (_, Some(FinalStatus::ResetRequired)) => {
            UserStatus::ResetRequired
        }
        (Purpose::SignIn { .. }, _) => UserStatus::Confirmed,
    };
    prepared.set_status(status);
    if let Purpose::SignIn { password } = purpose {
        let username = prepared.username().to_string();
        prepared.set_password(NewPassword::migrated(pool, &username, password));
    }
    Ok(prepared)
}
