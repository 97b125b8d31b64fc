//! GetTokensFromRefreshToken (how Amplify v6 refreshes): like REFRESH_TOKEN_AUTH, with the
//! client secret itself for confidential clients.

use serde::Deserialize;
use serde_json::{Value, json};

use super::initiate_auth::{SecretProof, refresh_tokens};
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire::{self, StringMap};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    client_id: String,
    refresh_token: String,
    client_secret: Option<String>,
    #[allow(dead_code)]
    device_key: Option<String>,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    wire::check_len("refreshToken", &r.refresh_token, 1, 2048)?;
    let client = shared::client(ctx, &r.client_id).await?;
    client.require_flow("ALLOW_REFRESH_TOKEN_AUTH")?;
    let result = refresh_tokens(
        ctx,
        &client,
        &r.refresh_token,
        SecretProof::Secret(r.client_secret),
    )
    .await?;
    Ok(json!({ "AuthenticationResult": result }))
}
