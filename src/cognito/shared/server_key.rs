//! The server's own random key (sealed in the database): SECRET_BLOCKs and stable decoys.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::cognito::error::CognitoError;
use crate::keys::seal::Sealer;
use crate::store::{self, Db};

use super::*;

// ---- the server's own key (SECRET_BLOCK, decoys) ----

const SERVER_KEY: &str = "cognito_aead_key";

/// The server's random 32-byte key, made on first use and kept sealed in the database.
pub fn server_key(db: &Db, sealer: &Sealer, now: i64) -> Result<[u8; 32]> {
    if let Some(k) = load_server_key(db, sealer)? {
        return Ok(k);
    }
    let mut fresh = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
    let stored =
        store::cognito::init_server_secret(db, SERVER_KEY, &sealer.seal(&hex::encode(fresh)), now)?;
    open_server_key(sealer, &stored)
}

/// The server key if it exists (read-only).
pub fn load_server_key(db: &Db, sealer: &Sealer) -> Result<Option<[u8; 32]>> {
    store::cognito::server_secret(db, SERVER_KEY)?
        .map(|stored| open_server_key(sealer, &stored))
        .transpose()
}

fn open_server_key(sealer: &Sealer, stored: &str) -> Result<[u8; 32]> {
    let opened = sealer.open(stored).map_err(|e| {
        tracing::error!(error = %e, "cannot open the server key");
        CognitoError::internal()
    })?;
    let bytes = hex::decode(opened)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            tracing::error!("the stored server key is corrupt");
            CognitoError::internal()
        })?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// HMAC of the server key over a label, for stable decoys (fake salts and user ids).
pub fn derive(key: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}
