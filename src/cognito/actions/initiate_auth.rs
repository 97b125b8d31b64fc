//! InitiateAuth: USER_SRP_AUTH (→ PASSWORD_VERIFIER), USER_PASSWORD_AUTH, and
//! REFRESH_TOKEN_AUTH / REFRESH_TOKEN, CUSTOM_AUTH (`cognito::custom_auth`), each only when
//! the client allows the flow.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::authn::flow::{self, LoginError};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, ClientRef, Ctx, Result};
use crate::cognito::srp_auth;
use crate::cognito::wire::{self, StringMap};
use crate::tokens::refresh::{self, RefreshOutcome, RefreshRequest, Rejection};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    auth_flow: String,
    client_id: String,
    #[serde(default)]
    auth_parameters: StringMap,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("AuthParameters", &r.auth_parameters)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let p = &r.auth_parameters;
    match r.auth_flow.as_str() {
        "USER_SRP_AUTH" => {
            client.require_flow("ALLOW_USER_SRP_AUTH")?;
            let username = required(p, "USERNAME")?;
            let srp_a = required(p, "SRP_A")?;
            check_secret(ctx, &client, username, p.get("SECRET_HASH")).await?;
            srp_auth::start(ctx, &client, username, srp_a, &r.client_metadata).await
        }
        "USER_PASSWORD_AUTH" => {
            client.require_flow("ALLOW_USER_PASSWORD_AUTH")?;
            let username = required(p, "USERNAME")?;
            let password = required(p, "PASSWORD")?;
            check_secret(ctx, &client, username, p.get("SECRET_HASH")).await?;
            password_sign_in(ctx, &client, username, password, &r.client_metadata).await
        }
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
            client.require_flow("ALLOW_REFRESH_TOKEN_AUTH")?;
            let token = required(p, "REFRESH_TOKEN")?;
            let result = refresh_tokens(
                ctx,
                &client,
                token,
                SecretProof::Hash(p.get("SECRET_HASH").cloned()),
            )
            .await?;
            Ok(json!({ "ChallengeParameters": {}, "AuthenticationResult": result }))
        }
        "CUSTOM_AUTH" => crate::cognito::custom_auth::initiate(ctx, &client, p).await,
        "USER_AUTH" | "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
            Err(CognitoError::invalid_parameter(format!(
                "{} flow not enabled for this client",
                r.auth_flow
            )))
        }
        _ => Err(CognitoError::invalid_parameter(
            "1 validation error detected: Value at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set",
        )),
    }
}

pub fn required<'a>(p: &'a StringMap, name: &str) -> Result<&'a str> {
    match p.get(name).map(String::as_str) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(CognitoError::invalid_parameter(format!(
            "Missing required parameter {name}"
        ))),
    }
}

pub(crate) async fn check_secret(
    ctx: &Ctx,
    client: &ClientRef,
    username: &str,
    hash: Option<&String>,
) -> Result<()> {
    if client.client.is_public() {
        return Ok(());
    }
    let (c, sealer, u, h) = (
        client.client.clone(),
        ctx.state.sealer.clone(),
        username.to_string(),
        hash.cloned(),
    );
    ctx.read(move |db| shared::check_secret_hash(db, &sealer, &c, &[&u], h.as_deref()))
        .await
}

/// USER_PASSWORD_AUTH (and the admin password flow): the core's password sign-in (with its
/// triggers: UserMigration, PreAuthentication).
pub async fn password_sign_in(
    ctx: &Ctx,
    client: &ClientRef,
    username: &str,
    password: &str,
    client_metadata: &StringMap,
) -> Result<Value> {
    if ctx.state.address_limiter.is_blocked(ctx.ip, ctx.now) {
        return Err(CognitoError::new(
            "TooManyRequestsException",
            "Too many requests.",
        ));
    }
    let (state, pool, login, pass, now) = (
        ctx.state.clone(),
        client.entry.pool.clone(),
        username.to_string(),
        password.to_string(),
        ctx.now,
    );
    let context = shared::sign_in_context(ctx, client, client_metadata);
    let outcome = crate::store::blocking(move || {
        let services = state.sign_in_services();
        Ok::<_, crate::Error>(flow::password_login(
            &services, &pool, &login, &pass, &context, now,
        ))
    })
    .await?;
    let (user, amr, auth_time, demand) = match outcome {
        Ok(a) => {
            if a.risk.as_ref().is_some_and(|r| r.notified) {
                ctx.state.wake_mailer();
            }
            let demand = a.risk.as_ref().map(|r| r.demand()).unwrap_or_default();
            (a.user, a.amr, a.auth_time, demand)
        }
        Err(LoginError::NewPasswordRequired(user)) => {
            (*user, vec!["pwd".to_string()], now, Default::default())
        }
        Err(LoginError::InvalidCredentials) => {
            ctx.state.address_limiter.record_failure(ctx.ip, now);
            return Err(CognitoError::bad_credentials());
        }
        Err(e) => return Err(e.into()),
    };
    let (c, issuer) = (client.clone(), ctx.issuer(client.pool_id()));
    ctx.sign_in(move |db| {
        shared::finish_sign_in(db, &c, &user, &amr, auth_time, &issuer, demand, now)
    })
    .await
}

/// How a refresh proves the client: `SECRET_HASH` (InitiateAuth) or the secret itself.
pub enum SecretProof {
    Hash(Option<String>),
    Secret(Option<String>),
}

/// Redeems a refresh token for `client`: the `AuthenticationResult` (with a `RefreshToken`
/// only when the client rotates them).
pub async fn refresh_tokens(
    ctx: &Ctx,
    client: &ClientRef,
    token: &str,
    proof: SecretProof,
) -> Result<Value> {
    if let SecretProof::Secret(s) = &proof {
        shared::check_client_secret(&client.client, s.as_deref())?;
    }
    let (c, token, now) = (client.clone(), token.to_string(), ctx.now);
    let (issuer, sealer) = (ctx.issuer(client.pool_id()), ctx.state.sealer.clone());
    let grace = ctx.state.config.refresh_reuse_grace_secs;
    ctx.sign_in(move |db| {
        if let SecretProof::Hash(h) = &proof
            && !c.client.is_public()
        {
            // The hash is over the internal username (cognito:username) of the token's user.
            let username = refresh::lookup(db, c.pool_id(), &token)?
                .and_then(|(_, f)| f.user_id)
                .map(|id| crate::store::users::get(db, c.pool_id(), &id))
                .transpose()?
                .flatten()
                .map(|u| u.username)
                .unwrap_or_default();
            shared::check_secret_hash(db, &sealer, &c.client, &[&username], h.as_deref())?;
        }
        let req = RefreshRequest {
            token: &token,
            scope: None,
            grace_secs: grace,
        };
        match refresh::prepare_refresh(db, &c.entry, &c.client, &req, &issuer, now)? {
            RefreshOutcome::Issued(p) => {
                Ok(shared::Outcome::Refreshed(Box::new(p), c.entry.clone()))
            }
            RefreshOutcome::Rejected(Rejection::Reused) => Err(CognitoError::not_authorized(
                "Refresh Token has been revoked",
            )),
            RefreshOutcome::Rejected(_) => {
                Err(CognitoError::not_authorized("Invalid Refresh Token"))
            }
        }
    })
    .await
}
