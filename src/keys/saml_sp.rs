//! The pool's SAML service-provider key: RSA-2048 with a self-signed certificate (ten years,
//! as Cognito's), made at first use and kept sealed. It signs AuthnRequests and decrypts
//! encrypted assertions; its certificate is in the SP metadata and in GetSigningCertificate.
//! Key and certificate generation are samael's (openssl), none of ours.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::pkey::{PKey, Private};
use samael::idp::{CertificateParams, IdentityProvider, KeyType, Rsa};

use crate::keys::seal::Sealer;
use crate::store::{self, Db};
use crate::{Error, Result};

pub struct SpKey {
    pub key: PKey<Private>,
    pub certificate_der: Vec<u8>,
}

impl SpKey {
    /// The certificate as GetSigningCertificate returns it (base64 DER, no PEM armour).
    pub fn certificate_base64(&self) -> String {
        STANDARD.encode(&self.certificate_der)
    }
}

/// The pool's key, made (in this write transaction) if it has none yet.
pub fn get_or_create(db: &Db, sealer: &Sealer, pool_id: &str, now: i64) -> Result<SpKey> {
    if let Some(found) = load(db, sealer, pool_id)? {
        return Ok(found);
    }
    let made = IdentityProvider::generate_new(KeyType::Rsa(Rsa::Rsa2048))
        .map_err(|e| Error::Crypto(format!("SAML key: {e}")))?;
    let name = format!("urn:amazon:cognito:sp:{pool_id}");
    let certificate = made
        .create_certificate(&CertificateParams {
            common_name: &name,
            issuer_name: &name,
            days_until_expiration: 3650,
        })
        .map_err(|e| Error::Crypto(format!("SAML certificate: {e}")))?;
    let der = made
        .export_private_key_der()
        .map_err(|e| Error::Crypto(format!("SAML key: {e}")))?;
    store::saml::insert_sp_key(
        db,
        pool_id,
        &sealer.seal(&STANDARD.encode(der)),
        certificate.der_data(),
        now,
    )?;
    load(db, sealer, pool_id)?.ok_or_else(|| Error::Crypto("SAML key not stored".into()))
}

/// The pool's key, if it has one.
pub fn load(db: &Db, sealer: &Sealer, pool_id: &str) -> Result<Option<SpKey>> {
    let Some((sealed, certificate_der)) = store::saml::sp_key(db, pool_id)? else {
        return Ok(None);
    };
    let der = sealer
        .open(&sealed)
        .ok()
        .and_then(|b64| STANDARD.decode(b64).ok())
        .ok_or_else(|| Error::Crypto("the SAML key does not open".into()))?;
    let rsa = openssl::rsa::Rsa::private_key_from_der(&der)
        .map_err(|e| Error::Crypto(format!("SAML key: {e}")))?;
    let key = PKey::from_rsa(rsa).map_err(|e| Error::Crypto(format!("SAML key: {e}")))?;
    Ok(Some(SpKey {
        key,
        certificate_der,
    }))
}
