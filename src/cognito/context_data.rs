//! Where a Cognito API sign-in comes from, for adaptive sign-in: `UserContextData`
//! (`EncodedData`, `IpAddress`) of the user actions and `ContextData` of AdminInitiateAuth
//! (`IpAddress`, `ServerName`, `ServerPath`, `HttpHeaders`, `EncodedData`), plus the
//! `DEVICE_KEY` auth parameter.
//!
//! Trust: the address is the connection's (after `trusted_proxies`), except that
//! AdminInitiateAuth's `ContextData.IpAddress` is believed — that call is SigV4-signed by the
//! operator's server, which relays its own user's address. A `UserContextData.IpAddress` is
//! not believed (anyone could send one). An `EncodedData` over `MAX_ENCODED_DATA` is refused
//! (`InvalidParameterException`); a malformed one is just no device.

use std::net::IpAddr;

use serde_json::Value;

use super::error::CognitoError;
use crate::authn::risk::{Evidence, device};

/// The evidence of a request to `action`. `address_failures` counts the address's failures.
pub fn evidence(
    action: &str,
    body: &Value,
    connection_ip: IpAddr,
    address_failures: impl Fn(IpAddr) -> u32,
) -> Result<Evidence, CognitoError> {
    let (data, trusted) = match action {
        "AdminInitiateAuth" | "AdminRespondToAuthChallenge" => (body.get("ContextData"), true),
        _ => (body.get("UserContextData"), false),
    };
    let encoded = data
        .and_then(|d| d.get("EncodedData"))
        .and_then(Value::as_str);
    if encoded.is_some_and(|e| e.len() > device::MAX_ENCODED_DATA) {
        return Err(CognitoError::invalid_parameter(format!(
            "1 validation error detected: Value at 'userContextData.encodedData' failed to satisfy constraint: Member must have length less than or equal to {}",
            device::MAX_ENCODED_DATA
        )));
    }
    let ip = data
        .filter(|_| trusted)
        .and_then(|d| d.get("IpAddress"))
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse::<IpAddr>().ok())
        .unwrap_or(connection_ip);
    let (mut device, mut device_name) = encoded
        .and_then(device::from_encoded_data)
        .map_or((None, None), |(d, n)| (Some(d), n));
    if device.is_none() {
        device = body
            .pointer("/AuthParameters/DEVICE_KEY")
            .or_else(|| body.pointer("/ChallengeResponses/DEVICE_KEY"))
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty() && k.len() <= 256)
            .map(String::from);
    }
    if device_name.is_none() && trusted {
        device_name = user_agent(data);
    }
    Ok(Evidence {
        ip,
        device,
        device_name,
        address_failures: address_failures(ip),
    })
}

/// The `User-Agent` among AdminInitiateAuth's `ContextData.HttpHeaders`, cut to 100 chars.
fn user_agent(data: Option<&Value>) -> Option<String> {
    data?.get("HttpHeaders")?.as_array()?.iter().find(|h| {
        h["headerName"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case("user-agent"))
    })?["headerValue"]
        .as_str()
        .map(|v| v.chars().take(100).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));

    #[test]
    fn only_admin_context_data_may_name_the_address() {
        let admin = json!({"ContextData": {"IpAddress": "81.2.69.142", "ServerName": "s", "ServerPath": "/",
            "HttpHeaders": [{"headerName": "User-Agent", "headerValue": "Firefox"}]}});
        let e = evidence("AdminInitiateAuth", &admin, PEER, |_| 0).unwrap();
        assert_eq!(e.ip.to_string(), "81.2.69.142");
        assert_eq!(e.device_name.as_deref(), Some("Firefox"));
        let user = json!({"UserContextData": {"IpAddress": "81.2.69.142"}});
        assert_eq!(
            evidence("InitiateAuth", &user, PEER, |_| 0).unwrap().ip,
            PEER
        );
        let bad = json!({"ContextData": {"IpAddress": "not an address"}});
        assert_eq!(
            evidence("AdminInitiateAuth", &bad, PEER, |_| 0).unwrap().ip,
            PEER
        );
    }

    #[test]
    fn huge_encoded_data_is_refused_and_junk_is_no_device() {
        let huge =
            json!({"UserContextData": {"EncodedData": "A".repeat(device::MAX_ENCODED_DATA + 1)}});
        assert_eq!(
            evidence("InitiateAuth", &huge, PEER, |_| 0)
                .unwrap_err()
                .name,
            "InvalidParameterException"
        );
        let junk =
            json!({"UserContextData": {"EncodedData": "!!not base64!!"}, "AuthParameters": {}});
        assert_eq!(
            evidence("InitiateAuth", &junk, PEER, |_| 0).unwrap().device,
            None
        );
        let key = json!({"AuthParameters": {"DEVICE_KEY": "us-east-1_abc"}});
        assert_eq!(
            evidence("InitiateAuth", &key, PEER, |_| 0)
                .unwrap()
                .device
                .as_deref(),
            Some("us-east-1_abc")
        );
    }
}
