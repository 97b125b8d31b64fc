//! GetSigningCertificate: the pool's SAML service-provider certificate (base64 DER), the one
//! in `/{pool_id}/saml2/metadata`; made at first use, as for a sign-in.

use serde_json::{Value, json};

use super::PoolRequest;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::keys::saml_sp;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: PoolRequest = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let (state, now) = (ctx.state.clone(), ctx.state.now());
    ctx.write(move |db| {
        let key = saml_sp::get_or_create(db, &state.sealer, &entry.pool.id, now)?;
        Ok(json!({ "Certificate": key.certificate_base64() }))
    })
    .await
}
