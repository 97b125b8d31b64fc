//! Claim sets: the ID token, the access token (RFC 9068 shape, Cognito's claims) and the
//! UserInfo response. Pure functions over already loaded data, so every door gets the same.

use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};

use crate::accounts::User;
use crate::keys::Alg;

/// Scope given to sign-ins through the Cognito API; it releases every attribute, like Cognito.
pub const COGNITO_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// Claims released by the `profile` scope (OIDC Core §5.4). `updated_at` comes from the user row.
pub const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
];

fn has(scope: &[String], s: &str) -> bool {
    scope.iter().any(|x| x == s)
}

/// Whether a grant with this scope gets an ID token.
pub fn wants_id_token(scope: &[String]) -> bool {
    has(scope, "openid") || has(scope, COGNITO_ADMIN_SCOPE)
}

/// Where a claim set goes: custom attributes are always in the ID token (Cognito), but the
/// UserInfo endpoint releases them only with `profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    IdToken,
    UserInfo,
}

/// The user's attributes that the granted scope releases.
pub fn user_claims(user: &User, scope: &[String], audience: Audience) -> Map<String, Value> {
    let all = has(scope, COGNITO_ADMIN_SCOPE);
    let profile = all || has(scope, "profile");
    let mut out = Map::new();
    if (all || has(scope, "email"))
        && let Some(email) = &user.email
    {
        out.insert("email".into(), json!(email));
        out.insert("email_verified".into(), json!(user.email_verified));
    }
    if profile {
        for name in PROFILE_CLAIMS {
            if let Some(v) = user.attributes.get(*name) {
                out.insert((*name).into(), json!(v));
            }
        }
        out.insert("updated_at".into(), json!(user.updated_at));
    }
    if (all || has(scope, "phone"))
        && let Some(v) = user.attributes.get("phone_number")
    {
        out.insert("phone_number".into(), json!(v));
    }
    if (all || has(scope, "address"))
        && let Some(v) = user.attributes.get("address")
    {
        // OIDC's address claim is an object; a plain stored string becomes its `formatted` member.
        let value = match serde_json::from_str::<Value>(v) {
            Ok(obj @ Value::Object(_)) => obj,
            _ => json!({ "formatted": v }),
        };
        out.insert("address".into(), value);
    }
    if audience == Audience::IdToken || profile {
        for (k, v) in user.attributes.range("custom:".to_string()..) {
            if !k.starts_with("custom:") {
                break;
            }
            out.insert(k.clone(), json!(v));
        }
    }
    out
}

/// Keeps only the claims a client may read (its `read_attributes`; empty: all).
pub fn keep_readable(claims: &mut Map<String, Value>, read_attributes: &[String]) {
    if !read_attributes.is_empty() {
        claims.retain(|k, _| crate::pools::clients::attribute_allowed(read_attributes, k));
    }
}

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the hash of the access token, base64url.
/// The hash is the one of the signing algorithm: SHA-256 for RS256 and ES256, SHA-512 for
/// EdDSA over Ed25519 (the only curve we generate), as OIDC Core errata set 2 specifies.
pub fn at_hash(access_token: &str, alg: Alg) -> String {
    let digest: Vec<u8> = match alg {
        Alg::RS256 | Alg::ES256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        Alg::EdDSA => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// Everything an ID token carries besides the user's attributes.
pub struct IdTokenFields<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub user: &'a User,
    pub groups: &'a [String],
    /// The IAM roles of the groups (`cognito:roles`) and the preferred one.
    pub roles: &'a [String],
    pub preferred_role: Option<&'a str>,
    pub scope: &'a [String],
    /// The client's `read_attributes`: when not empty, only these attributes are released.
    pub read_attributes: &'a [String],
    pub auth_time: i64,
    pub amr: &'a [String],
    pub nonce: Option<&'a str>,
    pub at_hash: &'a str,
    pub jti: &'a str,
    pub origin_jti: &'a str,
    pub event_id: &'a str,
    pub iat: i64,
    pub exp: i64,
}

pub fn id_token(f: &IdTokenFields<'_>) -> Map<String, Value> {
    let mut c = user_claims(f.user, f.scope, Audience::IdToken);
    // A federated user's linked identities, as Cognito puts them in the ID token: an array.
    if let Some(ids) = f.user.attributes.get("identities")
        && let Ok(v @ Value::Array(_)) = serde_json::from_str::<Value>(ids)
    {
        c.insert("identities".into(), v);
    }
    keep_readable(&mut c, f.read_attributes);
    // Reserved claims last, so no attribute can shadow them.
    c.insert("iss".into(), json!(f.issuer));
    c.insert("sub".into(), json!(f.user.id));
    c.insert("aud".into(), json!(f.client_id));
    c.insert("exp".into(), json!(f.exp));
    c.insert("iat".into(), json!(f.iat));
    c.insert("auth_time".into(), json!(f.auth_time));
    if let Some(n) = f.nonce {
        c.insert("nonce".into(), json!(n));
    }
    c.insert("at_hash".into(), json!(f.at_hash));
    if !f.amr.is_empty() {
        c.insert("amr".into(), json!(f.amr));
        // The level reached: "mfa" after a second factor, "pwd" after a password alone.
        let acr = if f.amr.iter().any(|a| a == "otp") {
            "mfa"
        } else {
            "pwd"
        };
        c.insert("acr".into(), json!(acr));
    }
    c.insert("jti".into(), json!(f.jti));
    c.insert("origin_jti".into(), json!(f.origin_jti));
    c.insert("event_id".into(), json!(f.event_id));
    c.insert("cognito:username".into(), json!(f.user.username));
    if !f.groups.is_empty() {
        c.insert("cognito:groups".into(), json!(f.groups));
    }
    if !f.roles.is_empty() {
        c.insert("cognito:roles".into(), json!(f.roles));
    }
    if let Some(r) = f.preferred_role {
        c.insert("cognito:preferred_role".into(), json!(r));
    }
    c.insert("token_use".into(), json!("id"));
    c
}

/// Everything an access token carries. `sub` is the user id, or the client id for a
/// client-credentials grant (then `username` is absent), as Cognito does.
pub struct AccessTokenFields<'a> {
    pub issuer: &'a str,
    pub sub: &'a str,
    pub client_id: &'a str,
    pub username: Option<&'a str>,
    pub groups: &'a [String],
    pub scope: &'a [String],
    pub auth_time: i64,
    pub jti: &'a str,
    pub origin_jti: &'a str,
    pub event_id: &'a str,
    pub iat: i64,
    pub exp: i64,
}

/// The access token: RFC 9068's shape with Cognito's claims (`client_id`, `token_use`,
/// `scope`, `username`, ...) beside it. Cognito leaves out `aud`; RFC 9068 §2.2 requires it
/// of a `typ: at+jwt` token, so it names the resource servers of the granted custom scopes,
/// or the client when there are none.
pub fn access_token(f: &AccessTokenFields<'_>) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("iss".into(), json!(f.issuer));
    c.insert("sub".into(), json!(f.sub));
    c.insert("aud".into(), access_audience(f.scope, f.client_id));
    c.insert("client_id".into(), json!(f.client_id));
    c.insert("exp".into(), json!(f.exp));
    c.insert("iat".into(), json!(f.iat));
    c.insert("auth_time".into(), json!(f.auth_time));
    c.insert("jti".into(), json!(f.jti));
    c.insert("origin_jti".into(), json!(f.origin_jti));
    c.insert("event_id".into(), json!(f.event_id));
    c.insert("scope".into(), json!(f.scope.join(" ")));
    if let Some(u) = f.username {
        c.insert("username".into(), json!(u));
    }
    if !f.groups.is_empty() {
        c.insert("cognito:groups".into(), json!(f.groups));
    }
    c.insert("token_use".into(), json!("access"));
    c
}

/// `aud` of an access token: the distinct resource-server identifiers of the custom scopes
/// (`api` for `api/read`), one as a string and several as an array, else the client id.
fn access_audience(scope: &[String], client_id: &str) -> Value {
    let mut servers: Vec<&str> = Vec::new();
    for s in scope {
        if let Some((server, _)) = s.rsplit_once('/')
            && !servers.contains(&server)
        {
            servers.push(server);
        }
    }
    match servers.as_slice() {
        [] => json!(client_id),
        [one] => json!(one),
        many => json!(many),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::UserStatus;
    use std::collections::BTreeMap;

    fn user() -> User {
        let mut attributes = BTreeMap::new();
        attributes.insert("name".into(), "Ann".into());
        attributes.insert("phone_number".into(), "+15555550100".into());
        attributes.insert("address".into(), "1 Main St".into());
        attributes.insert("custom:tier".into(), "gold".into());
        attributes.insert("zoneinfo".into(), "Europe/Paris".into());
        User {
            id: "sub-1".into(),
            pool_id: "local_x".into(),
            username: "ann".into(),
            email: Some("ann@example.com".into()),
            status: UserStatus::Confirmed,
            enabled: true,
            email_verified: true,
            password_hash: None,
            attributes,
            created_at: 1,
            updated_at: 2,
        }
    }

    fn scope(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn scopes_gate_standard_claims() {
        let u = user();
        let c = user_claims(&u, &scope("openid"), Audience::IdToken);
        assert!(c.get("email").is_none());
        assert!(c.get("name").is_none());
        assert_eq!(c["custom:tier"], "gold");
        let c = user_claims(&u, &scope("openid email"), Audience::UserInfo);
        assert_eq!(c["email_verified"], true);
        assert!(c.get("custom:tier").is_none());
        let c = user_claims(
            &u,
            &scope("openid profile phone address"),
            Audience::UserInfo,
        );
        assert_eq!(c["name"], "Ann");
        assert_eq!(c["zoneinfo"], "Europe/Paris");
        assert_eq!(c["phone_number"], "+15555550100");
        assert_eq!(c["address"]["formatted"], "1 Main St");
        assert_eq!(c["updated_at"], 2);
        assert_eq!(c["custom:tier"], "gold");
        let c = user_claims(&u, &scope(COGNITO_ADMIN_SCOPE), Audience::IdToken);
        assert_eq!(c["email"], "ann@example.com");
        assert_eq!(c["name"], "Ann");
    }

    #[test]
    fn at_hash_matches_oidc_example_shape() {
        // Left half of SHA-256 is 16 bytes: 22 base64url characters; SHA-512 gives 43.
        assert_eq!(at_hash("token", Alg::RS256).len(), 22);
        assert_eq!(at_hash("token", Alg::EdDSA).len(), 43);
    }
}
