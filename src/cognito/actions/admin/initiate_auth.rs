//! AdminInitiateAuth: ADMIN_USER_PASSWORD_AUTH (alias ADMIN_NO_SRP_AUTH), USER_SRP_AUTH and
//! REFRESH_TOKEN_AUTH for a client of the named pool, each only when the client allows it.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::actions::initiate_auth::{
    SecretProof, password_sign_in, refresh_tokens, required,
};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, ClientRef, Ctx, Result};
use crate::cognito::srp_auth;
use crate::cognito::wire::{self, StringMap};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    client_id: String,
    auth_flow: String,
    #[serde(default)]
    auth_parameters: StringMap,
    #[serde(default)]
    client_metadata: StringMap,
}

/// The client, which must belong to the pool named in the request.
pub async fn pool_client(ctx: &Ctx, pool_id: &str, client_id: &str) -> Result<ClientRef> {
    super::pool(ctx, pool_id).await?;
    let client = shared::client(ctx, client_id).await?;
    if client.pool_id() != pool_id {
        return Err(CognitoError::resource_not_found(
            "User pool client does not exist.",
        ));
    }
    Ok(client)
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("AuthParameters", &r.auth_parameters)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let client = pool_client(ctx, &r.user_pool_id, &r.client_id).await?;
    let p = &r.auth_parameters;
    let check_hash = |username: String| {
        let (c, sealer, h) = (
            client.client.clone(),
            ctx.state.sealer.clone(),
            p.get("SECRET_HASH").cloned(),
        );
        ctx.read(move |db| shared::check_secret_hash(db, &sealer, &c, &[&username], h.as_deref()))
    };
    match r.auth_flow.as_str() {
        "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
            client.require_flow("ALLOW_ADMIN_USER_PASSWORD_AUTH")?;
            let username = required(p, "USERNAME")?;
            let password = required(p, "PASSWORD")?;
            check_hash(username.to_string()).await?;
            password_sign_in(ctx, &client, username, password, &r.client_metadata).await
        }
        "USER_SRP_AUTH" => {
            client.require_flow("ALLOW_USER_SRP_AUTH")?;
            let username = required(p, "USERNAME")?;
            check_hash(username.to_string()).await?;
            srp_auth::start(
                ctx,
                &client,
                username,
                required(p, "SRP_A")?,
                &r.client_metadata,
            )
            .await
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
        _ => Err(CognitoError::invalid_parameter(format!(
            "{} flow not enabled for this client",
            r.auth_flow
        ))),
    }
}
