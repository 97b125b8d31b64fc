//! ChangePassword: the previous password (checked like a sign-in, throttled) and a new one
//! under the policy.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::authn::password;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: String,
    previous_password: Option<String>,
    proposed_password: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let previous = r.previous_password.unwrap_or_default();
    if previous.len() > 1024 {
        return Err(CognitoError::bad_credentials());
    }
    let (entry, user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    let pool = entry.pool.clone();
    let subject = user.username.clone();
    let (store, pool_id, now) = (ctx.state.store.clone(), pool.id.clone(), ctx.now);
    if store
        .read(move |db| {
            crate::authn::throttle::locked_for(db, &pool_id, &subject.to_lowercase(), now)
        })
        .await?
        .is_some()
    {
        return Err(CognitoError::not_authorized("Password attempts exceeded"));
    }
    let stored = user.password_hash.clone();
    let ok = actix_web::web::block(move || match stored {
        Some(h) => password::verify(&previous, &h) != password::Verified::No,
        None => {
            password::dummy_verify(&previous);
            false
        }
    })
    .await
    .unwrap_or(false);
    let new = if ok {
        password::check_policy(&r.proposed_password, &pool.settings.password_policy)?;
        Some(shared::prepare_password(&pool, &user.username, &r.proposed_password).await?)
    } else {
        None
    };
    let sealer = ctx.state.sealer.clone();
    let (ip, limiter) = (ctx.ip, ctx.state.address_limiter.clone());
    ctx.write(move |db| {
        let Some(new) = new else {
            crate::authn::throttle::record_failure(
                db,
                &pool.id,
                &user.username.to_lowercase(),
                now,
            )?;
            limiter.record_failure(ip, now);
            return Err(CognitoError::bad_credentials());
        };
        let mut u = user;
        crate::accounts::service::set_password(db, &sealer, &mut u, &new, true, now)?;
        tracing::info!(pool = %pool.id, user = %u.id, "password changed (Cognito API)");
        Ok(json!({}))
    })
    .await
}
