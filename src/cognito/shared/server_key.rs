//! The server's own random key (sealed in the database): SECRET_BLOCKs and stable decoys.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys::seal::Sealer;
use crate::store::Db;

use super::*;

// ---- the server's own key (SECRET_BLOCK, decoys) ----

const SERVER_KEY: &str = "cognito_aead_key";

/// The server's random 32-byte key, made on first use and kept sealed in the database.
pub fn server_key(db: &Db, sealer: &Sealer, now: i64) -> Result<[u8; 32]> {
    Ok(crate::keys::stored::get_or_make(
        db, sealer, SERVER_KEY, now,
    )?)
}

/// The server key if it exists (read-only).
pub fn load_server_key(db: &Db, sealer: &Sealer) -> Result<Option<[u8; 32]>> {
    Ok(crate::keys::stored::load(db, sealer, SERVER_KEY)?)
}

/// HMAC of the server key over a label, for stable decoys (fake salts and user ids).
pub fn derive(key: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}
