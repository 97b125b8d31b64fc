//! Multi-factor authentication policy, shared by the hosted pages and the Cognito API: when a
//! second factor is needed, TOTP set-up and verification (each code accepted once), recovery
//! codes, the challenge between the password step and the code, remembered devices.

use super::totp;
use crate::accounts::User;
use crate::keys::seal::Sealer;
use crate::pools::{MfaMode, Pool};
use crate::random::{sha256_hex, token};
use crate::store::{self, Db, mfa::Challenge};
use crate::{Error, Result};

pub const MAX_CHALLENGE_ATTEMPTS: i64 = 5;
pub const CHALLENGE_TTL_SECS: i64 = 5 * 60;
pub const RECOVERY_CODES: usize = 10;

/// What the sign-in needs after the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Done,
    /// The user has a factor: ask for a code of it.
    Verify(Factor),
    /// The pool requires MFA (or the client asked for it) and the user has no factor yet.
    Enrol,
}

/// The second factor a `Verify` step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    /// A one-time code by e-mail (Cognito's EMAIL_OTP).
    Email,
}

/// A second factor asked for by adaptive sign-in (`authn::risk`), besides the pool's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Demand {
    #[default]
    None,
    /// MFA_IF_CONFIGURED: the user's own factor, if any; a remembered device does not skip it.
    IfConfigured,
    /// MFA_REQUIRED: the authenticator, else a code to the verified e-mail (`authn::risk`
    /// blocks a user who has neither).
    Required,
}

/// Whether the user can answer a second factor adaptive sign-in requires: an authenticator
/// or a verified e-mail address.
pub fn has_risk_factor(db: &Db, user: &User) -> Result<bool> {
    Ok(is_enabled(db, &user.id)? || (user.email.is_some() && user.email_verified))
}

/// Lifetime of an e-mailed sign-in code.
pub const EMAIL_CODE_TTL_SECS: i64 = 5 * 60;

/// Whether e-mailed codes are this user's second factor: the pool offers them (and MFA), the
/// user's e-mail is verified, and the user turned them on, or has no authenticator where a
/// second factor is needed ("require a second factor" then works for everyone).
fn email_factor(db: &Db, pool: &Pool, user: &User, needed: bool) -> Result<bool> {
    Ok(pool.settings.email_mfa
        && pool.settings.mfa != MfaMode::Off
        && user.email.is_some()
        && user.email_verified
        && (needed || store::mfa::email_mfa_enabled(db, &user.id)?))
}

/// Cognito's `UserMFASettingList` and `PreferredMfaSetting` of a user: the authenticator
/// first (it is the one asked for when both are on), then e-mail codes.
pub fn settings_list(db: &Db, user_id: &str) -> Result<(Vec<&'static str>, Option<&'static str>)> {
    let mut list = Vec::new();
    if is_enabled(db, user_id)? {
        list.push("SOFTWARE_TOKEN_MFA");
    }
    if store::mfa::email_mfa_enabled(db, user_id)? {
        list.push("EMAIL_OTP");
    }
    let preferred = list.first().copied();
    Ok((list, preferred))
}

/// The factor of a `Verify` step: the authenticator when there is one, else e-mail.
pub fn verify_factor(db: &Db, user_id: &str) -> Result<Factor> {
    Ok(if is_enabled(db, user_id)? {
        Factor::Totp
    } else {
        Factor::Email
    })
}

/// Mails a new sign-in code (single use, five minutes, voiding the previous one). False when
/// the user has asked for too many this hour: nothing is sent.
pub fn send_email_code(db: &Db, pool: &Pool, user: &User, now: i64) -> Result<bool> {
    use crate::accounts::codes::{self, Purpose};
    let Some(to) = &user.email else {
        return Ok(false);
    };
    if codes::allow_send(db, &pool.id, Purpose::SignIn, &user.id, None, now)?.is_err() {
        return Ok(false);
    }
    let code = codes::issue(
        db,
        &pool.id,
        &user.id,
        Purpose::SignIn,
        EMAIL_CODE_TTL_SECS,
        now,
    )?;
    let notice = crate::accounts::notices::Notice::SignInCode {
        to: to.clone(),
        lang: user
            .attributes
            .get("locale")
            .cloned()
            .unwrap_or_else(|| "en".into()),
        code,
        minutes: EMAIL_CODE_TTL_SECS / 60,
    };
    crate::accounts::notices::deliver(db, pool, &notice, now)?;
    Ok(true)
}

/// `user@example.com` as `u***@e***` (Cognito's CODE_DELIVERY_DESTINATION).
pub fn masked_email(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    format!("{}***@{}***", first(local), first(domain))
}

/// `wants_mfa`: the client asked for it (`acr_values`), even where the pool makes it optional.
/// `demand`: what adaptive sign-in asks for.
pub fn next_step(
    db: &Db,
    pool: &Pool,
    user: &User,
    wants_mfa: bool,
    demand: Demand,
) -> Result<Step> {
    let enabled = store::mfa::get_totp(db, &user.id)?.is_some_and(|t| t.enabled);
    if demand == Demand::Required && !enabled && user.email.is_some() && user.email_verified {
        return Ok(Step::Verify(Factor::Email));
    }
    let needed = pool.settings.mfa == MfaMode::Required
        || (pool.settings.mfa == MfaMode::Optional && wants_mfa);
    if !enabled && email_factor(db, pool, user, needed)? {
        return Ok(Step::Verify(Factor::Email));
    }
    Ok(match (enabled, pool.settings.mfa) {
        (true, _) => Step::Verify(Factor::Totp),
        (false, MfaMode::Required) => Step::Enrol,
        (false, MfaMode::Optional) if wants_mfa => Step::Enrol,
        _ => Step::Done,
    })
}

pub fn is_enabled(db: &Db, user_id: &str) -> Result<bool> {
    Ok(store::mfa::get_totp(db, user_id)?.is_some_and(|t| t.enabled))
}

pub struct Setup {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_png_base64: String,
}

/// Starts (or restarts) a set-up: a new pending secret, shown once as QR code and text.
pub fn begin_setup(db: &Db, sealer: &Sealer, pool: &Pool, user: &User, now: i64) -> Result<Setup> {
    if is_enabled(db, &user.id)? {
        return Err(Error::AlreadyExists("an authenticator".into()));
    }
    let secret = totp::new_secret();
    let account = user.email.clone().unwrap_or_else(|| user.username.clone());
    let (otpauth_url, qr_png_base64) = totp::provisioning(&secret, pool.display_name(), &account)
        .ok_or_else(|| Error::Crypto("TOTP provisioning".into()))?;
    store::mfa::put_pending_totp(db, &pool.id, &user.id, &sealer.seal(&secret), now)?;
    Ok(Setup {
        secret,
        otpauth_url,
        qr_png_base64,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRejected {
    /// Wrong, malformed, or outside the ±1 step window.
    Wrong,
    /// Right digits, but that time step was already used.
    Replayed,
    /// No set-up in progress (or it was replaced).
    NoSetup,
    /// Too many wrong codes for this user lately, across sign-in attempts: wait.
    Throttled,
}

/// Wrong second-factor codes are counted per user (not only per challenge), so starting new
/// sign-ins does not buy more guesses. User ids are unique across pools.
const THROTTLE_POOL: &str = "*";

fn throttle_subject(user_id: &str) -> String {
    format!("mfa:{user_id}")
}

/// Confirms a set-up with a first code: the factor is enabled and ten recovery codes are
/// returned (shown once; only their hashes are kept).
pub fn confirm_setup(
    db: &Db,
    sealer: &Sealer,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<std::result::Result<Vec<String>, CodeRejected>> {
    let Some(row) = store::mfa::get_totp(db, user_id)?.filter(|t| !t.enabled) else {
        return Ok(Err(CodeRejected::NoSetup));
    };
    let secret = sealer.open(&row.secret).map_err(Error::Crypto)?;
    let Some(step) = totp::check(&secret, code.trim(), now) else {
        return Ok(Err(CodeRejected::Wrong));
    };
    store::mfa::enable_totp(db, user_id, step)?;
    Ok(Ok(regenerate_recovery_codes(db, user_id)?))
}

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Totp,
    /// A recovery code; this many remain.
    RecoveryCode {
        left: i64,
    },
    /// A code sent by e-mail.
    EmailCode,
}

impl Proof {
    /// The `amr` values of a sign-in with this proof (RFC 8176): `otp`, plus `rcode` for a
    /// recovery code.
    pub fn amr(self) -> Vec<String> {
        match self {
            Proof::Totp | Proof::EmailCode => vec!["pwd".into(), "otp".into()],
            Proof::RecoveryCode { .. } => vec!["pwd".into(), "otp".into(), "rcode".into()],
        }
    }
}

fn recovery_hash(user_id: &str, code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    sha256_hex(&format!("{user_id}:{normalized}"))
}

/// Checks a TOTP code (accepted once per time step) or a recovery code (once).
pub fn verify(
    db: &Db,
    sealer: &Sealer,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<std::result::Result<Proof, CodeRejected>> {
    let subject = throttle_subject(user_id);
    if super::throttle::locked_for(db, THROTTLE_POOL, &subject, now)?.is_some() {
        return Ok(Err(CodeRejected::Throttled));
    }
    let code = code.trim();
    let outcome = check_code(db, sealer, user_id, code, now)?;
    // Only well-formed TOTP guesses count: recovery codes are far too long to guess.
    let is_totp_guess = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    match outcome {
        Ok(_) => super::throttle::record_success(db, THROTTLE_POOL, &subject)?,
        Err(CodeRejected::Wrong) if is_totp_guess => {
            super::throttle::record_failure(db, THROTTLE_POOL, &subject, now)?
        }
        Err(_) => {}
    }
    Ok(outcome)
}

fn check_code(
    db: &Db,
    sealer: &Sealer,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<std::result::Result<Proof, CodeRejected>> {
    let Some(row) = store::mfa::get_totp(db, user_id)?.filter(|t| t.enabled) else {
        return email_code(db, user_id, code, now);
    };
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        let secret = sealer.open(&row.secret).map_err(Error::Crypto)?;
        return Ok(match totp::check(&secret, code, now) {
            None => Err(CodeRejected::Wrong),
            Some(step) if step <= row.last_step => Err(CodeRejected::Replayed),
            Some(step) => {
                if store::mfa::advance_step(db, user_id, step)? {
                    Ok(Proof::Totp)
                } else {
                    Err(CodeRejected::Replayed)
                }
            }
        });
    }
    if code.len() > 32 {
        return Ok(Err(CodeRejected::Wrong));
    }
    if store::mfa::use_recovery_code(db, user_id, &recovery_hash(user_id, code), now)? {
        let left = store::mfa::recovery_codes_left(db, user_id)?;
        return Ok(Ok(Proof::RecoveryCode { left }));
    }
    Ok(Err(CodeRejected::Wrong))
}

/// The e-mailed code of a sign-in without an authenticator (none sent: no set-up).
fn email_code(
    db: &Db,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<std::result::Result<Proof, CodeRejected>> {
    use crate::accounts::codes::{self, CodeError, Purpose};
    if store::email_codes::current(db, user_id, "sign_in")?.is_none() {
        return Ok(Err(CodeRejected::NoSetup));
    }
    Ok(
        match codes::verify(db, user_id, Purpose::SignIn, code, now)? {
            Ok(()) => Ok(Proof::EmailCode),
            Err(CodeError::TooManyAttempts) => Err(CodeRejected::Throttled),
            Err(_) => Err(CodeRejected::Wrong),
        },
    )
}

/// Ten new single-use recovery codes (`xxxxx-xxxxx`), replacing the old ones.
pub fn regenerate_recovery_codes(db: &Db, user_id: &str) -> Result<Vec<String>> {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw = crate::random::lower_alnum(10);
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(user_id, c)).collect();
    store::mfa::replace_recovery_codes(db, user_id, &hashes)?;
    Ok(codes)
}

pub fn recovery_codes_left(db: &Db, user_id: &str) -> Result<i64> {
    Ok(store::mfa::recovery_codes_left(db, user_id)?)
}

/// Removes the user's factor, recovery codes and remembered devices (admin reset, lost phone,
/// or the user turning MFA off where the pool allows).
pub fn reset(db: &Db, user_id: &str) -> Result<bool> {
    store::mfa::forget_devices(db, user_id)?;
    Ok(store::mfa::delete_totp(db, user_id)?)
}

/// A sign-in between the password and the second factor. The returned token goes into a cookie.
pub fn start_challenge(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    purpose: Step,
    auth_time: i64,
    now: i64,
) -> Result<String> {
    let purpose = if purpose == Step::Enrol {
        "enrol"
    } else {
        "verify"
    };
    start_challenge_for(db, pool_id, user_id, purpose, auth_time, now)
}

/// A sign-in step between the password and the session: `verify`, `enrol`, or `new_password`
/// (an administrator's temporary password must be replaced first).
pub fn start_challenge_for(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    purpose: &str,
    auth_time: i64,
    now: i64,
) -> Result<String> {
    let id = token(32);
    let c = Challenge {
        id_hash: sha256_hex(&id),
        pool_id: pool_id.into(),
        user_id: user_id.into(),
        purpose: purpose.into(),
        auth_time,
        attempts: 0,
    };
    store::mfa::insert_challenge(db, &c, now, now + CHALLENGE_TTL_SECS)?;
    Ok(id)
}

pub fn load_challenge(db: &Db, pool_id: &str, token: &str, now: i64) -> Result<Option<Challenge>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(
        store::mfa::get_challenge(db, pool_id, &sha256_hex(token), now)?
            .filter(|c| c.attempts < MAX_CHALLENGE_ATTEMPTS),
    )
}

/// Counts a wrong code; true when the challenge is now locked (the sign-in must start again).
/// The count is the one stored after this failure, not `c.attempts + 1`: wrong codes sent at
/// once to two instances both read the same `c.attempts`.
pub fn fail_challenge(db: &Db, c: &Challenge) -> Result<bool> {
    match store::mfa::count_challenge_failure(db, &c.id_hash)? {
        Some(attempts) if attempts < MAX_CHALLENGE_ATTEMPTS => Ok(false),
        Some(_) => {
            store::mfa::delete_challenge(db, &c.id_hash)?;
            Ok(true)
        }
        // Locked (or finished) by a concurrent answer meanwhile.
        None => Ok(true),
    }
}

pub fn finish_challenge(db: &Db, c: &Challenge) -> Result<()> {
    store::mfa::delete_challenge(db, &c.id_hash)?;
    Ok(())
}

/// Remembers this browser for `days`; returns the cookie value.
pub fn remember_device(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    days: i64,
    now: i64,
) -> Result<String> {
    let t = token(32);
    store::mfa::insert_device(
        db,
        pool_id,
        user_id,
        &sha256_hex(&t),
        now,
        now + days * 86_400,
    )?;
    Ok(t)
}

pub fn device_remembered(db: &Db, user_id: &str, cookie: &str, now: i64) -> Result<bool> {
    if cookie.len() > 128 {
        return Ok(false);
    }
    Ok(store::mfa::device_valid(
        db,
        user_id,
        &sha256_hex(cookie),
        now,
    )?)
}

pub fn forget_devices(db: &Db, user_id: &str) -> Result<usize> {
    Ok(store::mfa::forget_devices(db, user_id)?)
}

/// What follows a correct password.
pub enum AfterPassword {
    /// Signed in: start a session with these `amr` values.
    SignedIn(Vec<String>),
    /// A second factor is needed (or must be set up first): the challenge token.
    Challenge { token: String, enrol: bool },
}

/// Decides the step after the password. A remembered device skips the code unless the client
/// asked for MFA explicitly (or adaptive sign-in did); the resulting sign-in then says only `pwd`.
#[allow(clippy::too_many_arguments)]
pub fn after_password(
    db: &Db,
    pool: &Pool,
    user: &User,
    wants_mfa: bool,
    demand: Demand,
    device_cookie: Option<&str>,
    auth_time: i64,
    now: i64,
) -> Result<AfterPassword> {
    let step = next_step(db, pool, user, wants_mfa, demand)?;
    if matches!(step, Step::Verify(_))
        && !wants_mfa
        && demand == Demand::None
        && pool.settings.remember_device_days > 0
        && let Some(c) = device_cookie
        && device_remembered(db, &user.id, c, now)?
    {
        return Ok(AfterPassword::SignedIn(vec!["pwd".into()]));
    }
    if step == Step::Verify(Factor::Email) {
        send_email_code(db, pool, user, now)?;
    }
    match step {
        Step::Done => Ok(AfterPassword::SignedIn(vec!["pwd".into()])),
        Step::Verify(_) | Step::Enrol => Ok(AfterPassword::Challenge {
            token: start_challenge(db, &pool.id, &user.id, step, auth_time, now)?,
            enrol: step == Step::Enrol,
        }),
    }
}

/// The pending set-up of a user, re-derived from the stored secret (to show the QR code again).
pub fn pending_setup(db: &Db, sealer: &Sealer, pool: &Pool, user: &User) -> Result<Option<Setup>> {
    let Some(row) = store::mfa::get_totp(db, &user.id)?.filter(|t| !t.enabled) else {
        return Ok(None);
    };
    let secret = sealer.open(&row.secret).map_err(Error::Crypto)?;
    let account = user.email.clone().unwrap_or_else(|| user.username.clone());
    let (otpauth_url, qr_png_base64) = totp::provisioning(&secret, pool.display_name(), &account)
        .ok_or_else(|| Error::Crypto("TOTP provisioning".into()))?;
    Ok(Some(Setup {
        secret,
        otpauth_url,
        qr_png_base64,
    }))
}

/// True when `acr_values` asks for multi-factor authentication.
pub fn acr_wants_mfa(acr_values: Option<&str>) -> bool {
    acr_values.is_some_and(|v| {
        v.split(' ').any(|a| {
            a == "mfa" || a == "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
        })
    })
}
