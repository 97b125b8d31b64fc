//! RFC 6238 TOTP as authenticator apps expect it: SHA-1, 6 digits, 30-second steps, ±1 step
//! of clock skew. The arithmetic is totp-rs; replay protection is the caller's (mfa.rs).

use base64::Engine;
use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const STEP_SECS: u64 = 30;
pub const SECRET_BYTES: usize = 20;

/// A fresh 160-bit secret, base32 (how apps and people type it).
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret_b32: &str, issuer: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    // Colons are not allowed in the otpauth label parts.
    let clean = |s: &str| s.replace(':', " ");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret)
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .ok()
}

/// The time step at which `code` is valid (within ±1 step of `now`), if any.
pub fn check(secret_b32: &str, code: &str, now: i64) -> Option<i64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || now < 0 {
        return None;
    }
    totp(secret_b32, "x", "x")?
        .check(code, now as u64)
        .map(|step| step as i64)
}

/// The `otpauth://` URL and a PNG QR code of it (base64), for the set-up page.
pub fn provisioning(secret_b32: &str, issuer: &str, account: &str) -> Option<(String, String)> {
    let t = totp(secret_b32, issuer, account)?;
    let url = t.to_url().ok()?;
    let png = t.to_qr_png().ok()?;
    Some((url, base64::engine::general_purpose::STANDARD.encode(png)))
}

/// The code for a time, for tests of our own (the integration tests use an independent RFC 6238).
pub fn code_at(secret_b32: &str, now: i64) -> Option<String> {
    Some(totp(secret_b32, "x", "x")?.generate(now as u64).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 (8-digit values; the 6-digit code is their last six digits).
    #[test]
    fn rfc6238_vectors() {
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        for (t, expected8) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            assert_eq!(code_at(&secret, t).unwrap(), expected8[2..], "t={t}");
            assert!(check(&secret, &expected8[2..], t).is_some());
        }
    }

    #[test]
    fn skew_is_one_step_and_malformed_codes_fail() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let prev = code_at(&secret, now - 30).unwrap();
        let old = code_at(&secret, now - 90).unwrap();
        assert!(check(&secret, &prev, now).is_some());
        assert!(check(&secret, &old, now).is_none() || old == code_at(&secret, now).unwrap());
        for bad in ["", "12345", "1234567", "abcdef", "12 456"] {
            assert!(check(&secret, bad, now).is_none());
        }
        let (url, png) = provisioning(&secret, "Pool: A", "a@example.com").unwrap();
        assert!(url.starts_with("otpauth://totp/"));
        assert!(!png.is_empty());
    }
}
