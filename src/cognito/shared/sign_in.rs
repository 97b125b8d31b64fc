//! Finishing a sign-in: MFA or tokens after the password, the `AuthenticationResult`.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::accounts::{User, UserStatus};
use crate::cognito::error::CognitoError;
use crate::cognito::wire::StringMap;
use crate::pools::directory::PoolEntry;
use crate::store::Db;
use crate::tokens::{self, Grant, TokenSet, claims::COGNITO_ADMIN_SCOPE};

use super::*;

// ---- finishing a sign-in ----

pub fn authentication_result(set: &TokenSet) -> Value {
    let mut r = json!({
        "AccessToken": set.access_token,
        "ExpiresIn": set.expires_in,
        "TokenType": "Bearer",
    });
    if let Some(id) = &set.id_token {
        r["IdToken"] = json!(id);
    }
    if let Some(rt) = &set.refresh_token {
        r["RefreshToken"] = json!(rt);
    }
    r
}

/// After the password (or SRP proof) was right: the next challenge, or the tokens. Run in the
/// write transaction that spent the challenge.
/// `demand`: the second factor adaptive sign-in asks for.
#[allow(clippy::too_many_arguments)]
pub fn finish_sign_in(
    db: &Db,
    client: &ClientRef,
    user: &User,
    amr: &[String],
    auth_time: i64,
    issuer: &str,
    demand: crate::authn::mfa::Demand,
    now: i64,
) -> Result<Outcome> {
    if !user.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    match user.status {
        UserStatus::Unconfirmed => Err(CognitoError::new(
            "UserNotConfirmedException",
            "User is not confirmed.",
        )),
        UserStatus::ResetRequired => Err(crate::cognito::error::password_reset_required()),
        // Federated users sign in upstream only.
        UserStatus::ExternalProvider => Err(CognitoError::bad_credentials()),
        UserStatus::ForceChangePassword => {
            let (_, session) = new_challenge(
                db,
                client.pool_id(),
                &client.client.id,
                Some(&user.id),
                &user.username,
                "NEW_PASSWORD_REQUIRED",
                json!({ "amr": amr, "auth_time": auth_time }),
                now,
            )?;
            let mut attrs = serde_json::Map::new();
            if let Some(e) = &user.email {
                attrs.insert("email".into(), json!(e));
            }
            for (k, v) in &user.attributes {
                attrs.insert(k.clone(), json!(v));
            }
            let required: Vec<String> = client
                .entry
                .pool
                .settings
                .required_attributes
                .iter()
                .filter(|a| *a != "email" && !user.attributes.contains_key(*a))
                .map(|a| format!("userAttributes.{a}"))
                .collect();
            Ok(Outcome::Ready(json!({
                "ChallengeName": "NEW_PASSWORD_REQUIRED",
                "Session": session,
                "ChallengeParameters": {
                    "USER_ID_FOR_SRP": user.username,
                    "userAttributes": Value::Object(attrs).to_string(),
                    "requiredAttributes": json!(required).to_string(),
                },
            })))
        }
        UserStatus::Confirmed => {
            use crate::authn::mfa::Step;
            // The same second-factor policy as the hosted pages.
            let (name, params) = match crate::authn::mfa::next_step(
                db,
                &client.entry.pool,
                user,
                false,
                demand,
            )? {
                Step::Done => {
                    return issue_tokens(db, client, user, amr, auth_time, issuer, now);
                }
                Step::Verify(factor) => match factor {
                    crate::authn::mfa::Factor::Totp => (
                        "SOFTWARE_TOKEN_MFA",
                        json!({ "USER_ID_FOR_SRP": user.username }),
                    ),
                    crate::authn::mfa::Factor::Email => {
                        let pool = &client.entry.pool;
                        if !crate::authn::mfa::send_email_code(db, pool, user, now)? {
                            return Err(CognitoError::limit_exceeded(
                                "Attempt limit exceeded, please try after some time.",
                            ));
                        }
                        let to = user.email.as_deref().unwrap_or_default();
                        (
                            "EMAIL_OTP",
                            json!({
                                "USER_ID_FOR_SRP": user.username,
                                "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                                "CODE_DELIVERY_DESTINATION": crate::authn::mfa::masked_email(to),
                            }),
                        )
                    }
                },
                Step::Enrol => (
                    "MFA_SETUP",
                    json!({
                        "USER_ID_FOR_SRP": user.username,
                        "MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]",
                    }),
                ),
            };
            let (_, session) = new_challenge(
                db,
                client.pool_id(),
                &client.client.id,
                Some(&user.id),
                &user.username,
                name,
                json!({ "amr": amr, "auth_time": auth_time, "attempts": 0 }),
                now,
            )?;
            Ok(Outcome::Ready(json!({
                "ChallengeName": name,
                "Session": session,
                "ChallengeParameters": params,
            })))
        }
    }
}

/// What a sign-in step answers: a challenge (or other JSON) now, or tokens to sign once the
/// transaction has committed.
pub enum Outcome {
    Ready(Value),
    /// A completed sign-in: PostAuthentication fires before these are signed.
    Tokens(Box<tokens::Prepared>, Arc<PoolEntry>, Box<SignedIn>),
    /// A refresh: only the `AuthenticationResult`.
    Refreshed(Box<tokens::Prepared>, Arc<PoolEntry>),
}

/// Who has just signed in, through which client (for PostAuthentication).
pub struct SignedIn {
    pub user: User,
    pub client_id: String,
}

impl Outcome {
    /// Whether PostAuthentication must allow this outcome before it is handed out.
    pub fn awaits_post_authentication(&self) -> bool {
        matches!(self, Outcome::Tokens(_, entry, _)
            if crate::triggers::Triggers::target(
                &entry.pool,
                crate::triggers::post_authentication::TRIGGER,
            )
            .is_some())
    }

    /// For a sign-in that set a new password: PreTokenGeneration's `_NewPasswordChallenge`.
    pub fn after_new_password(mut self) -> Outcome {
        if let Outcome::Tokens(p, _, _) = &mut self {
            p.set_source(tokens::TokenSource::NewPasswordChallenge);
        }
        self
    }

    /// RespondToAuthChallenge's `ClientMetadata`, for PreTokenGeneration (as at Cognito, never
    /// InitiateAuth's).
    pub fn with_client_metadata(mut self, metadata: Option<&StringMap>) -> Outcome {
        if let (Outcome::Tokens(p, _, _), Some(m)) = (&mut self, metadata) {
            p.set_client_metadata(m.clone());
        }
        self
    }

    /// On the request pool, after the commit: signs the tokens, unless a PreTokenGeneration
    /// trigger must see them first (`Signed::finish` then calls it on the blocking pool).
    pub fn sign(self) -> Result<Signed> {
        Ok(match self {
            Outcome::Ready(v) => Signed::Ready(v),
            Outcome::Tokens(p, entry, _) => Signed::Tokens(p.sign_unless_trigger(&entry)?),
            Outcome::Refreshed(p, entry) => Signed::Refreshed(p.sign_unless_trigger(&entry)?),
        })
    }
}

/// An `Outcome` after the request pool's part.
pub enum Signed {
    Ready(Value),
    Tokens(tokens::Signing),
    Refreshed(tokens::Signing),
}

impl Signed {
    pub async fn finish(self, state: &crate::state::AppState) -> Result<Value> {
        let (triggers, store) = (&state.triggers, &state.store);
        Ok(match self {
            Signed::Ready(v) => v,
            Signed::Tokens(s) => {
                let set = s.finish(triggers, store).await?;
                crate::metrics::token_issued("cognito_sign_in");
                json!({
                    "ChallengeParameters": {},
                    "AuthenticationResult": authentication_result(&set),
                })
            }
            Signed::Refreshed(s) => {
                let set = s.finish(triggers, store).await?;
                crate::metrics::token_issued("cognito_refresh");
                authentication_result(&set)
            }
        })
    }
}

/// The tokens of a completed sign-in (access, ID and refresh token, one new family).
pub fn issue_tokens(
    db: &Db,
    client: &ClientRef,
    user: &User,
    amr: &[String],
    auth_time: i64,
    issuer: &str,
    now: i64,
) -> Result<Outcome> {
    if !user.can_sign_in() {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    let grant = Grant {
        scope: vec![COGNITO_ADMIN_SCOPE.to_string()],
        auth_time,
        amr: amr.to_vec(),
        nonce: None,
        family_id: None,
        refresh_token: true,
        source: tokens::TokenSource::Authentication,
    };
    let prepared = tokens::prepare(db, &client.entry, &client.client, user, &grant, issuer, now)?;
    tracing::info!(pool = %client.pool_id(), user = %user.id, client = %client.client.id, "sign-in succeeded (Cognito API)");
    let signed_in = SignedIn {
        user: user.clone(),
        client_id: client.client.id.clone(),
    };
    Ok(Outcome::Tokens(
        Box::new(prepared),
        client.entry.clone(),
        Box::new(signed_in),
    ))
}

/// The core's view of a Cognito sign-in request: the client, its PreventUserExistenceErrors,
/// InitiateAuth's `ClientMetadata` (the triggers' `validationData`) and where it comes from.
pub fn sign_in_context(
    ctx: &Ctx,
    client: &ClientRef,
    client_metadata: &crate::cognito::wire::StringMap,
) -> crate::authn::flow::Context {
    crate::authn::flow::Context {
        evidence: Some(ctx.evidence.clone()),
        client_id: Some(client.client.id.clone()),
        client_metadata: (!client_metadata.is_empty()).then(|| client_metadata.clone()),
        prevent_user_existence_errors: client.client.settings.prevent_user_existence_errors,
        door: "cognito",
    }
}
