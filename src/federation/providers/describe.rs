//! How a provider is used and shown: its effective endpoints (the preset's, with the server's
//! stand-in base), and Cognito's `IdentityProviderType` and `ProviderDescription`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{ProviderType, SECRET_KEYS};
use crate::config::Config;
use crate::store::federation::IdentityProvider;

/// The endpoints and fixed values of a provider as used and as Cognito describes them:
/// what was given, plus the preset's (with the server's stand-in base, if any).
pub fn effective_details(p: &IdentityProvider, config: &Config) -> BTreeMap<String, String> {
    let mut d = p.details.clone();
    let t = ProviderType::parse(&p.provider_type).unwrap_or(ProviderType::Oidc);
    let version = d
        .get("api_version")
        .cloned()
        .unwrap_or_else(|| "v17.0".into());
    let (base, preset): (&Option<String>, Vec<(&str, String)>) = match t {
        ProviderType::Google => (
            &config.google_endpoint,
            vec![
                (
                    "authorize_url",
                    "https://accounts.google.com/o/oauth2/v2/auth".into(),
                ),
                (
                    "token_url",
                    "https://www.googleapis.com/oauth2/v4/token".into(),
                ),
                ("oidc_issuer", "https://accounts.google.com".into()),
                (
                    "jwks_uri",
                    "https://www.googleapis.com/oauth2/v3/certs".into(),
                ),
                (
                    "attributes_url",
                    "https://people.googleapis.com/v1/people/me?personFields=".into(),
                ),
                ("attributes_url_add_attributes", "true".into()),
                ("token_request_method", "POST".into()),
            ],
        ),
        ProviderType::Facebook => (
            &config.facebook_endpoint,
            vec![
                (
                    "authorize_url",
                    format!("https://www.facebook.com/{version}/dialog/oauth"),
                ),
                (
                    "token_url",
                    format!("https://graph.facebook.com/{version}/oauth/access_token"),
                ),
                (
                    "attributes_url",
                    format!("https://graph.facebook.com/{version}/me?fields="),
                ),
                ("attributes_url_add_attributes", "true".into()),
                ("token_request_method", "GET".into()),
            ],
        ),
        ProviderType::LoginWithAmazon => (
            &config.amazon_endpoint,
            vec![
                ("authorize_url", "https://www.amazon.com/ap/oa".into()),
                ("token_url", "https://api.amazon.com/auth/o2/token".into()),
                (
                    "attributes_url",
                    "https://api.amazon.com/user/profile".into(),
                ),
                ("attributes_url_add_attributes", "false".into()),
                ("token_request_method", "POST".into()),
            ],
        ),
        ProviderType::SignInWithApple => (
            &config.apple_endpoint,
            vec![
                (
                    "authorize_url",
                    "https://appleid.apple.com/auth/authorize".into(),
                ),
                ("token_url", "https://appleid.apple.com/auth/token".into()),
                ("oidc_issuer", "https://appleid.apple.com".into()),
                ("jwks_uri", "https://appleid.apple.com/auth/keys".into()),
                ("token_request_method", "POST".into()),
            ],
        ),
        ProviderType::Saml => (&None, saml_endpoints(&d)),
        ProviderType::Oidc => (&None, vec![]),
    };
    for (k, v) in preset {
        let v = match base {
            Some(b) => rebase(&v, b),
            None => v,
        };
        d.entry(k.to_string()).or_insert(v);
    }
    if t == ProviderType::Oidc {
        d.entry("attributes_request_method".into())
            .or_insert_with(|| "GET".into());
    }
    d
}

/// What Cognito's Describe adds for a SAML provider given as a document: where requests go.
fn saml_endpoints(d: &BTreeMap<String, String>) -> Vec<(&'static str, String)> {
    let Some(idp) = d
        .get("MetadataFile")
        .and_then(|f| crate::federation::saml::metadata::parse_idp(f, 0).ok())
    else {
        return vec![];
    };
    [
        ("SSORedirectBindingURI", idp.sso_redirect),
        ("SLORedirectBindingURI", idp.slo_redirect),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}

/// `url` with the scheme, host and port of `base` (and `base`'s path before its own). A bare
/// host (an issuer) becomes `base` without a trailing slash: issuers compare as strings.
fn rebase(url: &str, base: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let mut out = base.trim_end_matches('/').to_string();
            if u.path() != "/" {
                out.push_str(u.path());
            }
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            out
        }
        Err(_) => url.to_string(),
    }
}

/// Cognito's `IdentityProviderType` (secrets left out).
pub fn describe(p: &IdentityProvider, config: &Config) -> Value {
    let mut details = effective_details(p, config);
    for k in SECRET_KEYS {
        details.remove(*k);
    }
    json!({
        "UserPoolId": p.pool_id,
        "ProviderName": p.name,
        "ProviderType": p.provider_type,
        "ProviderDetails": details,
        "AttributeMapping": p.attribute_mapping,
        "IdpIdentifiers": p.idp_identifiers,
        "LastModifiedDate": p.updated_at,
        "CreationDate": p.created_at,
    })
}

/// Cognito's `ProviderDescription` (ListIdentityProviders).
pub fn summary(p: &IdentityProvider) -> Value {
    json!({
        "ProviderName": p.name,
        "ProviderType": p.provider_type,
        "LastModifiedDate": p.updated_at,
        "CreationDate": p.created_at,
    })
}
