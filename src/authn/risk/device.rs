//! How a sign-in's device is recognised: on the hosted pages a long-lived device cookie,
//! HMAC-signed with a server key (a forged or altered cookie does not verify and counts as a
//! new device); through the Cognito API the `DeviceId` / `DeviceFingerprint` inside
//! `UserContextData.EncodedData` (what Amplify's advanced-security data collection sends) or
//! the `DEVICE_KEY` auth parameter. Nothing here fails: what cannot be read is no device.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The most `EncodedData` a request may carry; longer is `InvalidParameterException`.
pub const MAX_ENCODED_DATA: usize = 16 * 1024;
/// Longer device names are cut.
const MAX_NAME: usize = 100;

fn mac(key: &[u8; 32], id: &str) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(b"risk-device-cookie\0");
    m.update(id.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// A new device cookie value: a random id and its MAC.
pub fn new_cookie(key: &[u8; 32]) -> String {
    let id = crate::random::token(16);
    let tag = mac(key, &id);
    format!("{id}.{tag}")
}

/// The device id of a cookie value, if it verifies.
pub fn verify_cookie(key: &[u8; 32], value: &str) -> Option<String> {
    if value.len() > 128 {
        return None;
    }
    let (id, tag) = value.split_once('.')?;
    let expected = mac(key, id);
    // Constant time: the comparison of two equal-length hex strings.
    let same = expected.len() == tag.len()
        && expected
            .bytes()
            .zip(tag.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    same.then(|| id.to_string())
}

/// (device id, device name) from `UserContextData.EncodedData`: base64 of
/// `{"payload": "<JSON with contextData>", "signature": …}`. None when malformed.
pub fn from_encoded_data(encoded: &str) -> Option<(String, Option<String>)> {
    if encoded.len() > MAX_ENCODED_DATA {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let outer: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let payload: serde_json::Value = match &outer["payload"] {
        serde_json::Value::String(s) => serde_json::from_str(s).ok()?,
        v @ serde_json::Value::Object(_) => v.clone(),
        _ => return None,
    };
    let data = &payload["contextData"];
    let text = |k: &str| {
        data[k]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(MAX_NAME).collect::<String>())
    };
    let id = text("DeviceId").or_else(|| text("DeviceFingerprint"))?;
    Some((id, text("DevicePlatform").or_else(|| text("UserAgent"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_verify_and_forgeries_do_not() {
        let key = [3u8; 32];
        let c = new_cookie(&key);
        let id = verify_cookie(&key, &c).unwrap();
        assert!(c.starts_with(&id));
        assert_eq!(verify_cookie(&[4u8; 32], &c), None);
        assert_eq!(
            verify_cookie(&key, &format!("{id}x.{}", &c[id.len() + 1..])),
            None
        );
        assert_eq!(verify_cookie(&key, "garbage"), None);
        assert_eq!(verify_cookie(&key, ""), None);
    }

    #[test]
    fn encoded_data_gives_the_device_or_nothing() {
        let payload = serde_json::json!({"contextData": {"DeviceId": "dev-1", "DevicePlatform": "Linux x86_64"}, "username": "u"});
        let outer = serde_json::json!({"payload": payload.to_string(), "signature": "x", "version": "JS20171115"});
        let enc = base64::engine::general_purpose::STANDARD.encode(outer.to_string());
        assert_eq!(
            from_encoded_data(&enc),
            Some(("dev-1".into(), Some("Linux x86_64".into())))
        );
        assert_eq!(from_encoded_data("%%%"), None);
        assert_eq!(from_encoded_data("aGVsbG8="), None);
        assert_eq!(from_encoded_data(&"A".repeat(MAX_ENCODED_DATA + 4)), None);
    }
}
