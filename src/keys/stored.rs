//! Random 32-byte server keys kept sealed in the database (`server_secrets`), made on first use
//! (the first writer wins, so every instance ends up with the same key).

use crate::keys::seal::Sealer;
use crate::store::{self, Db};
use crate::{Error, Result};

/// The key called `name`, made now if there is none (needs a write transaction).
pub fn get_or_make(db: &Db, sealer: &Sealer, name: &str, now: i64) -> Result<[u8; 32]> {
    if let Some(k) = load(db, sealer, name)? {
        return Ok(k);
    }
    let mut fresh = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
    let stored =
        store::cognito::init_server_secret(db, name, &sealer.seal(&hex::encode(fresh)), now)?;
    open(sealer, name, &stored)
}

/// The key called `name` if it was made (read-only).
pub fn load(db: &Db, sealer: &Sealer, name: &str) -> Result<Option<[u8; 32]>> {
    store::cognito::server_secret(db, name)?
        .map(|stored| open(sealer, name, &stored))
        .transpose()
}

fn open(sealer: &Sealer, name: &str, stored: &str) -> Result<[u8; 32]> {
    let opened = sealer
        .open(stored)
        .map_err(|e| Error::Crypto(format!("cannot open the server key {name}: {e}")))?;
    hex::decode(opened)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| Error::Crypto(format!("the stored server key {name} is corrupt")))
}
