//! PreSignUp: fired before a user is stored, by SignUp and the hosted sign-up page
//! (`PreSignUp_SignUp`) and by AdminCreateUser (`PreSignUp_AdminCreateUser`). A rejection
//! stores nothing. Honoured: `autoConfirmUser` and `autoVerifyEmail` (`autoVerifyPhone`
//! needs phone numbers, which are not verified here), ignored for AdminCreateUser as by Cognito.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{TriggerError, Triggers};
use crate::pools::Pool;

pub const TRIGGER: &str = "PreSignUp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    SignUp,
    AdminCreateUser,
    /// A first sign-in through an identity provider (`federation`).
    ExternalProvider,
}

/// What the caller knows of the sign-up besides the user.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub client_id: Option<String>,
    pub validation_data: Option<BTreeMap<String, String>>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

/// What the handler decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decision {
    pub auto_confirm_user: bool,
    pub auto_verify_email: bool,
    pub auto_verify_phone: bool,
}

pub fn fire(
    triggers: &Triggers,
    pool: &Pool,
    source: Source,
    user_name: &str,
    user_attributes: &BTreeMap<String, String>,
    context: &Context,
) -> Result<Decision, TriggerError> {
    let trigger_source = match source {
        Source::SignUp => "PreSignUp_SignUp",
        Source::AdminCreateUser => "PreSignUp_AdminCreateUser",
        Source::ExternalProvider => "PreSignUp_ExternalProvider",
    };
    let mut request = json!({
        "userAttributes": user_attributes,
        "validationData": super::string_map(context.validation_data.as_ref()),
    });
    if let Some(m) = &context.client_metadata {
        request["clientMetadata"] = json!(m);
    }
    let event = super::event(
        pool,
        trigger_source,
        user_name,
        context.client_id.as_deref(),
        request,
        json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}),
    );
    let Some(response) = triggers.invoke(pool, TRIGGER, &event)? else {
        return Ok(Decision::default());
    };
    if source == Source::AdminCreateUser {
        return Ok(Decision::default());
    }
    let flag = |k: &str| response.get(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(Decision {
        auto_confirm_user: flag("autoConfirmUser"),
        auto_verify_email: flag("autoVerifyEmail"),
        auto_verify_phone: flag("autoVerifyPhone"),
    })
}
