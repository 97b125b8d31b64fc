//! Users who are not here yet: when a login name is unknown, the pool's migration sources may
//! vouch for it (with the password the user typed, or for a password reset), and the user is
//! then created here, once; every later sign-in is local.
//!
//! Two sources: the pool's UserMigration trigger, and its `migrate_from` upstream (a
//! Cognito-compatible pool asked with the user's password, `accounts::upstream`), which also
//! completes users copied by `incognito migrate cognito` without a password (`complete`).
//! An upstream that is down or answers nonsense fails like a UserMigration Lambda would
//! (`UnexpectedLambdaException`): the sign-in fails cleanly and may be retried.

use std::collections::BTreeMap;

use super::service::{self, KeptIdentity, NewPassword, NewUser, PreparedUser};
use super::upstream::{SignIn, Upstream, UpstreamError, UpstreamUser};
use super::{User, UserStatus};
use crate::authn::flow::Services;
use crate::pools::Pool;
use crate::triggers::TriggerError;
use crate::triggers::user_migration::{self, FinalStatus};

/// Where a user may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The pool's UserMigration trigger.
    Trigger,
    /// The pool's `migrate_from` upstream.
    Cognito,
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
    /// Who the user is upstream (the Cognito source), kept here: `sub` stays stable because
    /// relying parties key users by it.
    pub upstream: Option<Kept>,
}

pub struct Kept {
    pub sub: String,
    pub username: String,
    pub groups: Vec<String>,
}

/// The pool's sources, in the order they are asked.
pub fn sources(pool: &Pool) -> Vec<Source> {
    let mut found = Vec::new();
    if crate::triggers::Triggers::target(pool, user_migration::TRIGGER).is_some() {
        found.push(Source::Trigger);
    }
    if pool.settings.migrate_from.is_some() {
        found.push(Source::Cognito);
    }
    found
}

/// An upstream that gave no usable answer, as the doors report a failing UserMigration.
fn upstream_failed(e: UpstreamError) -> TriggerError {
    tracing::warn!(error = %e, "migrate_from upstream failed");
    TriggerError::Failed {
        trigger: user_migration::TRIGGER,
        reason: match e {
            UpstreamError::Unavailable(_) => "the upstream user pool is unavailable",
            _ => "the upstream user pool answered what was not understood",
        },
    }
}

impl Source {
    /// `Ok(None)`: this source does not know the user (or the password is wrong).
    fn ask(
        self,
        services: &Services<'_>,
        pool: &Pool,
        login: &str,
        purpose: Purpose<'_>,
        context: &user_migration::Context,
    ) -> Result<Option<Vouched>, TriggerError> {
        match self {
            Source::Cognito => ask_upstream(services, pool, login, purpose),
            Source::Trigger => {
                let triggers = services.triggers;
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
                        upstream: None,
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

fn open_upstream<'a>(
    services: &'a Services<'_>,
    pool: &'a Pool,
) -> Result<Option<Upstream<'a>>, TriggerError> {
    let Some(config) = &pool.settings.migrate_from else {
        return Ok(None);
    };
    Upstream::open(config, services.triggers.caller(), services.sealer)
        .map(Some)
        .map_err(upstream_failed)
}

/// The upstream's answer for a sign-in (USER_PASSWORD_AUTH) or a reset (AdminGetUser, with
/// admin credentials). A right password that cannot finish upstream (an MFA or new-password
/// challenge, an unconfirmed account) brings the user over RESET_REQUIRED, when admin
/// credentials can read them; a disabled upstream user never comes over this way.
fn ask_upstream(
    services: &Services<'_>,
    pool: &Pool,
    login: &str,
    purpose: Purpose<'_>,
) -> Result<Option<Vouched>, TriggerError> {
    let Some(upstream) = open_upstream(services, pool)? else {
        return Ok(None);
    };
    let read_for_reset = |upstream: &Upstream<'_>| -> Result<Option<Vouched>, TriggerError> {
        if !upstream.has_admin() {
            return Ok(None);
        }
        let Some(user) = upstream.admin_get_user(login).map_err(upstream_failed)? else {
            return Ok(None);
        };
        if !user.enabled {
            return Ok(None);
        }
        let groups = upstream
            .groups_of(&user.username)
            .map_err(upstream_failed)?;
        Ok(Some(vouched(
            user,
            groups,
            Some(FinalStatus::ResetRequired),
        )))
    };
    match purpose {
        Purpose::ForgotPassword => read_for_reset(&upstream),
        Purpose::SignIn { password } => {
            match upstream.sign_in(login, password).map_err(upstream_failed)? {
                SignIn::Accepted { user, groups } => Ok(Some(vouched(user, groups, None))),
                SignIn::Challenged(challenge) => {
                    tracing::info!(pool = %pool.id, %challenge, "upstream sign-in challenged: migrating for a reset");
                    read_for_reset(&upstream)
                }
                SignIn::Refused { .. } => Ok(None),
            }
        }
    }
}

fn vouched(user: UpstreamUser, groups: Vec<String>, status: Option<FinalStatus>) -> Vouched {
    let mut attributes = user.attributes;
    let sub = attributes.remove("sub").unwrap_or_default();
    // Linked federated identities cannot come over (yet).
    attributes.remove("identities");
    Vouched {
        attributes,
        final_status: status,
        upstream: Some(Kept {
            sub,
            username: user.username,
            groups,
        }),
    }
}

/// Completes a user copied from the upstream without a password (`incognito migrate cognito`)
/// at their first sign-in: when the upstream accepts the password, for the same `sub`, it is
/// hashed and stored here and the user is CONFIRMED. `Ok(None)`: not accepted, nothing
/// changed. Blocking, outside any transaction.
pub fn complete(
    services: &Services<'_>,
    pool: &Pool,
    user: &User,
    login: &str,
    password: &str,
    now: i64,
) -> crate::Result<Option<User>> {
    let Some(upstream) = open_upstream(services, pool)? else {
        return Ok(None);
    };
    let SignIn::Accepted { user: found, .. } =
        upstream.sign_in(login, password).map_err(upstream_failed)?
    else {
        return Ok(None);
    };
    if found.attributes.get("sub") != Some(&user.id) {
        tracing::warn!(pool = %pool.id, user = %user.id, "upstream user has another sub: not completed");
        return Ok(None);
    }
    let new_password = NewPassword::migrated(pool, &user.username, password);
    let mut user = user.clone();
    services.store.write_sync(|db| {
        service::set_password(db, services.sealer, &mut user, &new_password, true, now)
    })?;
    tracing::info!(pool = %pool.id, user = %user.id, "copied user completed from upstream");
    Ok(Some(user))
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
    let Services { store, sealer, .. } = services;
    for source in sources(pool) {
        let Some(vouched) = source.ask(services, pool, login, purpose, context)? else {
            continue;
        };
        let groups = vouched
            .upstream
            .as_ref()
            .map(|k| k.groups.clone())
            .unwrap_or_default();
        let prepared = prepare(pool, login, purpose, vouched, now)?;
        let created = store.write_sync(|db| -> crate::Result<User> {
            let user = service::create(db, pool, sealer, prepared)?;
            service::join_groups(db, pool, &user, &groups, now)?;
            Ok(user)
        });
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
    let Vouched {
        mut attributes,
        final_status,
        upstream,
    } = vouched;
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
    let username = match &upstream {
        Some(kept) => kept.username.clone(),
        None => login.trim().to_string(),
    };
    let mut prepared = service::prepare_user(
        pool,
        NewUser {
            username: Some(username),
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
    if let Some(kept) = upstream {
        let sub = uuid::Uuid::parse_str(&kept.sub)
            .map_err(|_| invalid("the upstream sub is not a UUID".into()))?;
        prepared.keep_identity(
            pool,
            KeptIdentity {
                sub: Some(sub.hyphenated().to_string()),
                status: UserStatus::Confirmed,
                enabled: true,
                created_at: now,
                updated_at: now,
            },
        );
    }
    let status = match (purpose, final_status) {
        // A reset is under way: the user has no password until it completes.
        (Purpose::ForgotPassword, _) | (_, Some(FinalStatus::ResetRequired)) => {
            UserStatus::ResetRequired
        }
        (Purpose::SignIn { .. }, _) => UserStatus::Confirmed,
    };
    prepared.set_status(status);
    // A user who must reset gets no password from the sign-in that brought them.
    if let (Purpose::SignIn { password }, UserStatus::Confirmed) = (purpose, status) {
        let username = prepared.username().to_string();
        prepared.set_password(NewPassword::migrated(pool, &username, password));
    }
    Ok(prepared)
}
