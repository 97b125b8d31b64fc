//! AWS Signature Version 4 for the admin actions, so that boto3, the AWS CLI and the AWS SDKs
//! work with `--endpoint-url`. Access keys are made with `incognito admin-key create`; their
//! secrets are kept sealed. Like AWS: an unknown key is `UnrecognizedClientException`, a
//! wrong signature or a date more than 5 minutes off is `InvalidSignatureException`.

use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::error::CognitoError;
use super::shared::{Ctx, Result};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Largest accepted distance between `X-Amz-Date` and the server's clock.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// AWS's URI encoding: everything but `A-Za-z0-9-_.~` as `%XX`.
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !encode_slash) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The canonical query string: pairs decoded, re-encoded, sorted by key then value.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), true),
                uri_encode(&percent_decode(v), true),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A request as the signature sees it. Header names are lower-case.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

fn canonical_header_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request over `signed` headers (lower-case names, in the order given).
pub fn canonical_request(req: &Request<'_>, signed: &[String]) -> String {
    let mut headers = String::new();
    for name in signed {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| canonical_header_value(v))
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let path = if req.path.is_empty() { "/" } else { req.path };
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(&percent_decode(path), false),
        canonical_query(req.query),
        headers,
        signed.join(";"),
        hex::encode(Sha256::digest(req.body))
    )
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// The hex signature of a request.
pub fn sign(
    req: &Request<'_>,
    signed: &[String],
    secret: &str,
    amz_date: &str,
    region: &str,
    service: &str,
) -> String {
    let date = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sts = string_to_sign(amz_date, &scope, &canonical_request(req, signed));
    hex::encode(hmac(
        &signing_key(secret, date, region, service),
        sts.as_bytes(),
    ))
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub fn parse_authorization(h: &str) -> Option<Authorization> {
    let rest = h.strip_prefix(ALGORITHM)?.trim_start();
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => cred = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => sig = Some(v),
            _ => return None,
        }
    }
    let c: Vec<&str> = cred?.split('/').collect();
    let [id, date, region, service, "aws4_request"] = c[..] else {
        return None;
    };
    let signed_headers: Vec<String> = signed?.split(';').map(str::to_string).collect();
    let sig = sig?;
    let ok = !id.is_empty()
        && id.len() <= 128
        && date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && !region.is_empty()
        && !service.is_empty()
        && sig.len() == 64
        && sig.bytes().all(|b| b.is_ascii_hexdigit())
        && signed_headers.iter().all(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    ok.then(|| Authorization {
        access_key_id: id.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers,
        signature: sig.to_ascii_lowercase(),
    })
}

/// `20150830T123600Z` as Unix time.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + hh * 3600 + mm * 60 + ss)
}

fn invalid_signature() -> CognitoError {
    CognitoError::new(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
}

/// What an authenticated access key may do (`incognito admin-key create --pool --read-only`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope {
    pub access_key_id: String,
    /// The one pool the key may act on; None: every pool.
    pub pool_id: Option<String>,
    /// Only read actions (`is_read_action`).
    pub read_only: bool,
}

/// Describe*, Get*, List* and their Admin* forms (AdminGetUser, AdminListGroupsForUser, ...).
pub fn is_read_action(action: &str) -> bool {
    let a = action.strip_prefix("Admin").unwrap_or(action);
    ["Describe", "Get", "List"].iter().any(|p| {
        a.strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    })
}

/// The pools a request names: its `UserPoolId` and the pool of a `ResourceArn` ending in
/// `userpool/{id}`. A member of another form names an unknown pool ("").
fn request_pools(body: &serde_json::Value) -> Vec<&str> {
    let mut pools = Vec::new();
    if let Some(id) = body.get("UserPoolId") {
        pools.push(id.as_str().unwrap_or(""));
    }
    if let Some(arn) = body.get("ResourceArn") {
        let id = arn.as_str().and_then(|a| a.rsplit_once(":userpool/"));
        pools.push(id.map_or("", |(_, id)| id));
    }
    pools
}

impl KeyScope {
    /// Whether the key may run `action` with `body`; else Cognito's (IAM's)
    /// `AccessDeniedException`. A pool-scoped key may not run actions without a pool
    /// (CreateUserPool, ListUserPools).
    pub fn authorize(
        &self,
        config: &crate::config::Config,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<()> {
        let pools = request_pools(body);
        // Every pool the request names is the key's (and it names one).
        let pool_ok = match &self.pool_id {
            None => true,
            Some(allowed) => !pools.is_empty() && pools.iter().all(|p| p == allowed),
        };
        if pool_ok && (!self.read_only || is_read_action(action)) {
            return Ok(());
        }
        let other = pools.iter().find(|p| Some(**p) != self.pool_id.as_deref());
        let resource = match other.or(pools.first()) {
            Some(p) => {
                use super::actions::control::user_pool_shape::{arn, region_of};
                arn(region_of(p), &config.account_id, p)
            }
            None => format!(
                "arn:aws:cognito-idp:{}:{}:userpool/*",
                config.region, config.account_id
            ),
        };
        tracing::info!(key = %self.access_key_id, action, "admin key outside its scope");
        Err(CognitoError::new(
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::{}:user/{} is not authorized to perform: cognito-idp:{action} on resource: {resource}",
                config.account_id, self.access_key_id
            ),
        ))
    }
}

/// Checks the request's signature with a configured access key; returns the key's scope.
pub async fn authenticate(ctx: &Ctx, req: &HttpRequest, body: &[u8]) -> Result<KeyScope> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let Some(authz) = header("authorization") else {
        return Err(CognitoError::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let a = parse_authorization(&authz).ok_or_else(|| {
        CognitoError::new(
            "IncompleteSignatureException",
            "Authorization header requires Credential, SignedHeaders and Signature.",
        )
    })?;
    if !a.signed_headers.iter().any(|h| h == "host") {
        return Err(CognitoError::new(
            "IncompleteSignatureException",
            "The host header must be signed.",
        ));
    }
    let amz_date = header("x-amz-date").ok_or_else(|| {
        CognitoError::new(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })?;
    let t = parse_amz_date(&amz_date).ok_or_else(invalid_signature)?;
    if !amz_date.starts_with(&a.date) {
        return Err(invalid_signature());
    }
    if (t - ctx.now).abs() > MAX_SKEW_SECS {
        return Err(CognitoError::new(
            "InvalidSignatureException",
            format!(
                "Signature expired: {amz_date} is now earlier or later than the server time allows (5 min)."
            ),
        ));
    }
    let id = a.access_key_id.clone();
    let stored = ctx
        .read(move |db| Ok(crate::store::cognito::get_admin_key(db, &id)?))
        .await?
        .ok_or_else(|| {
            CognitoError::new(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        })?;
    let secret = ctx.state.sealer.open(&stored.secret).map_err(|e| {
        tracing::error!(error = %e, "cannot open an admin key");
        CognitoError::internal()
    })?;
    let mut headers = Vec::new();
    for (name, value) in req.headers() {
        if let Ok(v) = value.to_str() {
            headers.push((name.as_str().to_ascii_lowercase(), v.to_string()));
        }
    }
    let request = Request {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query().unwrap_or(""),
        headers,
        body,
    };
    let expected = sign(
        &request,
        &a.signed_headers,
        &secret,
        &amz_date,
        &a.region,
        &a.service,
    );
    if !crate::random::ct_eq(&expected, &a.signature) {
        tracing::info!(key = %a.access_key_id, "admin request with a bad signature");
        return Err(invalid_signature());
    }
    Ok(KeyScope {
        access_key_id: stored.access_key_id,
        pool_id: stored.pool_id,
        read_only: stored.read_only,
    })
}

/// A new access key id and secret (the secret is shown once and stored sealed).
pub fn new_key() -> (String, String) {
    let id = format!("AKIN{}", crate::random::alnum(16).to_ascii_uppercase());
    (id, crate::random::alnum(40))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20150830T123600Z";

    fn suite(method: &str, query: &str, extra: &[(&str, &str)], body: &[u8]) -> String {
        let mut headers = vec![
            ("host".to_string(), "example.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), DATE.to_string()),
        ];
        for (k, v) in extra {
            headers.push((k.to_string(), v.to_string()));
        }
        let mut signed: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
        signed.sort();
        let req = Request {
            method,
            path: "/",
            query,
            headers,
            body,
        };
        sign(&req, &signed, SECRET, DATE, "us-east-1", "service")
    }

    // AWS's published SigV4 test suite (aws-sig-v4-test-suite), credential AKIDEXAMPLE.
    #[test]
    fn aws_test_suite_vectors() {
        assert_eq!(
            suite("GET", "", &[], b""),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert_eq!(
            suite("POST", "", &[], b""),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
        assert_eq!(
            suite("GET", "Param2=value2&Param1=value1", &[], b""),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
        assert_eq!(
            suite("POST", "Param1=value1", &[], b""),
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"
        );
        assert_eq!(
            suite(
                "POST",
                "",
                &[("content-type", "application/x-www-form-urlencoded")],
                b"Param1=value1"
            ),
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        );
    }

    #[test]
    fn read_actions_and_pool_scopes() {
        for a in [
            "ListUsers",
            "AdminGetUser",
            "AdminListGroupsForUser",
            "DescribeUserPool",
            "GetGroup",
        ] {
            assert!(is_read_action(a), "{a}");
        }
        for a in [
            "AdminCreateUser",
            "CreateGroup",
            "AdminInitiateAuth",
            "Listen",
            "UpdateGroup",
            "AdminAddUserToGroup",
        ] {
            assert!(!is_read_action(a), "{a}");
        }
        let config = crate::config::Config::default();
        let key = KeyScope {
            access_key_id: "AKIN1".into(),
            pool_id: Some("local_A".into()),
            read_only: false,
        };
        let body = |v: serde_json::Value| v;
        assert!(
            key.authorize(
                &config,
                "CreateGroup",
                &body(serde_json::json!({"UserPoolId": "local_A"}))
            )
            .is_ok()
        );
        let e = key
            .authorize(
                &config,
                "CreateGroup",
                &body(serde_json::json!({"UserPoolId": "local_B"})),
            )
            .unwrap_err();
        assert_eq!(e.name, "AccessDeniedException");
        assert_eq!(
            e.message,
            "User: arn:aws:iam::000000000000:user/AKIN1 is not authorized to perform: cognito-idp:CreateGroup on resource: arn:aws:cognito-idp:local:000000000000:userpool/local_B"
        );
        let arn = serde_json::json!({"ResourceArn": "arn:aws:cognito-idp:local:000000000000:userpool/local_A"});
        assert!(key.authorize(&config, "TagResource", &arn).is_ok());
        assert!(
            key.authorize(&config, "ListUserPools", &serde_json::json!({}))
                .is_err()
        );
        assert!(
            key.authorize(
                &config,
                "AdminGetUser",
                &serde_json::json!({"UserPoolId": 5})
            )
            .is_err()
        );
    }

    #[test]
    fn authorization_header_parsing() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(a.signed_headers, vec!["host", "x-amz-date"]);
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=x").is_none());
        assert!(parse_authorization("Basic abc").is_none());
        assert_eq!(parse_amz_date(DATE), Some(1440938160));
        assert!(parse_amz_date("20150830123600Z").is_none());
    }
}
