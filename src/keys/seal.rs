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

// ---- AEAD blocks with associated data (the Cognito door's SECRET_BLOCK) ----

/// AES-256-GCM with associated data; base64 of nonce ‖ ciphertext.
pub fn seal_block(key: &[u8; 32], plain: &[u8], aad: &[u8]) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ct = cipher
        .encrypt(&nonce, aes_gcm::aead::Payload { msg: plain, aad })
        .expect("AES-GCM encryption cannot fail");
    let mut blob = nonce.to_vec();
    blob.extend_from_slice(&ct);
    base64::engine::general_purpose::STANDARD.encode(blob)
}

/// Decodes a block as the client echoes it (standard or URL-safe base64).
pub fn decode_block(b64: &str) -> Option<Vec<u8>> {
    if b64.len() > 8192 {
        return None;
    }
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    STANDARD
        .decode(b64)
        .or_else(|_| URL_SAFE.decode(b64))
        .or_else(|_| URL_SAFE_NO_PAD.decode(b64))
        .ok()
}

pub fn open_block(key: &[u8; 32], blob: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if blob.len() < 12 + 16 {
        return None;
    }
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let (nonce, ct) = blob.split_at(12);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            aes_gcm::aead::Payload { msg: ct, aad },
        )
        .ok()
}
