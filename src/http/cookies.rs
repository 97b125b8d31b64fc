//! The cookies the hosted pages set. All are HttpOnly and SameSite=Lax; Secure (and named with
//! the `__Host-` prefix) when the public URL is https.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

fn name(base: &str, https: bool) -> String {
    if https {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

pub fn session_name(pool_id: &str, https: bool) -> String {
    name(&format!("incognito_session_{pool_id}"), https)
}

/// The sign-in waiting for its second factor.
pub fn mfa_name(pool_id: &str, https: bool) -> String {
    name(&format!("incognito_mfa_{pool_id}"), https)
}

/// "Remember this device": lets a browser skip the TOTP code for a while.
pub fn device_name(pool_id: &str, https: bool) -> String {
    name(&format!("incognito_device_{pool_id}"), https)
}

/// Adaptive sign-in's device cookie: a signed, random browser id (one for every pool: it
/// says nothing but "this browser was here before"). Long-lived: `RISK_DEVICE_MAX_AGE_SECS`.
pub fn risk_device_name(https: bool) -> String {
    name("incognito_browser", https)
}

/// Two years.
pub const RISK_DEVICE_MAX_AGE_SECS: i64 = 2 * 365 * 86_400;

pub fn csrf_name(https: bool) -> String {
    name("incognito_csrf", https)
}

pub fn build(
    name: String,
    value: String,
    https: bool,
    max_age_secs: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax);
    if let Some(secs) = max_age_secs {
        c = c.max_age(Duration::seconds(secs));
    }
    c.finish()
}

pub fn removal(name: String, https: bool) -> Cookie<'static> {
    let mut c = build(name, String::new(), https, None);
    c.make_removal();
    c
}

pub fn read(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name).map(|c| c.value().to_string())
}
