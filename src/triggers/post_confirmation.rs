//! PostConfirmation: fired after the confirmation is committed, by ConfirmSignUp, the hosted
//! confirmation page and AdminConfirmSignUp (`PostConfirmation_ConfirmSignUp`) and by a
//! password reset (`PostConfirmation_ConfirmForgotPassword`). Nothing of the response is
//! honoured; a failure leaves the user confirmed while the caller answers the error, as
//! Cognito does.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::{TriggerError, Triggers};
use crate::accounts::User;
use crate::pools::Pool;

pub const TRIGGER: &str = "PostConfirmation";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ConfirmSignUp,
    ConfirmForgotPassword,
}

pub fn fire(
    triggers: &Triggers,
    pool: &Pool,
    source: Source,
    user: &User,
    client_id: Option<&str>,
    client_metadata: Option<&BTreeMap<String, String>>,
) -> Result<(), TriggerError> {
    let trigger_source = match source {
        Source::ConfirmSignUp => "PostConfirmation_ConfirmSignUp",
        Source::ConfirmForgotPassword => "PostConfirmation_ConfirmForgotPassword",
    };
    let mut attributes = super::user_attributes(user);
    attributes.insert("cognito:user_status".into(), user.status.as_str().into());
    let mut request = json!({ "userAttributes": attributes });
    if let Some(m) = client_metadata {
        request["clientMetadata"] = json!(m);
    }
    let event = super::event(
        pool,
        trigger_source,
        &user.username,
        client_id,
        request,
        json!({}),
    );
    triggers.invoke(pool, TRIGGER, &event).map(|_| ())
}

/// `fire` on the blocking pool, for a door that has just committed the confirmation (nothing
/// is spawned when the pool has no PostConfirmation trigger).
pub async fn after_commit(
    triggers: Arc<Triggers>,
    pool: Pool,
    source: Source,
    user: User,
    client_id: Option<String>,
    client_metadata: Option<BTreeMap<String, String>>,
) -> crate::Result<()> {
    if Triggers::target(&pool, TRIGGER).is_none() {
        return Ok(());
    }
    crate::store::blocking(move || {
        fire(
            &triggers,
            &pool,
            source,
            &user,
            client_id.as_deref(),
            client_metadata.as_ref(),
        )
        .map_err(crate::Error::from)
    })
    .await
}
