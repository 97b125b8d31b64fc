//! SetUICustomization and GetUICustomization: the CSS and logo of the hosted pages become the
//! pool's branding (per pool; a `ClientId` other than `ALL` is refused, the hosted pages have
//! one look per pool).

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    client_id: Option<String>,
    #[serde(rename = "CSS")]
    css: Option<String>,
    image_file: Option<String>,
}

fn check_client(client_id: Option<&str>) -> Result<()> {
    match client_id {
        None | Some("ALL") => Ok(()),
        Some(_) => Err(CognitoError::invalid_parameter(
            "The hosted pages have one look per pool: use ClientId ALL or omit it.",
        )),
    }
}

fn answer(pool: &crate::pools::Pool) -> Value {
    let b = &pool.settings.branding;
    let mut v = json!({
        "UserPoolId": pool.id,
        "ClientId": "ALL",
        "CreationDate": pool.created_at,
        "LastModifiedDate": pool.updated_at,
    });
    if let Some(css) = &b.extra_css {
        v["CSS"] = json!(css);
        v["CSSVersion"] = json!(crate::random::sha256_hex(css)[..16].to_string());
    }
    if let Some(logo) = &b.logo_url {
        // The hosted pages embed the logo as this data: URL (the CSP allows no other images).
        v["ImageUrl"] = json!(logo);
    }
    v
}

pub async fn get(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    check_client(r.client_id.as_deref())?;
    ctx.read(move |db| {
        let pool = super::require_pool(db, &r.user_pool_id)?;
        Ok(json!({ "UICustomization": answer(&pool) }))
    })
    .await
}

pub async fn set(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    check_client(r.client_id.as_deref())?;
    // ImageFile is a blob: base64 on the wire. PNG or JPEG, as Cognito accepts.
    let logo = r
        .image_file
        .as_deref()
        .map(|b64| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| CognitoError::invalid_parameter("ImageFile is not base64."))?;
            let mime = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else if bytes.starts_with(&[0xff, 0xd8]) {
                "image/jpeg"
            } else {
                return Err(CognitoError::invalid_parameter("ImageFile: PNG or JPEG."));
            };
            if bytes.len() > 100 * 1024 {
                return Err(CognitoError::invalid_parameter(
                    "ImageFile: at most 100 KB.",
                ));
            }
            Ok(format!("data:{mime};base64,{b64}"))
        })
        .transpose()?;
    let now = ctx.now;
    ctx.write(move |db| {
        let mut pool = super::require_pool(db, &r.user_pool_id)?;
        pool.settings.branding.extra_css = r.css.filter(|c| !c.is_empty());
        pool.settings.branding.logo_url = logo;
        crate::pools::service::update_pool(db, &mut pool, now)?;
        Ok(json!({ "UICustomization": answer(&pool) }))
    })
    .await
}
