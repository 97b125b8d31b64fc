//! Unguessable identifiers, codes and secrets from the operating system's CSPRNG.

use rand::distributions::{Alphanumeric, Distribution, Uniform};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};

/// URL-safe random token carrying `bytes` bytes of entropy (base64url, no padding).
pub fn token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Random string over [a-z0-9] (Cognito's client id alphabet).
pub fn lower_alnum(len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let dist = Uniform::from(0..CHARS.len());
    (0..len)
        .map(|_| CHARS[dist.sample(&mut OsRng)] as char)
        .collect()
}

/// Random string over [A-Za-z0-9].
pub fn alnum(len: usize) -> String {
    OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// `n` random decimal digits.
pub fn digits(n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + OsRng.gen_range(0..10u8)))
        .collect()
}

/// Hex SHA-256 of a secret, used as the stored form of codes, tokens and client secrets.
pub fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time equality of two strings.
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
