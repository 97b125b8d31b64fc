//! The CUSTOM_AUTH trio: DefineAuthChallenge (what next: a challenge, tokens or failure),
//! CreateAuthChallenge (the challenge's public and private parameters) and
//! VerifyAuthChallengeResponse (is the answer right). Their events share `userAttributes`,
//! `clientMetadata` and `userNotFound`; the running `session[]` is kept by the caller
//! (`cognito::custom_auth`), server side, between the rounds.
//!
//! Honoured: Define's `challengeName`, `issueTokens`, `failAuthentication`; Create's
//! `publicChallengeParameters`, `privateChallengeParameters`, `challengeMetadata`; Verify's
//! `answerCorrect`. Parameters are string maps, as in Cognito (other values are refused).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{TriggerError, Triggers};
use crate::pools::Pool;

pub const DEFINE: &str = "DefineAuthChallenge";
pub const CREATE: &str = "CreateAuthChallenge";
pub const VERIFY: &str = "VerifyAuthChallengeResponse";

/// One entry of `request.session`: a challenge presented and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEntry {
    pub challenge_name: String,
    pub challenge_result: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_metadata: Option<String>,
}

/// Who the flow is for, as every event of the trio carries it.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub user_name: String,
    pub user_attributes: BTreeMap<String, String>,
    pub client_id: String,
    pub client_metadata: Option<BTreeMap<String, String>>,
    /// The login matched no user (only with PreventUserExistenceErrors).
    pub user_not_found: bool,
}

/// DefineAuthChallenge's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    IssueTokens,
    Fail,
    Challenge(String),
}

/// CreateAuthChallenge's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Created {
    pub public: BTreeMap<String, String>,
    pub private: BTreeMap<String, String>,
    pub metadata: Option<String>,
}

fn event(pool: &Pool, source: &str, ctx: &Context, extra: Value, response: Value) -> Value {
    let mut request = json!({
        "userAttributes": ctx.user_attributes,
        "userNotFound": ctx.user_not_found,
    });
    if let (Value::Object(r), Value::Object(extra)) = (&mut request, extra) {
        r.extend(extra);
    }
    if let Some(m) = &ctx.client_metadata {
        request["clientMetadata"] = json!(m);
    }
    super::event(
        pool,
        source,
        &ctx.user_name,
        Some(&ctx.client_id),
        request,
        response,
    )
}

/// Calls a trigger of the trio; a pool without it cannot run the flow.
fn call(
    triggers: &Triggers,
    pool: &Pool,
    trigger: &'static str,
    event: &Value,
) -> Result<Value, ChallengeError> {
    triggers
        .invoke(pool, trigger, event)?
        .ok_or(ChallengeError::NotConfigured)
}

/// What stops a round besides the handler's own decision.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChallengeError {
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// A trigger of the trio is missing from the pool's `LambdaConfig`.
    #[error("Custom auth lambda trigger is not configured for the user pool.")]
    NotConfigured,
}

pub fn define(
    triggers: &Triggers,
    pool: &Pool,
    ctx: &Context,
    session: &[SessionEntry],
) -> Result<Decision, ChallengeError> {
    let event = event(
        pool,
        "DefineAuthChallenge_Authentication",
        ctx,
        json!({ "session": session }),
        json!({"challengeName": null, "issueTokens": false, "failAuthentication": false}),
    );
    let r = call(triggers, pool, DEFINE, &event)?;
    let flag = |k: &str| r.get(k).and_then(Value::as_bool).unwrap_or(false);
    // Failure wins over tokens: a handler that says both has not decided to let the user in.
    Ok(if flag("failAuthentication") {
        Decision::Fail
    } else if flag("issueTokens") {
        Decision::IssueTokens
    } else {
        match r.get("challengeName").and_then(Value::as_str) {
            Some(name) if !name.is_empty() => Decision::Challenge(name.to_string()),
            _ => {
                return Err(TriggerError::InvalidResponse { trigger: DEFINE }.into());
            }
        }
    })
}

pub fn create(
    triggers: &Triggers,
    pool: &Pool,
    ctx: &Context,
    challenge_name: &str,
    session: &[SessionEntry],
) -> Result<Created, ChallengeError> {
    let event = event(
        pool,
        "CreateAuthChallenge_Authentication",
        ctx,
        json!({ "challengeName": challenge_name, "session": session }),
        json!({
            "publicChallengeParameters": null,
            "privateChallengeParameters": null,
            "challengeMetadata": null,
        }),
    );
    let r = call(triggers, pool, CREATE, &event)?;
    let invalid = || TriggerError::InvalidResponse { trigger: CREATE };
    let map = |k: &str| -> Result<BTreeMap<String, String>, TriggerError> {
        match r.get(k) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|_| invalid()),
        }
    };
    let metadata = match r.get("challengeMetadata") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid().into()),
    };
    Ok(Created {
        public: map("publicChallengeParameters")?,
        private: map("privateChallengeParameters")?,
        metadata,
    })
}

pub fn verify(
    triggers: &Triggers,
    pool: &Pool,
    ctx: &Context,
    private: &BTreeMap<String, String>,
    answer: &str,
) -> Result<bool, ChallengeError> {
    let event = event(
        pool,
        "VerifyAuthChallengeResponse_Authentication",
        ctx,
        json!({ "privateChallengeParameters": private, "challengeAnswer": answer }),
        json!({ "answerCorrect": false }),
    );
    let r = call(triggers, pool, VERIFY, &event)?;
    Ok(r.get("answerCorrect").and_then(Value::as_bool) == Some(true))
}
