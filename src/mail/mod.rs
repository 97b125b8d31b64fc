//! Email: the only owner of lettre.
//!
//! - [`messages`] renders the emails (subject, plain text and HTML; English and German; pool
//!   overrides with `{placeholders}`).
//! - [`enqueue`] stores a message in `mail_outbox` inside the caller's write transaction, so
//!   a code and the mail that carries it commit together; then the caller calls
//!   [`Mailer::wake`].
//! - [`spawn_delivery`] runs the background task that sends due messages through the
//!   [`Mailer`]'s transport (SMTP, an outbox directory of `.eml` files, or memory for tests)
//!   and retries failures with exponential backoff, so no code is ever lost.
//!
//! Message bodies carry codes and temporary passwords: they are never logged.

mod delivery;
pub mod i18n;
pub mod messages;
mod transport;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use delivery::{DeliveryReport, backoff_secs, deliver_due, spawn_delivery};
pub use transport::{Mailer, SentMail, SmtpSettings};

use crate::store::{Db, StoreError};

/// One email, ready to be queued. `to` is a plain address (`alice@example.com`) or a mailbox
/// (`Alice <alice@example.com>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Message {
    /// The same message with its recipient set.
    pub fn addressed_to(mut self, to: impl Into<String>) -> Message {
        self.to = to.into();
        self
    }
}

/// A pool's replacement for a message's subject, plain-text body and/or HTML body, with
/// placeholders `{code}` (also `{####}`), `{link}`, `{username}`, `{password}`, `{pool}`,
/// `{minutes}`; see `docs/mail.md`. Values are HTML-escaped when filled into `html`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct EmailOverride {
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
}

/// A pool's overrides by message name (`confirm_signup`, `reset_password`, `password_changed`,
/// `invitation`, `verify_email`).
pub type EmailOverrides = BTreeMap<String, EmailOverride>;

impl EmailOverride {
    /// Checks an override of `message` before a pool stores it: a known message name, and a
    /// body that still contains the value the mail exists for (`{code}`, or `{password}` for
    /// an invitation).
    pub fn validate(&self, message: &str) -> Result<(), String> {
        let Some((_, required)) = messages::placeholders(message) else {
            return Err(format!(
                "unknown email message {message:?}; known: {}",
                messages::MESSAGE_NAMES.join(", ")
            ));
        };
        let Some(required) = required else {
            return Ok(());
        };
        let token = format!("{{{required}}}");
        for (part, body) in [("text", &self.text), ("html", &self.html)] {
            if let Some(body) = body.as_deref().filter(|b| !b.trim().is_empty()) {
                let found =
                    body.contains(&token) || (required == "code" && body.contains("{####}"));
                if !found {
                    return Err(format!(
                        "the {part} of the {message} email must contain {token}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Validates every override of a pool.
pub fn validate_overrides(overrides: &EmailOverrides) -> Result<(), String> {
    overrides.iter().try_for_each(|(name, o)| o.validate(name))
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("outbox directory: {0}")]
    Io(String),
    #[error("SMTP settings: {0}")]
    Settings(String),
}

/// Checks that `s` is a mailbox (`no-reply@example.com` or `Name <no-reply@example.com>`).
pub fn parse_mailbox(s: &str) -> Result<(), String> {
    s.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{s:?} is not an email address or mailbox ({e})"))
}

/// Queues `msg` for delivery inside the caller's write transaction; returns the outbox id.
/// Call [`Mailer::wake`] after the transaction commits so it goes out at once.
pub fn enqueue(db: &Db, pool_id: Option<&str>, msg: &Message, now: i64) -> Result<i64, StoreError> {
    debug_assert!(
        !msg.to.trim().is_empty(),
        "a queued message needs a recipient"
    );
    crate::store::outbox::insert(
        db,
        pool_id,
        &msg.to,
        &msg.subject,
        &msg.text,
        &msg.html,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_validation() {
        let ok = EmailOverride {
            text: Some("code {####}".into()),
            html: Some("<b>{code}</b>".into()),
            ..Default::default()
        };
        assert!(ok.validate("confirm_signup").is_ok());
        let missing = EmailOverride {
            html: Some("<b>no code</b>".into()),
            ..Default::default()
        };
        assert!(
            missing
                .validate("reset_password")
                .unwrap_err()
                .contains("{code}")
        );
        assert!(missing.validate("password_changed").is_ok());
        assert!(
            missing
                .validate("invitation")
                .unwrap_err()
                .contains("{password}")
        );
        assert!(ok.validate("welcome").unwrap_err().contains("unknown"));
        let parsed: EmailOverrides =
            serde_json::from_str(r#"{"verify_email": {"subject": "S {code}"}}"#).unwrap();
        assert!(validate_overrides(&parsed).is_ok());
    }

    #[test]
    fn mailboxes() {
        assert!(parse_mailbox("Incognito <no-reply@localhost>").is_ok());
        assert!(parse_mailbox("a@example.com").is_ok());
        assert!(parse_mailbox("not an address").is_err());
        assert!(parse_mailbox("").is_err());
    }
}
