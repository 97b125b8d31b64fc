//! Signing keys (josekit): generation, per-pool key sets, JWKS, JWT signing and verification.
//! Nothing else in the crate touches josekit.

pub mod saml_sp;
pub mod seal;
pub mod stored;

use std::sync::Arc;

use josekit::jwk::Jwk;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, JwsHeader, JwsSigner, JwsVerifier, RS256};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Map, Value};

/// How long a retired key stays in the JWKS: the longest token lifetime (1 day) plus slack.
pub const RETIRED_KEY_PUBLISHED_SECS: i64 = 24 * 3600 + 600;

/// How long a rotated-in key is published before it signs: by then every instance's cache
/// has it (polled each second; on PostgreSQL also notified at once), so no instance sees a
/// token signed by a key it does not publish yet. Until then the key it replaced signs.
pub const KEY_PUBLISH_SECS: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RS256,
    ES256,
    EdDSA,
}

impl Alg {
    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "RS256" => Some(Alg::RS256),
            "ES256" => Some(Alg::ES256),
            "EdDSA" => Some(Alg::EdDSA),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key: {0}")]
    Jose(#[from] josekit::JoseError),
    #[error("key: {0}")]
    Other(String),
}

/// A freshly generated key pair, as stored.
pub struct NewKey {
    pub kid: String,
    pub alg: Alg,
    pub private_jwk: String,
    pub public_jwk: String,
}

pub fn generate(alg: Alg) -> Result<NewKey, KeyError> {
    let kid = crate::random::token(16);
    let (mut private, mut public) = match alg {
        Alg::RS256 => {
            let pair = RS256.generate_key_pair(2048)?;
            (pair.to_jwk_private_key(), pair.to_jwk_public_key())
        }
        Alg::ES256 => {
            let pair = ES256.generate_key_pair()?;
            (pair.to_jwk_private_key(), pair.to_jwk_public_key())
        }
        Alg::EdDSA => {
            let pair = EdDSA.generate_key_pair(EdCurve::Ed25519)?;
            (pair.to_jwk_private_key(), pair.to_jwk_public_key())
        }
    };
    for jwk in [&mut private, &mut public] {
        jwk.set_key_id(&kid);
        jwk.set_algorithm(alg.name());
        jwk.set_key_use("sig");
    }
    Ok(NewKey {
        kid,
        alg,
        private_jwk: private.to_string(),
        public_jwk: public.to_string(),
    })
}

/// One key as loaded for use: parsed once, then shared.
pub struct LoadedKey {
    pub kid: String,
    pub alg: Alg,
    signer: Option<Box<dyn JwsSigner>>,
    verifier: Box<dyn JwsVerifier>,
    public_jwk: Jwk,
}

/// A stored key row: private JWK already unsealed.
pub struct KeyMaterial {
    pub kid: String,
    pub alg: String,
    pub private_jwk: String,
    pub public_jwk: String,
    pub active: bool,
}

impl LoadedKey {
    pub fn load(m: &KeyMaterial) -> Result<LoadedKey, KeyError> {
        let alg = Alg::parse(&m.alg)
            .ok_or_else(|| KeyError::Other(format!("unknown algorithm {}", m.alg)))?;
        let public_jwk = Jwk::from_bytes(m.public_jwk.as_bytes())?;
        let private = Jwk::from_bytes(m.private_jwk.as_bytes())?;
        let (signer, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match alg {
            Alg::RS256 => (
                Box::new(RS256.signer_from_jwk(&private)?),
                Box::new(RS256.verifier_from_jwk(&public_jwk)?),
            ),
            Alg::ES256 => (
                Box::new(ES256.signer_from_jwk(&private)?),
                Box::new(ES256.verifier_from_jwk(&public_jwk)?),
            ),
            Alg::EdDSA => (
                Box::new(EdDSA.signer_from_jwk(&private)?),
                Box::new(EdDSA.verifier_from_jwk(&public_jwk)?),
            ),
        };
        Ok(LoadedKey {
            kid: m.kid.clone(),
            alg,
            signer: m.active.then_some(signer),
            verifier,
            public_jwk,
        })
    }
}

/// All published keys of one pool; the active one signs.
pub struct KeySet {
    keys: Vec<LoadedKey>,
    jwks_json: Arc<str>,
    /// When a key waiting to sign (`KEY_PUBLISH_SECS`) takes over: the set must be reloaded
    /// then.
    reload_at: Option<i64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
}

impl KeySet {
    pub fn new(keys: Vec<LoadedKey>) -> KeySet {
        let published: Vec<Value> = keys
            .iter()
            .map(|k| serde_json::from_str(&k.public_jwk.to_string()).expect("a JWK is JSON"))
            .collect();
        let jwks_json = serde_json::json!({ "keys": published }).to_string().into();
        KeySet {
            keys,
            jwks_json,
            reload_at: None,
        }
    }

    /// The same set, to be reloaded at `at` (when a published key starts signing).
    pub fn reload_at(mut self, at: i64) -> KeySet {
        self.reload_at = Some(at);
        self
    }

    /// False once a published key should have started signing: load the set again.
    pub fn is_current(&self, now: i64) -> bool {
        self.reload_at.is_none_or(|at| now < at)
    }

    pub fn jwks_json(&self) -> Arc<str> {
        self.jwks_json.clone()
    }

    pub fn active(&self) -> Option<&LoadedKey> {
        self.keys.iter().find(|k| k.signer.is_some())
    }

    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.kid.clone()).collect()
    }

    pub fn algorithms(&self) -> Vec<&'static str> {
        let mut algs: Vec<&'static str> = self.keys.iter().map(|k| k.alg.name()).collect();
        algs.sort();
        algs.dedup();
        algs
    }

    /// Signs claims as a compact JWS with the active key (`typ` as given, e.g. "JWT" or "at+jwt").
    pub fn sign(&self, claims: Map<String, Value>, typ: &str) -> Result<String, KeyError> {
        let key = self
            .active()
            .ok_or_else(|| KeyError::Other("pool has no active signing key".into()))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&key.kid);
        let payload = JwtPayload::from_map(claims)?;
        let signer = key.signer.as_deref().expect("active key has a signer");
        Ok(jwt::encode_with_signer(&payload, &header, signer)?)
    }

    /// Verifies the signature of a compact JWS issued by this pool and returns its claims.
    /// The algorithm is pinned by the key the `kid` names; `alg: none`, HMAC algorithms and
    /// key-carrying headers (`jwk`, `jku`, `x5u`, `x5c`) never select anything.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, VerifyError> {
        if token.len() > 16 * 1024 || token.split('.').count() != 3 {
            return Err(VerifyError::Malformed);
        }
        let header_b64 = token.split('.').next().unwrap_or_default();
        let header = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header_b64)
        }
        .map_err(|_| VerifyError::Malformed)?;
        let header: Map<String, Value> =
            serde_json::from_slice(&header).map_err(|_| VerifyError::Malformed)?;
        if header.contains_key("crit") {
            return Err(VerifyError::Malformed);
        }
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or(VerifyError::UnknownKey)?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or(VerifyError::Malformed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(VerifyError::UnknownKey)?;
        if key.alg.name() != alg {
            return Err(VerifyError::BadSignature);
        }
        let (payload, _) = jwt::decode_with_verifier(token, key.verifier.as_ref())
            .map_err(|_| VerifyError::BadSignature)?;
        Ok(payload.claims_set().clone())
    }
}

/// An ES256-signed client assertion (Sign in with Apple's `client_secret`): `iss` the team,
/// `sub` the client id, `aud` the provider, five minutes long, `kid` the key id.
pub fn es256_client_assertion(
    private_key_pem: &str,
    key_id: &str,
    issuer: &str,
    subject: &str,
    audience: &str,
    now: i64,
) -> Result<String, String> {
    use josekit::jws::{ES256, JwsHeader};
    use josekit::jwt::{self, JwtPayload};
    let signer = ES256
        .signer_from_pem(private_key_pem.as_bytes())
        .map_err(|_| "private_key: not an EC P-256 private key in PEM".to_string())?;
    let mut header = JwsHeader::new();
    header.set_key_id(key_id);
    let mut payload = JwtPayload::new();
    payload.set_issuer(issuer);
    payload.set_subject(subject);
    payload.set_audience(vec![audience]);
    let at = |t: i64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0) as u64);
    payload.set_issued_at(&at(now));
    payload.set_expires_at(&at(now + 300));
    jwt::encode_with_signer(&payload, &header, &signer).map_err(|e| e.to_string())
}
