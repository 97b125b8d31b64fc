//! Emails the account flows send, described as data; `deliver` renders and enqueues them in
//! the caller's transaction, so a code and its email commit together.

use crate::mail::{self, messages};
use crate::store::Db;
use crate::triggers::custom_message::Template;

#[derive(Debug, Clone)]
pub enum Notice {
    ConfirmSignUp {
        to: String,
        lang: String,
        code: String,
        link: String,
    },
    ResetPassword {
        to: String,
        lang: String,
        code: String,
        minutes: i64,
    },
    PasswordChanged {
        to: String,
        lang: String,
    },
    /// The code of a sign-in's second factor (EMAIL_OTP).
    SignInCode {
        to: String,
        lang: String,
        code: String,
        minutes: i64,
    },
    VerifyEmail {
        to: String,
        lang: String,
        code: String,
    },
    Invitation {
        to: String,
        lang: String,
        login: String,
        temporary_password: String,
    },
}

impl Notice {
    /// The address the notice goes to.
    /// What a CustomMessage template is filled with: the code (the temporary password of
    /// an invitation), the user name (invitations only) and the confirmation link.
    fn custom_values(&self) -> Option<(&str, Option<&str>, Option<&str>)> {
        match self {
            Notice::ConfirmSignUp { code, link, .. } => Some((code, None, Some(link))),
            Notice::ResetPassword { code, .. }
            | Notice::VerifyEmail { code, .. }
            | Notice::SignInCode { code, .. } => Some((code, None, None)),
            Notice::Invitation {
                login,
                temporary_password,
                ..
            } => Some((temporary_password, Some(login), None)),
            Notice::PasswordChanged { .. } => None,
        }
    }

    pub fn recipient(&self) -> &str {
        match self {
            Notice::ConfirmSignUp { to, .. }
            | Notice::ResetPassword { to, .. }
            | Notice::PasswordChanged { to, .. }
            | Notice::SignInCode { to, .. }
            | Notice::VerifyEmail { to, .. }
            | Notice::Invitation { to, .. } => to,
        }
    }
}

/// Renders the notice in its language (with the pool's overrides) and puts it in the outbox.
pub fn deliver(db: &Db, pool: &crate::pools::Pool, notice: &Notice, now: i64) -> crate::Result<()> {
    deliver_custom(db, pool, notice, None, now)
}

/// `deliver`, with the CustomMessage handler's template (fetched before the transaction)
/// in place of the message when there is one.
pub fn deliver_custom(
    db: &Db,
    pool: &crate::pools::Pool,
    notice: &Notice,
    custom: Option<&Template>,
    now: i64,
) -> crate::Result<()> {
    let name = pool.display_name();
    let overrides = |message: &str| pool.settings.email_overrides.get(message);
    let (to, msg) = match notice {
        Notice::ConfirmSignUp {
            to,
            lang,
            code,
            link,
        } => (
            to,
            messages::confirm_signup(lang, name, code, link, overrides("confirm_signup")),
        ),
        Notice::ResetPassword {
            to,
            lang,
            code,
            minutes,
        } => (
            to,
            messages::reset_password(lang, name, code, *minutes, overrides("reset_password")),
        ),
        Notice::SignInCode {
            to,
            lang,
            code,
            minutes,
        } => (
            to,
            messages::sign_in_code(lang, name, code, *minutes, overrides("sign_in_code")),
        ),
        Notice::PasswordChanged { to, lang } => (
            to,
            messages::password_changed(lang, name, overrides("password_changed")),
        ),
        Notice::VerifyEmail { to, lang, code } => (
            to,
            messages::verify_email(lang, name, code, overrides(messages::VERIFY_EMAIL)),
        ),
        Notice::Invitation {
            to,
            lang,
            login,
            temporary_password,
        } => (
            to,
            messages::invitation(
                lang,
                name,
                login,
                temporary_password,
                overrides(messages::INVITATION),
            ),
        ),
    };
    let msg = match (custom, notice.custom_values()) {
        (Some(t), Some((code, username, link))) => t.render(code, username, link, &msg.subject),
        _ => msg,
    };
    mail::enqueue(db, Some(&pool.id), &msg.addressed_to(to.clone()), now)?;
    Ok(())
}
