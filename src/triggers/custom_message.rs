//! CustomMessage: fired before a code is mailed, with every source Cognito has that exists
//! here: `CustomMessage_SignUp`, `_ResendCode`, `_ForgotPassword`, `_UpdateUserAttribute`,
//! `_VerifyUserAttribute` and `_AdminCreateUser` (the temporary password is its code).
//! (`_Authentication` waits for e-mail MFA codes, which do not exist yet.)
//!
//! The handler never sees the code: like Cognito, the event carries only the placeholders
//! (`codeParameter` `{####}`, `usernameParameter` `{username}` for AdminCreateUser,
//! `linkParameter` `{##Click Here##}` where the mail has a confirmation link). So the handler
//! is called before the write transaction that issues the code, and its answer is a
//! template that the transaction fills in. Honoured: `emailMessage` (sent as the HTML body,
//! with a plain-text part derived from it) and `emailSubject`; `smsMessage` is ignored (no
//! SMS here). A message without the placeholder(s) is refused, as Cognito does: the default
//! message goes out instead.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{TriggerError, Triggers};
use crate::mail::Message;
use crate::pools::Pool;

pub const TRIGGER: &str = "CustomMessage";
pub const CODE_PARAMETER: &str = "{####}";
pub const USERNAME_PARAMETER: &str = "{username}";
pub const LINK_PARAMETER: &str = "{##Click Here##}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    SignUp,
    ResendCode,
    ForgotPassword,
    UpdateUserAttribute,
    VerifyUserAttribute,
    AdminCreateUser,
}

impl Source {
    fn trigger_source(self) -> &'static str {
        match self {
            Source::SignUp => "CustomMessage_SignUp",
            Source::ResendCode => "CustomMessage_ResendCode",
            Source::ForgotPassword => "CustomMessage_ForgotPassword",
            Source::UpdateUserAttribute => "CustomMessage_UpdateUserAttribute",
            Source::VerifyUserAttribute => "CustomMessage_VerifyUserAttribute",
            Source::AdminCreateUser => "CustomMessage_AdminCreateUser",
        }
    }
    /// Whether the mail of this source carries a one-click confirmation link.
    fn has_link(self) -> bool {
        matches!(self, Source::SignUp | Source::ResendCode)
    }
}

/// Who the message is for.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub user_name: String,
    pub user_attributes: BTreeMap<String, String>,
    pub client_id: Option<String>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

impl Context {
    /// The context of a message to `user` (stored, or about to be).
    pub fn of(
        user: &crate::accounts::User,
        client_id: Option<&str>,
        client_metadata: Option<&BTreeMap<String, String>>,
    ) -> Context {
        let mut user_attributes = super::user_attributes(user);
        user_attributes.insert("cognito:user_status".into(), user.status.as_str().into());
        Context {
            user_name: user.username.clone(),
            user_attributes,
            client_id: client_id.map(String::from),
            client_metadata: client_metadata.filter(|m| !m.is_empty()).cloned(),
        }
    }
}

/// The handler's message, placeholders still in; filled by [`Template::render`] once the
/// code exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    subject: Option<String>,
    html: String,
}

impl Template {
    /// The message for `code` (and `username` for AdminCreateUser, and the confirmation
    /// `link` if any); `default_subject` when the handler gave none.
    pub fn render(
        &self,
        code: &str,
        username: Option<&str>,
        link: Option<&str>,
        default_subject: &str,
    ) -> Message {
        let mut vars = vec![("code", code)];
        if let Some(u) = username {
            vars.push(("username", u));
        }
        crate::mail::messages::from_handler(
            self.subject.as_deref().unwrap_or(default_subject),
            &self.html,
            &vars,
            (LINK_PARAMETER, link),
        )
    }
}

/// Calls the handler (blocking: run it on the blocking pool, before the write transaction).
/// `None`: no CustomMessage trigger, or a message Cognito would refuse (no placeholder), so
/// the default message goes out.
pub fn fire(
    triggers: &Triggers,
    pool: &Pool,
    source: Source,
    context: &Context,
) -> Result<Option<Template>, TriggerError> {
    if Triggers::target(pool, TRIGGER).is_none() {
        return Ok(None);
    }
    let admin = source == Source::AdminCreateUser;
    let mut request = json!({
        "userAttributes": context.user_attributes,
        "codeParameter": CODE_PARAMETER,
        "linkParameter": if source.has_link() { json!(LINK_PARAMETER) } else { Value::Null },
        "usernameParameter": if admin { json!(USERNAME_PARAMETER) } else { Value::Null },
    });
    if let Some(m) = &context.client_metadata {
        request["clientMetadata"] = json!(m);
    }
    let event = super::event(
        pool,
        source.trigger_source(),
        &context.user_name,
        context.client_id.as_deref(),
        request,
        json!({"smsMessage": null, "emailMessage": null, "emailSubject": null}),
    );
    let Some(response) = triggers.invoke(pool, TRIGGER, &event)? else {
        return Ok(None);
    };
    let text = |k: &str| -> Result<Option<String>, TriggerError> {
        match response.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(TriggerError::InvalidResponse { trigger: TRIGGER }),
        }
    };
    let (subject, message) = (text("emailSubject")?, text("emailMessage")?);
    let Some(html) = message else {
        return Ok(None);
    };
    let complete = html.contains(CODE_PARAMETER) && (!admin || html.contains(USERNAME_PARAMETER));
    if !complete {
        tracing::warn!(
            pool = %pool.id,
            source = source.trigger_source(),
            "CustomMessage answer lacks the placeholder(s); the default message is sent"
        );
        return Ok(None);
    }
    Ok(Some(Template { subject, html }))
}

/// For the hosted pages, which name the user by the login typed: the template for the
/// message `login` would get (none for an unknown login, nor a confirmation code for a
/// confirmed user, who get no mail). Blocking: reads the store, calls the handler.
pub fn for_login(
    triggers: &Triggers,
    store: &crate::store::Store,
    pool: &Pool,
    source: Source,
    login: &str,
) -> crate::Result<Option<Template>> {
    if Triggers::target(pool, TRIGGER).is_none() {
        return Ok(None);
    }
    let user = store.read_sync(|db| crate::accounts::service::find_by_login(db, pool, login))?;
    let wanted = |u: &crate::accounts::User| {
        source != Source::ResendCode || u.status == crate::accounts::UserStatus::Unconfirmed
    };
    match user.filter(wanted) {
        Some(user) => Ok(fire(
            triggers,
            pool,
            source,
            &Context::of(&user, None, None),
        )?),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_code_username_link_and_a_text_part() {
        let t = Template {
            subject: Some("Welcome {username}".into()),
            html: "<p>Hi <b>{username}</b>,</p><p>your code is {####}. {##Click Here##}</p>".into(),
        };
        let m = t.render(
            "123456",
            Some("a<b"),
            Some("https://x/c?a=1&b=2"),
            "Default",
        );
        assert_eq!(m.subject, "Welcome a<b");
        assert!(m.html.contains("<b>a&lt;b</b>"), "{}", m.html);
        assert!(
            m.html
                .contains("<a href=\"https://x/c?a=1&amp;b=2\">Click Here</a>")
        );
        assert!(m.text.contains("Hi a<b,") && m.text.contains("your code is 123456."));
        let plain = Template {
            subject: None,
            html: "code {####}".into(),
        };
        assert_eq!(plain.render("1", None, None, "Default").subject, "Default");
    }
}
