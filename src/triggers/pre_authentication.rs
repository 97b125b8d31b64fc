//! PreAuthentication: fired when a sign-in starts, before the password or SRP proof is
//! accepted (`PreAuthentication_Authentication`): by USER_PASSWORD_AUTH,
//! ADMIN_USER_PASSWORD_AUTH and the hosted sign-in form before the password is checked, and by
//! USER_SRP_AUTH at InitiateAuth, before the PASSWORD_VERIFIER challenge. Nothing of the
//! response is honoured; a rejection denies the sign-in with the handler's message.
//!
//! For a login name the pool does not know it fires only when the client prevents
//! user-existence errors, with `userNotFound: true` and no attributes (as Cognito does): the
//! handler is told, so that it can answer unknown and known users alike.

use std::collections::BTreeMap;

use serde_json::json;

use super::{TriggerError, Triggers};
use crate::accounts::User;
use crate::pools::Pool;

pub const TRIGGER: &str = "PreAuthentication";

/// What the door knows of the sign-in besides the user.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub client_id: Option<String>,
    /// InitiateAuth's `ClientMetadata`, which Cognito passes as `validationData`.
    pub validation_data: Option<BTreeMap<String, String>>,
    pub prevent_user_existence_errors: bool,
}

/// Fires for `user` (`None`: unknown, and then only with PreventUserExistenceErrors).
/// `user_name` is what the user typed.
pub fn fire(
    triggers: &Triggers,
    pool: &Pool,
    user: Option<&User>,
    user_name: &str,
    context: &Context,
) -> Result<(), TriggerError> {
    if user.is_none() && !context.prevent_user_existence_errors {
        return Ok(());
    }
    let attributes = user.map(sign_in_attributes).unwrap_or_default();
    let mut request = json!({
        "userAttributes": attributes,
        "validationData": super::string_map(context.validation_data.as_ref()),
    });
    if context.prevent_user_existence_errors {
        request["userNotFound"] = json!(user.is_none());
    }
    let event = super::event(
        pool,
        "PreAuthentication_Authentication",
        user.map_or(user_name, |u| u.username.as_str()),
        context.client_id.as_deref(),
        request,
        json!({}),
    );
    triggers.invoke(pool, TRIGGER, &event).map(|_| ())
}

/// A user's attributes as the sign-in triggers see them: also `cognito:user_status`, and
/// `cognito:email_alias` when the email is verified (it is then a sign-in alias).
pub fn sign_in_attributes(user: &crate::accounts::User) -> BTreeMap<String, String> {
    let mut attrs = super::user_attributes(user);
    attrs.insert("cognito:user_status".into(), user.status.as_str().into());
    if let Some(email) = user.email.as_ref().filter(|_| user.email_verified) {
        attrs.insert("cognito:email_alias".into(), email.clone());
    }
    attrs
}
