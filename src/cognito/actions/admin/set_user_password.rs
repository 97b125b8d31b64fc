//! AdminSetUserPassword: permanent (the user is CONFIRMED) or temporary (FORCE_CHANGE_PASSWORD).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::UserStatus;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    password: String,
    #[serde(default)]
    permanent: bool,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_len("password", &r.password, 1, 256)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    crate::authn::password::check_policy(&r.password, &entry.pool.settings.password_policy)?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    let new_password = super::prepare_password_for(ctx, &entry, &r.username, &r.password).await?;
    ctx.write(move |db| {
        let mut user = super::user(db, &entry, &r.username)?;
        if r.permanent && user.status == UserStatus::Unconfirmed {
            user.status = UserStatus::Confirmed;
        }
        crate::accounts::service::set_password(
            db,
            &sealer,
            &mut user,
            &new_password,
            r.permanent,
            now,
        )?;
        Ok(json!({}))
    })
    .await
}
