//! A pool's identity providers, Cognito's model: `ProviderType`, `ProviderDetails` with
//! Cognito's keys per type, `AttributeMapping` (pool attribute → upstream claim) and
//! `IdpIdentifiers`. The one validation path for the Cognito API, the CLI and the bootstrap
//! file. Secrets (`client_secret`, Apple's `private_key`) are sealed at rest and never shown.
//!
//! The social presets' endpoints are Cognito's; the server settings `google_endpoint`,
//! `facebook_endpoint`, `amazon_endpoint` and `apple_endpoint` replace their scheme, host and
//! port (stand-ins in tests, mirrors in air-gapped networks).

use std::collections::BTreeMap;

use crate::keys::seal::Sealer;
use crate::store::federation::IdentityProvider;
use crate::store::{self, Db};
use crate::{Error, Result};

mod describe;
pub use describe::{describe, effective_details, summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderType {
    Oidc,
    Google,
    SignInWithApple,
    Facebook,
    LoginWithAmazon,
    Saml,
}

impl ProviderType {
    pub fn parse(s: &str) -> Result<ProviderType> {
        Ok(match s {
            "OIDC" => ProviderType::Oidc,
            "Google" => ProviderType::Google,
            "SignInWithApple" => ProviderType::SignInWithApple,
            "Facebook" => ProviderType::Facebook,
            "LoginWithAmazon" => ProviderType::LoginWithAmazon,
            "SAML" => ProviderType::Saml,
            _ => {
                return Err(Error::invalid(format!(
                    "ProviderType {s:?}: one of OIDC, Google, SignInWithApple, Facebook, LoginWithAmazon, SAML"
                )));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Oidc => "OIDC",
            ProviderType::Google => "Google",
            ProviderType::SignInWithApple => "SignInWithApple",
            ProviderType::Facebook => "Facebook",
            ProviderType::LoginWithAmazon => "LoginWithAmazon",
            ProviderType::Saml => "SAML",
        }
    }

    /// The upstream claim that names the user (`{ProviderName}_{it}` is the username here):
    /// Cognito's fixed source per type, never the e-mail.
    pub fn subject_claim(self) -> &'static str {
        match self {
            ProviderType::Facebook => "id",
            ProviderType::LoginWithAmazon => "user_id",
            _ => "sub",
        }
    }

    /// Whether the upstream signs an ID token (else the user comes from its attributes URL).
    pub fn has_id_token(self) -> bool {
        matches!(
            self,
            ProviderType::Oidc | ProviderType::Google | ProviderType::SignInWithApple
        )
    }

    /// Keys a caller may give: required, optional, and which of them are secret.
    fn keys(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ProviderType::Oidc => (
                &["client_id", "oidc_issuer", "authorize_scopes"],
                &[
                    "client_secret",
                    "attributes_request_method",
                    "authorize_url",
                    "token_url",
                    "attributes_url",
                    "jwks_uri",
                ],
            ),
            ProviderType::Google | ProviderType::LoginWithAmazon => {
                (&["client_id", "client_secret", "authorize_scopes"], &[])
            }
            ProviderType::Facebook => (
                &["client_id", "client_secret", "authorize_scopes"],
                &["api_version"],
            ),
            ProviderType::SignInWithApple => (
                &[
                    "client_id",
                    "team_id",
                    "key_id",
                    "private_key",
                    "authorize_scopes",
                ],
                &[],
            ),
            ProviderType::Saml => (
                &[],
                &[
                    "MetadataFile",
                    "MetadataURL",
                    "IDPSignout",
                    "IDPInit",
                    "EncryptedResponses",
                    "RequestSigningAlgorithm",
                    // Incognito's: accept RSA-SHA1 signatures from this IdP (off: SHA-256+ only).
                    "allow_sha1_signatures",
                ],
            ),
        }
    }
}

/// Sealed at rest, never returned.
pub const SECRET_KEYS: &[&str] = &["client_secret", "private_key"];

/// What a caller gives for a new or changed provider.
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub name: String,
    pub provider_type: String,
    pub details: BTreeMap<String, String>,
    pub attribute_mapping: BTreeMap<String, String>,
    pub idp_identifiers: Vec<String>,
}

/// Names the social types must carry (Cognito's rule).
fn fixed_name(t: ProviderType) -> Option<&'static str> {
    match t {
        ProviderType::Google => Some("Google"),
        ProviderType::Facebook => Some("Facebook"),
        ProviderType::LoginWithAmazon => Some("LoginWithAmazon"),
        ProviderType::SignInWithApple => Some("SignInWithApple"),
        _ => None,
    }
}

pub fn check_name(name: &str) -> Result<()> {
    let ok = (1..=32).contains(&name.chars().count())
        && !name.starts_with('_')
        && !name.eq_ignore_ascii_case("cognito")
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "ProviderName {name:?}: 1 to 32 characters, no spaces or '/', not starting with '_', not COGNITO"
        )))
    }
}

fn check_url(key: &str, v: &str) -> Result<()> {
    let url = url::Url::parse(v).map_err(|_| Error::invalid(format!("{key}: not a URL")))?;
    if crate::triggers::target::https_or_loopback(&url) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{key}: https:// (or http:// to loopback)"
        )))
    }
}

/// Checks a provider and seals its secrets. `old`: the stored provider on an update, whose
/// secrets are kept when the input leaves them out (tools that do not know them keep them).
pub fn prepare(
    pool_id: &str,
    input: ProviderInput,
    sealer: &Sealer,
    old: Option<&IdentityProvider>,
    now: i64,
) -> Result<IdentityProvider> {
    check_name(&input.name)?;
    let t = ProviderType::parse(&input.provider_type)?;
    if let Some(fixed) = fixed_name(t)
        && input.name != fixed
    {
        return Err(Error::invalid(format!(
            "ProviderName: a {} provider is named {fixed}",
            t.as_str()
        )));
    }
    let (required, optional) = t.keys();
    let mut details = BTreeMap::new();
    for (k, v) in input.details {
        // Incognito's extension, for every type: link a first sign-in to the local account
        // with the same verified e-mail once the person proves they own it.
        if k == "link_by_verified_email" {
            if v != "true" && v != "false" {
                return Err(Error::invalid("link_by_verified_email: true or false"));
            }
            details.insert(k, v);
            continue;
        }
        if !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            return Err(Error::invalid(format!(
                "ProviderDetails: {k:?} is not a key of {}",
                t.as_str()
            )));
        }
        // Metadata documents have tabs and CRLF line ends.
        let allowed_control =
            |c: char| c == '\n' || (k == "MetadataFile" && (c == '\t' || c == '\r'));
        if v.is_empty()
            || v.len() > 131_072
            || v.chars().any(|c| c.is_control() && !allowed_control(c))
        {
            return Err(Error::invalid(format!(
                "ProviderDetails {k}: a non-empty value"
            )));
        }
        if k.ends_with("_url") || k == "oidc_issuer" || k == "jwks_uri" || k == "MetadataURL" {
            check_url(&k, &v)?;
        }
        details.insert(k, v);
    }
    // A secret left out of an update is kept; a given one is sealed (unchanged: as it was).
    for key in SECRET_KEYS {
        let kept = old.and_then(|o| o.details.get(*key));
        match (details.get(*key).cloned(), kept) {
            (Some(plain), Some(k)) if sealer.open(k).is_ok_and(|o| o == plain) => {
                details.insert(key.to_string(), k.clone());
            }
            (Some(plain), _) => {
                details.insert(key.to_string(), sealer.seal(&plain));
            }
            (None, Some(k)) => {
                details.insert(key.to_string(), k.clone());
            }
            (None, None) => {}
        }
    }
    for key in required {
        if !details.contains_key(*key) {
            return Err(Error::invalid(format!(
                "ProviderDetails: {key} is required for {}",
                t.as_str()
            )));
        }
    }
    if let Some(m) = details.get("attributes_request_method")
        && m != "GET"
        && m != "POST"
    {
        return Err(Error::invalid("attributes_request_method: GET or POST"));
    }
    if t.has_id_token()
        && !details["authorize_scopes"]
            .split([' ', ','])
            .any(|s| s == "openid")
        && t != ProviderType::SignInWithApple
    {
        return Err(Error::invalid("authorize_scopes: must include openid"));
    }
    if let Some(v) = details.get("api_version")
        && !(v.starts_with('v') && v[1..].chars().all(|c| c.is_ascii_digit() || c == '.'))
    {
        return Err(Error::invalid("api_version: like v17.0"));
    }
    if t == ProviderType::Saml {
        check_saml(&details, now)?;
    }
    let mut attribute_mapping = BTreeMap::new();
    for (local, upstream) in input.attribute_mapping {
        let known = matches!(
            local.as_str(),
            "username" | "email_verified" | "phone_number_verified"
        ) || crate::pools::is_valid_attribute_name(&local);
        if !known || upstream.is_empty() || upstream.len() > 131 {
            return Err(Error::invalid(format!(
                "AttributeMapping {local:?}: a pool attribute mapped to an upstream claim (1 to 131 characters)"
            )));
        }
        attribute_mapping.insert(local, upstream);
    }
    // Cognito's fixed source of the username, shown in the mapping as Cognito shows it (a
    // SAML user is named by the assertion's NameID, which Cognito does not show as a mapping).
    if t != ProviderType::Saml {
        attribute_mapping.insert("username".into(), t.subject_claim().into());
    }
    if input.idp_identifiers.len() > 50 {
        return Err(Error::invalid("IdpIdentifiers: at most 50"));
    }
    for id in &input.idp_identifiers {
        let ok = (1..=40).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_alphanumeric() || " _+=.@-".contains(c));
        if !ok {
            return Err(Error::invalid(format!("IdpIdentifiers: {id:?}")));
        }
    }
    Ok(IdentityProvider {
        pool_id: pool_id.to_string(),
        name: input.name,
        provider_type: t.as_str().to_string(),
        details,
        attribute_mapping,
        idp_identifiers: input.idp_identifiers,
        created_at: old.map_or(now, |o| o.created_at),
        updated_at: now,
    })
}

/// A SAML provider: metadata as a document or a URL (exactly one); a document must read as
/// an IdP's with a signing certificate and an HTTP-Redirect sign-on service (a URL's document
/// is fetched and checked at sign-in); switches are "true" or "false".
fn check_saml(details: &BTreeMap<String, String>, now: i64) -> Result<()> {
    match (details.get("MetadataFile"), details.get("MetadataURL")) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(Error::invalid(
                "ProviderDetails: exactly one of MetadataFile and MetadataURL for SAML",
            ));
        }
        (Some(file), None) => {
            let idp = super::saml::metadata::parse_idp(file, now)
                .map_err(|e| Error::invalid(format!("MetadataFile: {e}")))?;
            if idp.sso_redirect.is_none() {
                return Err(Error::invalid(
                    "MetadataFile: the IdP has no HTTP-Redirect SingleSignOnService (Incognito sends AuthnRequests with that binding)",
                ));
            }
        }
        (None, Some(_)) => {}
    }
    for key in [
        "IDPSignout",
        "IDPInit",
        "EncryptedResponses",
        "allow_sha1_signatures",
    ] {
        if let Some(v) = details.get(key)
            && v != "true"
            && v != "false"
        {
            return Err(Error::invalid(format!("{key}: true or false")));
        }
    }
    if let Some(v) = details.get("RequestSigningAlgorithm")
        && v != "rsa-sha256"
    {
        return Err(Error::invalid("RequestSigningAlgorithm: rsa-sha256"));
    }
    Ok(())
}

/// Refuses an identifier another provider of the pool already has (they route sign-ins).
fn check_identifiers_free(db: &Db, p: &IdentityProvider) -> Result<()> {
    for other in store::federation::list(db, &p.pool_id, 1000, "")? {
        if other.name == p.name {
            continue;
        }
        if let Some(id) = p
            .idp_identifiers
            .iter()
            .find(|i| other.idp_identifiers.contains(i))
        {
            return Err(Error::AlreadyExists(format!(
                "IdpIdentifier {id:?} (provider {})",
                other.name
            )));
        }
    }
    Ok(())
}

pub fn create(
    db: &Db,
    sealer: &Sealer,
    pool_id: &str,
    input: ProviderInput,
    now: i64,
) -> Result<IdentityProvider> {
    if store::federation::get(db, pool_id, &input.name)?.is_some() {
        return Err(Error::AlreadyExists(format!(
            "identity provider {}",
            input.name
        )));
    }
    let p = prepare(pool_id, input, sealer, None, now)?;
    check_identifiers_free(db, &p)?;
    store::federation::insert(db, &p)?;
    Ok(p)
}

/// What UpdateIdentityProvider (or `idp update`) changes: each `None` is kept.
#[derive(Debug, Clone, Default)]
pub struct ProviderChange {
    /// Replaces the details; secrets left out are kept.
    pub details: Option<BTreeMap<String, String>>,
    pub attribute_mapping: Option<BTreeMap<String, String>>,
    pub idp_identifiers: Option<Vec<String>>,
}

pub fn update(
    db: &Db,
    sealer: &Sealer,
    pool_id: &str,
    name: &str,
    change: ProviderChange,
    now: i64,
) -> Result<IdentityProvider> {
    let old = require(db, pool_id, name)?;
    let without_secrets = |mut d: BTreeMap<String, String>| {
        for k in SECRET_KEYS {
            d.remove(*k);
        }
        d
    };
    let input = ProviderInput {
        name: old.name.clone(),
        provider_type: old.provider_type.clone(),
        details: change
            .details
            .unwrap_or_else(|| without_secrets(old.details.clone())),
        attribute_mapping: change
            .attribute_mapping
            .unwrap_or_else(|| old.attribute_mapping.clone()),
        idp_identifiers: change
            .idp_identifiers
            .unwrap_or_else(|| old.idp_identifiers.clone()),
    };
    let p = prepare(pool_id, input, sealer, Some(&old), now)?;
    check_identifiers_free(db, &p)?;
    store::federation::update(db, &p)?;
    Ok(p)
}

pub fn require(db: &Db, pool_id: &str, name: &str) -> Result<IdentityProvider> {
    store::federation::get(db, pool_id, name)?
        .ok_or_else(|| Error::not_found(format!("identity provider {name}")))
}

/// The provider an identifier (`idp_identifier=` or an e-mail domain) names.
pub fn by_identifier(db: &Db, pool_id: &str, identifier: &str) -> Result<Option<IdentityProvider>> {
    Ok(store::federation::list(db, pool_id, 1000, "")?
        .into_iter()
        .find(|p| {
            p.idp_identifiers
                .iter()
                .any(|i| i.eq_ignore_ascii_case(identifier))
        }))
}

/// The provider an e-mail address's domain routes to (the sign-in page's corporate e-mail box).
pub fn by_email(db: &Db, pool_id: &str, email: &str) -> Result<Option<IdentityProvider>> {
    let Some((_, domain)) = email.rsplit_once('@') else {
        return Ok(None);
    };
    let domain = domain.trim();
    if domain.is_empty() || domain.len() > 255 {
        return Ok(None);
    }
    by_identifier(db, pool_id, domain)
}

/// How the sign-in page offers a client's identity providers: a button each, except that when
/// every SAML provider the client offers has `IdpIdentifiers` (Cognito's rule) those are found
/// by the e-mail domain the person types instead (`by_email`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInChoices {
    pub buttons: Vec<String>,
    pub by_email: bool,
}

pub fn sign_in_choices(db: &Db, client: &crate::pools::Client) -> Result<SignInChoices> {
    let names: Vec<&String> = client
        .settings
        .supported_identity_providers
        .iter()
        .filter(|p| p.as_str() != "COGNITO")
        .collect();
    if names.is_empty() {
        return Ok(SignInChoices::default());
    }
    let providers = store::federation::list(db, &client.pool_id, 1000, "")?;
    let saml: Vec<&IdentityProvider> = providers
        .iter()
        .filter(|p| names.contains(&&p.name) && p.provider_type == ProviderType::Saml.as_str())
        .collect();
    let by_email = !saml.is_empty() && saml.iter().all(|p| !p.idp_identifiers.is_empty());
    let buttons = names
        .into_iter()
        .filter(|n| !(by_email && saml.iter().any(|p| &p.name == *n)))
        .cloned()
        .collect();
    Ok(SignInChoices { buttons, by_email })
}

// --- added for the doors ---

/// Deletes a provider, its links, and its name from the pool's clients'
/// `SupportedIdentityProviders`, so that no client offers a sign-in that no longer exists.
pub fn delete(db: &Db, pool_id: &str, name: &str) -> Result<()> {
    require(db, pool_id, name)?;
    store::federation::delete(db, pool_id, name)?;
    for mut client in store::clients::list(db, pool_id)? {
        if client
            .settings
            .supported_identity_providers
            .iter()
            .any(|p| p == name)
        {
            client
                .settings
                .supported_identity_providers
                .retain(|p| p != name);
            store::clients::update(db, &client)?;
        }
    }
    Ok(())
}

/// The first of a client's `SupportedIdentityProviders` that is neither `COGNITO` nor a
/// provider of the pool.
pub fn unknown_provider(db: &Db, pool_id: &str, names: &[String]) -> Result<Option<String>> {
    for n in names {
        if n != "COGNITO" && store::federation::get(db, pool_id, n)?.is_none() {
            return Ok(Some(n.clone()));
        }
    }
    Ok(None)
}

/// Whether `new` (a prepared provider) says what `old` says, dates aside: a bootstrap file
/// applied twice leaves the provider unchanged.
pub fn same_config(old: &IdentityProvider, new: &IdentityProvider) -> bool {
    old.provider_type == new.provider_type
        && old.details == new.details
        && old.attribute_mapping == new.attribute_mapping
        && old.idp_identifiers == new.idp_identifiers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn input(t: &str, name: &str, details: &[(&str, &str)]) -> ProviderInput {
        ProviderInput {
            name: name.into(),
            provider_type: t.into(),
            details: details
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn secrets_are_sealed_kept_on_update_and_never_described() {
        let sealer = Sealer::new(Some(&"k".repeat(43)));
        let first = prepare(
            "local_P1",
            input(
                "Google",
                "Google",
                &[
                    ("client_id", "c"),
                    ("client_secret", "s3cret"),
                    ("authorize_scopes", "openid email"),
                ],
            ),
            &sealer,
            None,
            1,
        )
        .unwrap();
        assert_ne!(first.details["client_secret"], "s3cret");
        let again = prepare(
            "local_P1",
            input(
                "Google",
                "Google",
                &[("client_id", "c2"), ("authorize_scopes", "openid")],
            ),
            &sealer,
            Some(&first),
            2,
        )
        .unwrap();
        assert_eq!(
            again.details["client_secret"],
            first.details["client_secret"]
        );
        let shown = describe(&again, &Config::default()).to_string();
        assert!(!shown.contains("client_secret") && !shown.contains("s3cret"));
        assert!(shown.contains("https://accounts.google.com/o/oauth2/v2/auth"));
        assert_eq!(again.attribute_mapping["username"], "sub");
    }

    #[test]
    fn bad_providers_are_refused() {
        let sealer = Sealer::new(None);
        let oidc = |d: &[(&str, &str)]| prepare("p", input("OIDC", "Corp", d), &sealer, None, 0);
        assert!(
            oidc(&[
                ("client_id", "c"),
                ("oidc_issuer", "https://id.example.com"),
                ("authorize_scopes", "openid")
            ])
            .is_ok()
        );
        assert!(
            oidc(&[
                ("client_id", "c"),
                ("oidc_issuer", "http://id.example.com"),
                ("authorize_scopes", "openid")
            ])
            .is_err()
        );
        assert!(
            oidc(&[
                ("client_id", "c"),
                ("oidc_issuer", "https://id.example.com"),
                ("authorize_scopes", "email")
            ])
            .is_err()
        );
        assert!(oidc(&[("client_id", "c"), ("authorize_scopes", "openid")]).is_err());
        assert!(
            oidc(&[
                ("client_id", "c"),
                ("oidc_issuer", "https://x"),
                ("authorize_scopes", "openid"),
                ("colour", "x")
            ])
            .is_err()
        );
        assert!(prepare("p", input("Google", "MyGoogle", &[]), &sealer, None, 0).is_err());
        assert!(prepare("p", input("SAML", "Corp", &[]), &sealer, None, 0).is_err());
        assert!(prepare("p", input("Nope", "Corp", &[]), &sealer, None, 0).is_err());
        assert!(prepare("p", input("OIDC", "_x", &[]), &sealer, None, 0).is_err());
    }

    #[test]
    fn stand_in_endpoints_replace_the_presets_host() {
        let p = IdentityProvider {
            pool_id: "p".into(),
            name: "Facebook".into(),
            provider_type: "Facebook".into(),
            details: BTreeMap::new(),
            attribute_mapping: BTreeMap::new(),
            idp_identifiers: vec![],
            created_at: 0,
            updated_at: 0,
        };
        let config = Config {
            facebook_endpoint: Some("http://127.0.0.1:9999".into()),
            ..Config::default()
        };
        let d = effective_details(&p, &config);
        assert_eq!(
            d["authorize_url"],
            "http://127.0.0.1:9999/v17.0/dialog/oauth"
        );
        assert_eq!(
            d["attributes_url"],
            "http://127.0.0.1:9999/v17.0/me?fields="
        );
    }
}
