//! RevokeToken: revokes a refresh token of this client and every token issued from it. An
//! unknown token is not an error (RFC 7009); another client's token is left alone.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    token: String,
    client_id: String,
    client_secret: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_len("token", &r.token, 1, 4096)?;
    let client = shared::client(ctx, &r.client_id).await?;
    shared::check_client_secret(&client.client, r.client_secret.as_deref())?;
    let now = ctx.now;
    ctx.write(move |db| {
        if let Some((_, family)) = crate::tokens::refresh::lookup(db, client.pool_id(), &r.token)? {
            if family.client_id != client.client.id {
                return Err(CognitoError::new(
                    "UnauthorizedException",
                    "The token was not issued to this client.",
                ));
            }
            crate::tokens::revoke_family(db, client.pool_id(), &family.id, now)?;
        }
        Ok(json!({}))
    })
    .await
}
