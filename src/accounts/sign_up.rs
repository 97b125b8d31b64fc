//! Self sign-up and its email confirmation, shared by the hosted pages and the Cognito API.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::codes::{self, CodeError, Purpose, SendLimited};
use super::notices::Notice;
use super::service::{NewUser, PreparedUser, create, find_by_login, prepare_user};
use super::{User, UserStatus};
use crate::Result;
use crate::pools::Pool;
use crate::store::{self, Db};
use crate::triggers::{Triggers, pre_sign_up};

pub struct SignUp {
    pub username: Option<String>,
    pub email: String,
    pub password: String,
    pub attributes: BTreeMap<String, String>,
}

/// What a sign-up did. The same answer goes back to the browser in every case, so it does not
/// reveal whether the email was already registered.
pub enum SignUpOutcome {
    /// A new user: unconfirmed with a code issued (the notice to mail), or confirmed by the
    /// PreSignUp trigger (no notice).
    Created(User, Option<Notice>),
    /// The email belongs to an unconfirmed user: a fresh code was mailed to it (no new user).
    ResentToUnconfirmed(Notice),
    /// The email belongs to a confirmed user: nothing was created or sent.
    AlreadyConfirmed,
}

/// A sign-up checked and its password hashed, before the write transaction (see
/// `service::NewPassword`). Every sign-up pays for the hash, whether or not the email is
/// registered, so that the time taken does not tell either.
pub struct PreparedSignUp(PreparedUser);

impl PreparedSignUp {
    /// The user as it will be stored (PreSignUp's decision applied).
    pub fn user(&self) -> &User {
        self.0.user()
    }
}

/// Also fires the PreSignUp trigger (a blocking call: run `prepare` on the blocking pool),
/// whose rejection ends the sign-up before anything is stored.
pub fn prepare(
    triggers: &Triggers,
    pool: &Pool,
    req: SignUp,
    context: &pre_sign_up::Context,
    now: i64,
) -> Result<PreparedSignUp> {
    let mut prepared = prepare_user(
        pool,
        NewUser {
            username: req.username,
            email: Some(req.email),
            password: Some(req.password),
            password_hash: None,
            attributes: req.attributes,
            confirmed: false,
            email_verified: false,
        },
        now,
    )?;
    let decision = pre_sign_up::fire(
        triggers,
        pool,
        pre_sign_up::Source::SignUp,
        prepared.username(),
        &prepared.given_attributes(),
        context,
    )?;
    prepared.apply(decision);
    Ok(PreparedSignUp(prepared))
}

/// `link` builds the one-click confirmation URL from the code.
pub fn sign_up(
    db: &Db,
    pool: &Pool,
    sealer: &crate::keys::seal::Sealer,
    req: PreparedSignUp,
    lang: &str,
    link: impl Fn(&str) -> String,
    now: i64,
) -> Result<SignUpOutcome> {
    let email = req.0.email().unwrap_or_default().to_string();
    if let Some(existing) = find_by_login(db, pool, &email)? {
        if existing.status == UserStatus::Unconfirmed
            && codes::allow_send(
                db,
                &pool.id,
                Purpose::ConfirmSignUp,
                &existing.id,
                None,
                now,
            )?
            .is_ok()
        {
            let code = codes::issue(
                db,
                &pool.id,
                &existing.id,
                Purpose::ConfirmSignUp,
                pool.settings.confirm_code_ttl_secs,
                now,
            )?;
            let to = existing.email.clone().unwrap_or_default();
            return Ok(SignUpOutcome::ResentToUnconfirmed(Notice::ConfirmSignUp {
                to,
                lang: lang.into(),
                link: link(&code),
                code,
            }));
        }
        return Ok(SignUpOutcome::AlreadyConfirmed);
    }
    let user = create(db, pool, sealer, req.0)?;
    if user.status == UserStatus::Confirmed {
        return Ok(SignUpOutcome::Created(user, None));
    }
    let code = codes::issue(
        db,
        &pool.id,
        &user.id,
        Purpose::ConfirmSignUp,
        pool.settings.confirm_code_ttl_secs,
        now,
    )?;
    let to = user.email.clone().unwrap_or_default();
    Ok(SignUpOutcome::Created(
        user,
        Some(Notice::ConfirmSignUp {
            to,
            lang: lang.into(),
            link: link(&code),
            code,
        }),
    ))
}

#[derive(Debug)]
pub enum ConfirmError {
    Code(CodeError),
    /// Already confirmed: nothing to do (the caller may say so; it is not a secret to the
    /// holder of a valid session, but the hosted page shows a neutral message).
    AlreadyConfirmed,
}

/// Confirms a sign-up with the emailed code: the user becomes CONFIRMED and the email verified.
/// Unknown users get `Mismatch`, exactly like a wrong code.
pub fn confirm(
    db: &Db,
    pool: &Pool,
    login: &str,
    code: &str,
    now: i64,
) -> Result<std::result::Result<User, ConfirmError>> {
    let Some(mut user) = find_by_login(db, pool, login)? else {
        return Ok(Err(ConfirmError::Code(if codes::is_well_formed(code) {
            CodeError::Mismatch
        } else {
            CodeError::Malformed
        })));
    };
    if user.status != UserStatus::Unconfirmed {
        return Ok(Err(ConfirmError::AlreadyConfirmed));
    }
    if let Err(e) = codes::verify(db, &user.id, Purpose::ConfirmSignUp, code, now)? {
        return Ok(Err(ConfirmError::Code(e)));
    }
    user.status = UserStatus::Confirmed;
    user.email_verified = true;
    user.updated_at = now;
    store::users::update(db, &user)?;
    Ok(Ok(user))
}

/// A new confirmation code for an unconfirmed user at once (voiding the older one); `None`
/// (and nothing sent) for anyone else. Asking is counted for the login and for `ip` whether or
/// not the user exists (`codes::allow_send`); over the limit the answer is `SendLimited`.
pub fn resend_confirmation(
    db: &Db,
    pool: &Pool,
    login: &str,
    lang: &str,
    link: impl Fn(&str) -> String,
    ip: Option<IpAddr>,
    now: i64,
) -> Result<std::result::Result<Option<Notice>, SendLimited>> {
    let user = find_by_login(db, pool, login)?;
    let subject = codes::send_subject(user.as_ref(), login);
    if let Err(limited) =
        codes::allow_send(db, &pool.id, Purpose::ConfirmSignUp, &subject, ip, now)?
    {
        return Ok(Err(limited));
    }
    let Some(user) = user.filter(|u| u.status == UserStatus::Unconfirmed && u.enabled) else {
        return Ok(Ok(None));
    };
    let code = codes::issue(
        db,
        &pool.id,
        &user.id,
        Purpose::ConfirmSignUp,
        pool.settings.confirm_code_ttl_secs,
        now,
    )?;
    let to = user.email.clone().unwrap_or_default();
    Ok(Ok(Some(Notice::ConfirmSignUp {
        to,
        lang: lang.into(),
        link: link(&code),
        code,
    })))
}
