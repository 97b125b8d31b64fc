//! Where a trigger goes and how it is called: a Lambda function ARN (the Lambda Invoke API,
//! SigV4-signed) or a webhook URL (Standard Webhooks signature). Addresses are checked when
//! the connection is made (every resolved address), so a name cannot be re-pointed at the
//! metadata service between a check and the call.

use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long one attempt may take, and how many attempts a call gets (Cognito's figures).
pub const TIMEOUT: Duration = Duration::from_secs(5);
pub const ATTEMPTS: u32 = 3;
/// What the resolver says of an address it refuses.
pub const NOT_ALLOWED: &str = "the target's address is not allowed";
/// The largest answer read from a target.
const MAX_ANSWER: u64 = 1 << 20;

/// One trigger's target, from a `LambdaConfig` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]`.
    Lambda { arn: String, region: String },
    /// `https://...`, or `http://` to a loopback host.
    Webhook { url: String },
}

impl Target {
    pub fn parse(value: &str) -> Result<Target, String> {
        if value.starts_with("arn:") {
            let parts: Vec<&str> = value.split(':').collect();
            let ok = (7..=8).contains(&parts.len())
                && parts[1].starts_with("aws")
                && parts[2] == "lambda"
                && !parts[3].is_empty()
                && parts[3]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && parts[5] == "function"
                && !parts[6].is_empty();
            return if ok {
                Ok(Target::Lambda {
                    arn: value.to_string(),
                    region: parts[3].to_string(),
                })
            } else {
                Err(format!("{value:?} is not a Lambda function ARN"))
            };
        }
        let url = url::Url::parse(value).map_err(|_| format!("{value:?} is not a URL or ARN"))?;
        let ok = url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none()
            && https_or_loopback(&url);
        if ok {
            Ok(Target::Webhook { url: url.into() })
        } else {
            Err(format!(
                "{value:?}: a webhook must be an https:// URL (http:// only to loopback), \
                 without credentials or fragment"
            ))
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Target::Lambda { .. } => "lambda",
            Target::Webhook { .. } => "webhook",
        }
    }
}

/// Whether the server may call `url`: `https://`, or `http://` to a loopback host (local
/// development, tests, sidecars). One rule for every outbound URL an operator configures:
/// trigger webhooks, `migrate_from`, identity providers.
pub fn https_or_loopback(url: &url::Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    url.scheme() == "https" || (url.scheme() == "http" && loopback)
}

/// The AWS credentials that sign Lambda Invoke calls.
#[derive(Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AwsCredentials([redacted])")
    }
}

impl AwsCredentials {
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, when the first two are set.
    pub fn from_env() -> Option<AwsCredentials> {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        Some(AwsCredentials {
            access_key_id: var("AWS_ACCESS_KEY_ID")?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
            session_token: var("AWS_SESSION_TOKEN"),
        })
    }
}

/// The key of a `whsec_` + base64 secret (at least 16 bytes).
pub fn webhook_key(secret: &str) -> Option<Vec<u8>> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    (key.len() >= 16).then_some(key)
}

/// The Standard Webhooks signature header value: `v1,<base64 HMAC-SHA256("{id}.{ts}.{body}")>`.
pub fn webhook_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether a trigger may be called at `ip`: never link-local or a cloud metadata address;
/// with `deny_private`, not loopback, private, shared or unspecified either.
pub fn address_allowed(ip: IpAddr, deny_private: bool) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_link_local() {
                return false;
            }
            !(deny_private
                && (v4.is_loopback()
                    || v4.is_private()
                    || v4.is_unspecified()
                    || v4.is_broadcast()
                    || (a == 100 && (64..128).contains(&b))
                    || a == 0))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if (first & 0xffc0) == 0xfe80
                || v6 == "fd00:ec2::254".parse::<std::net::Ipv6Addr>().unwrap()
            {
                return false;
            }
            !(deny_private
                && (v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00))
        }
    }
}

/// What one attempt came to.
pub enum Attempt {
    /// The target answered (any status).
    Answer {
        status: u16,
        function_error: bool,
        /// The answer's `Content-Type` (federation's JSON parsers check it).
        content_type: Option<String>,
        body: Vec<u8>,
    },
    /// No answer: timeout, connection refused or reset (worth another attempt).
    NoAnswer(String),
    /// Never to be tried again: an address that is not allowed, a request that cannot be made.
    Refused(String),
}

/// The pooled HTTP client that calls triggers (blocking: run it on the blocking pool).
pub struct Caller {
    agent: ureq::Agent,
}

impl Caller {
    pub fn new(deny_private: bool) -> Caller {
        let resolver = move |netloc: &str| -> std::io::Result<Vec<SocketAddr>> {
            let addrs: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
            if addrs.iter().any(|a| !address_allowed(a.ip(), deny_private)) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    NOT_ALLOWED,
                ));
            }
            Ok(addrs)
        };
        Caller {
            agent: ureq::AgentBuilder::new()
                .timeout(TIMEOUT)
                .redirects(0)
                .max_idle_connections_per_host(16)
                .resolver(resolver)
                .build(),
        }
    }

    /// One POST of `body` with `headers`.
    pub fn post(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> Attempt {
        self.send("POST", url, headers, body)
    }

    /// One request (any method; `body` empty for a GET).
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Attempt {
        let mut request = self.agent.request(method, url);
        for (k, v) in headers {
            request = request.set(k, v);
        }
        let sent = if method == "GET" {
            request.call()
        } else {
            request.send_bytes(body)
        };
        let response = match sent {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => {
                return match t.kind() {
                    ureq::ErrorKind::Dns => Attempt::Refused(t.to_string()),
                    ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
                        Attempt::Refused(t.to_string())
                    }
                    _ => Attempt::NoAnswer(t.to_string()),
                };
            }
        };
        let status = response.status();
        let function_error = response.header("x-amz-function-error").is_some();
        let content_type = response.header("content-type").map(str::to_string);
        let mut body = Vec::new();
        if let Err(e) = response
            .into_reader()
            .take(MAX_ANSWER)
            .read_to_end(&mut body)
        {
            return Attempt::NoAnswer(e.to_string());
        }
        Attempt::Answer {
            status,
            function_error,
            content_type,
            body,
        }
    }
}

/// The headers of a Lambda Invoke call, SigV4-signed for service `lambda` in `region`.
pub fn lambda_headers(
    credentials: &AwsCredentials,
    region: &str,
    url: &str,
    body: &[u8],
) -> Result<Vec<(String, String)>, String> {
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "x-amz-invocation-type".to_string(),
            "RequestResponse".to_string(),
        ),
    ];
    sigv4_headers(credentials, region, "lambda", url, headers, body)
}

/// `headers` plus the SigV4 signature of a POST of `body` to `url`, for `service` in `region`
/// (the Lambda Invoke API here, an upstream Cognito in `accounts::upstream`).
pub fn sigv4_headers(
    credentials: &AwsCredentials,
    region: &str,
    service: &str,
    url: &str,
    mut headers: Vec<(String, String)>,
    body: &[u8],
) -> Result<Vec<(String, String)>, String> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "incognito",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    headers.extend(
        instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    Ok(headers)
}

/// The Invoke URL of a function: the ARN percent-encoded as one path segment, as the SDKs send it.
pub fn lambda_url(endpoint: &str, arn: &str) -> String {
    let mut encoded = String::new();
    for b in arn.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "{}/2015-03-31/functions/{encoded}/invocations",
        endpoint.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("arn:aws:lambda:eu-west-1:123456789012:function:pre").unwrap(),
            Target::Lambda {
                arn: "arn:aws:lambda:eu-west-1:123456789012:function:pre".into(),
                region: "eu-west-1".into()
            }
        );
        assert!(Target::parse("https://hooks.example.com/pre").is_ok());
        assert!(Target::parse("http://127.0.0.1:9000/pre").is_ok());
        assert!(Target::parse("http://hooks.example.com/pre").is_err());
        assert!(Target::parse("https://u:p@hooks.example.com/").is_err());
        assert!(Target::parse("arn:aws:s3:::bucket").is_err());
    }

    #[test]
    fn addresses() {
        for ip in [
            "169.254.169.254",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!address_allowed(ip.parse().unwrap(), false), "{ip}");
        }
        for ip in ["127.0.0.1", "10.0.0.1", "::1", "fd12::1", "100.64.0.1"] {
            assert!(address_allowed(ip.parse().unwrap(), false), "{ip}");
            assert!(!address_allowed(ip.parse().unwrap(), true), "{ip}");
        }
        assert!(address_allowed("93.184.216.34".parse().unwrap(), true));
    }

    #[test]
    fn standard_webhooks_signature() {
        // The Standard Webhooks reference test vector.
        let key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            webhook_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
