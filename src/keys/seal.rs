//! Encryption at rest (AES-256-GCM) for private keys and other secrets kept in the database.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use sha2::{Digest, Sha256};

const PREFIX: &str = "enc:v1:";

/// The master key from configuration; absent means secrets are stored in the clear.
#[derive(Clone)]
pub struct Sealer {
    cipher: Option<Aes256Gcm>,
}

impl Sealer {
    pub fn new(master_key: Option<&str>) -> Sealer {
        let cipher = master_key.map(|k| {
            let key = Sha256::digest(k.as_bytes());
            Aes256Gcm::new_from_slice(&key).expect("32-byte key")
        });
        Sealer { cipher }
    }

    pub fn seal(&self, plain: &str) -> String {
        match &self.cipher {
            None => plain.to_string(),
            Some(cipher) => {
                let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
                let ct = cipher
                    .encrypt(&nonce, plain.as_bytes())
                    .expect("AES-GCM encryption cannot fail");
                let mut blob = nonce.to_vec();
                blob.extend_from_slice(&ct);
                format!("{PREFIX}{}", B64.encode(blob))
            }
        }
    }

    pub fn open(&self, stored: &str) -> Result<String, String> {
        let Some(b64) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let cipher = self
            .cipher
            .as_ref()
            .ok_or("a secret is encrypted but no master_key is configured")?;
        let blob = B64.decode(b64).map_err(|_| "encrypted secret is corrupt")?;
        if blob.len() < 12 {
            return Err("encrypted secret is corrupt".into());
        }
        let (nonce, ct) = blob.split_at(12);
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| "cannot decrypt a secret: wrong master_key?")?;
        String::from_utf8(plain).map_err(|_| "decrypted secret is not UTF-8".into())
    }
}
