//! AdminRespondToAuthChallenge: the same challenges as RespondToAuthChallenge.

use serde::Deserialize;
use serde_json::Value;

use crate::cognito::actions::respond_to_auth_challenge::respond;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire::{self, StringMap};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
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
    let client = super::initiate_auth::pool_client(ctx, &r.user_pool_id, &r.client_id).await?;
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
