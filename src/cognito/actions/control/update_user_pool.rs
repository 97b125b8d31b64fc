//! UpdateUserPool: replaces the pool's Cognito settings as Cognito does (a member the request
//! omits returns to its default); the username model and the schema stay (AddCustomAttributes
//! adds to the schema), and so do Incognito's own settings.

use serde::Deserialize;
use serde_json::{Value, json};

use super::user_pool_shape::{self, Mode};
use crate::cognito::shared::{Ctx, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    pool_name: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let (body, now, sealer) = (body.clone(), ctx.now, ctx.state.sealer.clone());
    ctx.write(move |db| {
        let mut pool = super::require_pool(db, &r.user_pool_id)?;
        // Unlike Cognito's own settings, the extension is kept when an update leaves it out,
        // so that tools that do not know it cannot drop it.
        let kept = pool.settings.webhook_secret.take();
        let migrate_from = pool.settings.migrate_from.take();
        pool.settings = user_pool_shape::settings_from(&body, Mode::Update, &pool.settings)?;
        pool.settings.webhook_secret = kept;
        pool.settings.migrate_from = migrate_from;
        user_pool_shape::webhook_secret_from(&body, &mut pool.settings, &sealer)?;
        if let Some(name) = r.pool_name {
            pool.name = name;
        }
        crate::pools::service::update_pool(db, &mut pool, now)?;
        Ok(json!({}))
    })
    .await?;
    // At once on this instance (a trigger target or secret must not be used after it changed);
    // other instances follow the cache generation.
    ctx.state.directory.invalidate();
    Ok(json!({}))
}
