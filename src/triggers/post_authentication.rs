//! PostAuthentication: fired once a sign-in is complete (password or SRP proof, then the
//! second factor or the new password when one was asked for) and before any token is handed
//! out (`PostAuthentication_Authentication`). Nothing of the response is honoured; a failure
//! ends the sign-in with Cognito's error and no tokens (the hosted pages return it to the
//! relying party as `error_description`).
//!
//! `newDeviceUsed` is always false: Cognito sets it only for remembered devices, which the
//! Cognito API here does not track. `clientMetadata` is what RespondToAuthChallenge was given
//! (never InitiateAuth's, as at Cognito).

use std::collections::BTreeMap;

use serde_json::json;

use super::{TriggerError, Triggers};
use crate::accounts::User;
use crate::pools::Pool;

pub const TRIGGER: &str = "PostAuthentication";

pub fn fire(
    triggers: &Triggers,
    pool: &Pool,
    user: &User,
    client_id: Option<&str>,
    client_metadata: Option<&BTreeMap<String, String>>,
) -> Result<(), TriggerError> {
    let mut request = json!({
        "userAttributes": super::pre_authentication::sign_in_attributes(user),
        "newDeviceUsed": false,
    });
    if let Some(m) = client_metadata {
        request["clientMetadata"] = json!(m);
    }
    let event = super::event(
        pool,
        "PostAuthentication_Authentication",
        &user.username,
        client_id,
        request,
        json!({}),
    );
    triggers.invoke(pool, TRIGGER, &event).map(|_| ())
}
