//! UpdateAuthEventFeedback (unsigned): feedback on one sign-in with the event's FeedbackToken,
//! which only the server can make (`accounts::history::feedback_token`). Without a valid
//! token nothing is said about the user: an unknown user and a forged token answer alike.

use serde::Deserialize;
use serde_json::Value;

use super::admin::auth_events;
use crate::accounts::history;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    event_id: String,
    feedback_token: String,
    feedback_value: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let value = auth_events::feedback_value(&r.feedback_value)?;
    wire::check_id("username", &r.username)?;
    let entry = shared::pool(ctx, &r.user_pool_id).await?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    ctx.write(move |db| {
        let refused = || CognitoError::not_authorized("Invalid feedback token.");
        let user = crate::accounts::service::find_by_login(db, &entry.pool, &r.username)?;
        let key = history::load_feedback_key(db, &sealer)?;
        let (Some(user), Some(key)) = (user, key) else {
            return Err(refused());
        };
        if !history::check_feedback_token(
            &key,
            &entry.pool.id,
            &user.id,
            &r.event_id,
            &r.feedback_token,
        ) {
            return Err(refused());
        }
        auth_events::give(db, &entry.pool, &user.id, &r.event_id, value, now)
    })
    .await
}
