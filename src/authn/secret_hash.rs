//! Cognito's `SECRET_HASH`: what an app client with a secret sends beside each username. The
//! Cognito door checks it; `accounts::upstream` computes it for an upstream Cognito.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `Base64(HMAC_SHA256(secret, username ‖ clientId))`.
pub fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}
