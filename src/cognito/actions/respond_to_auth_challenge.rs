//! RespondToAuthChallenge: PASSWORD_VERIFIER (the SRP proof) and NEW_PASSWORD_REQUIRED. The
//! MFA challenges arrive with the TOTP work and are refused clearly until then.

use serde::Deserialize;
use serde_json::Value;

use super::initiate_auth::required;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, ClientRef, Ctx, Result};
use crate::cognito::srp_auth::{self, Answer};
use crate::cognito::wire::{self, StringMap};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    client_id: String,
    challenge_name: String,
    session: Option<String>,
    #[serde(default)]
    challenge_responses: StringMap,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ChallengeResponses", &r.challenge_responses)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    if r.session.as_ref().is_some_and(|s| s.len() > 2048) {
        return Err(CognitoError::invalid_parameter("Session is too long."));
    }
    let client = shared::client(ctx, &r.client_id).await?;
    if r.challenge_name == crate::cognito::custom_auth::CHALLENGE {
        return crate::cognito::custom_auth::respond(
            ctx,
            &client,
            r.session,
            &r.challenge_responses,
            &r.client_metadata,
        )
        .await;
    }
    respond(
        ctx,
        &client,
        &r.challenge_name,
        r.session,
        &r.challenge_responses,
        &r.client_metadata,
    )
    .await
}

/// Shared with AdminRespondToAuthChallenge.
pub async fn respond(
    ctx: &Ctx,
    client: &ClientRef,
    challenge: &str,
    session: Option<String>,
    p: &StringMap,
    client_metadata: &StringMap,
) -> Result<Value> {
    // For PostAuthentication, which gets RespondToAuthChallenge's ClientMetadata (only).
    let metadata = (!client_metadata.is_empty()).then(|| client_metadata.clone());
    let username = required(p, "USERNAME")?.to_string();
    if !client.client.is_public() {
        let (c, sealer, u, h) = (
            client.client.clone(),
            ctx.state.sealer.clone(),
            username.clone(),
            p.get("SECRET_HASH").cloned(),
        );
        ctx.read(move |db| shared::check_secret_hash(db, &sealer, &c, &[&u], h.as_deref()))
            .await?;
    }
    match challenge {
        srp_auth::CHALLENGE => {
            let ans = Answer {
                username,
                secret_block: required(p, "PASSWORD_CLAIM_SECRET_BLOCK")?.to_string(),
                timestamp: required(p, "TIMESTAMP")?.to_string(),
                signature: required(p, "PASSWORD_CLAIM_SIGNATURE")?.to_string(),
                session,
                client_metadata: metadata,
            };
            srp_auth::verify(ctx, client, ans).await
        }
        "NEW_PASSWORD_REQUIRED" => {
            let session = session.ok_or_else(|| {
                CognitoError::invalid_parameter("Missing required parameter Session")
            })?;
            new_password(ctx, client, &session, &username, p, metadata).await
        }
        "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP" => {
            let session = session.ok_or_else(|| {
                CognitoError::invalid_parameter("Missing required parameter Session")
            })?;
            let (challenge, field) = if challenge == "EMAIL_OTP" {
                ("EMAIL_OTP", "EMAIL_OTP_CODE")
            } else {
                ("SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA_CODE")
            };
            let code = required(p, field)?.to_string();
            code_answer(ctx, client, &session, &username, &code, challenge, metadata).await
        }
        "MFA_SETUP" => {
            let session = session.ok_or_else(|| {
                CognitoError::invalid_parameter("Missing required parameter Session")
            })?;
            mfa_setup_done(ctx, client, &session, &username, metadata).await
        }
        "SMS_MFA" | "SELECT_MFA_TYPE" => Err(CognitoError::invalid_parameter(
            "Only software token (TOTP) and e-mail (EMAIL_OTP) MFA are available.",
        )),
        _ => Err(CognitoError::invalid_parameter(
            "Unsupported challenge name.",
        )),
    }
}

/// NEW_PASSWORD_REQUIRED: the new password (under the policy) and any required attributes.
async fn new_password(
    ctx: &Ctx,
    client: &ClientRef,
    session: &str,
    username: &str,
    p: &StringMap,
    metadata: Option<StringMap>,
) -> Result<Value> {
    let new = required(p, "NEW_PASSWORD")?.to_string();
    crate::authn::password::check_policy(&new, &client.entry.pool.settings.password_policy)?;
    let mut attrs = std::collections::BTreeMap::new();
    for (k, v) in p {
        if let Some(name) = k.strip_prefix("userAttributes.") {
            if matches!(
                name,
                "email" | "email_verified" | "phone_number_verified" | "sub"
            ) {
                continue;
            }
            attrs.insert(name.to_string(), v.clone());
        }
    }
    crate::accounts::service::validate_attributes(&client.entry.pool, &attrs, false)?;
    let (c, session, username) = (client.clone(), session.to_string(), username.to_string());
    // The challenge's user, read without taking the challenge, so that the new password is
    // hashed before the write transaction (`service::NewPassword`); the transaction then takes
    // the challenge and checks it as always.
    let (pool_id, session_hash) = (c.entry.pool.id.clone(), crate::random::sha256_hex(&session));
    let challenge_user = ctx
        .read(move |db| {
            let user_id = crate::store::cognito::get_challenge_by_session(db, &session_hash)?
                .and_then(|ch| ch.user_id);
            Ok(match user_id {
                Some(id) => crate::store::users::get(db, &pool_id, &id)?,
                None => None,
            })
        })
        .await?
        .ok_or_else(|| CognitoError::not_authorized("Invalid session for the user."))?;
    let new = shared::prepare_password(&c.entry.pool, &challenge_user.username, &new).await?;
    let (sealer, now, issuer) = (
        ctx.state.sealer.clone(),
        ctx.now,
        ctx.issuer(client.pool_id()),
    );
    ctx.sign_in_with(metadata, move |db| {
        let ch = shared::take_challenge(
            db,
            &c,
            &session,
            "NEW_PASSWORD_REQUIRED",
            Some(&username),
            now,
        )?;
        let data: Value = serde_json::from_str(&ch.data).unwrap_or_default();
        let pool = &c.entry.pool;
        let mut user = ch
            .user_id
            .as_deref()
            .map(|id| crate::store::users::get(db, &pool.id, id))
            .transpose()?
            .flatten()
            .ok_or_else(|| CognitoError::not_authorized("Invalid session for the user."))?;
        for (k, v) in attrs {
            user.attributes.insert(k, v);
        }
        crate::accounts::service::set_password(db, &sealer, &mut user, &new, true, now)?;
        let amr: Vec<String> =
            serde_json::from_value(data["amr"].clone()).unwrap_or_else(|_| vec!["pwd".into()]);
        let auth_time = data["auth_time"].as_i64().unwrap_or(now);
        shared::finish_sign_in(
            db,
            &c,
            &user,
            &amr,
            auth_time,
            &issuer,
            Default::default(),
            now,
        )
        .map(shared::Outcome::after_new_password)
    })
    .await
}

/// SOFTWARE_TOKEN_MFA (a TOTP code or a recovery code) and EMAIL_OTP (the e-mailed code);
/// five wrong codes end the challenge.
#[allow(clippy::too_many_arguments)]
async fn code_answer(
    ctx: &Ctx,
    client: &ClientRef,
    session: &str,
    username: &str,
    code: &str,
    challenge: &'static str,
    metadata: Option<StringMap>,
) -> Result<Value> {
    if code.len() > 64 {
        return Err(CognitoError::code_mismatch());
    }
    let (c, session, username, code) = (
        client.clone(),
        session.to_string(),
        username.to_string(),
        code.to_string(),
    );
    let (sealer, now, issuer) = (
        ctx.state.sealer.clone(),
        ctx.now,
        ctx.issuer(client.pool_id()),
    );
    ctx.sign_in_with(metadata, move |db| {
        let ch = shared::take_challenge(db, &c, &session, challenge, Some(&username), now)?;
        let user = challenge_user(db, &c, &ch)?;
        match crate::authn::mfa::verify(db, &sealer, &user.id, &code, now)? {
            Ok(proof) => {
                let data: Value = serde_json::from_str(&ch.data).unwrap_or_default();
                let auth_time = data["auth_time"].as_i64().unwrap_or(now);
                shared::issue_tokens(db, &c, &user, &proof.amr(), auth_time, &issuer, now)
            }
            Err(crate::authn::mfa::CodeRejected::Throttled) => Err(CognitoError::new(
                "TooManyFailedAttemptsException",
                "Too many wrong codes; try again later.",
            )),
            Err(_) => {
                tracing::info!(pool = %c.pool_id(), user = %user.id, "wrong MFA code (Cognito API)");
                if shared::retry_challenge(db, &ch)? {
                    Err(CognitoError::new("CodeMismatchException", "Invalid code or auth state for the user."))
                } else {
                    Err(CognitoError::not_authorized("Invalid session for the user."))
                }
            }
        }
    })
    .await
}

/// MFA_SETUP after VerifySoftwareToken: the sign-in completes with both factors.
async fn mfa_setup_done(
    ctx: &Ctx,
    client: &ClientRef,
    session: &str,
    username: &str,
    metadata: Option<StringMap>,
) -> Result<Value> {
    let (c, session, username) = (client.clone(), session.to_string(), username.to_string());
    let (now, issuer) = (ctx.now, ctx.issuer(client.pool_id()));
    ctx.sign_in_with(metadata, move |db| {
        let ch =
            shared::take_challenge(db, &c, &session, "MFA_SETUP_VERIFIED", Some(&username), now)?;
        let user = challenge_user(db, &c, &ch)?;
        let data: Value = serde_json::from_str(&ch.data).unwrap_or_default();
        let auth_time = data["auth_time"].as_i64().unwrap_or(now);
        shared::issue_tokens(
            db,
            &c,
            &user,
            &["pwd".to_string(), "otp".to_string()],
            auth_time,
            &issuer,
            now,
        )
    })
    .await
}

/// The user a challenge belongs to.
pub fn challenge_user(
    db: &crate::store::Db,
    c: &ClientRef,
    ch: &crate::store::cognito::Challenge,
) -> Result<crate::accounts::User> {
    ch.user_id
        .as_deref()
        .map(|id| crate::store::users::get(db, c.pool_id(), id))
        .transpose()?
        .flatten()
        .ok_or_else(|| CognitoError::not_authorized("Invalid session for the user."))
}
