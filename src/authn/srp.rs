//! SRP-6a exactly as Amazon Cognito's USER_SRP_AUTH speaks it (see COGNITO-PROTOCOL.md §3):
//! the 3072-bit group of RFC 3526 with g = 2, SHA-256, Java-style `padHex` (hex of the number,
//! even length, `00` prepended when the first byte is ≥ 0x80), `x = H(pad(salt) ‖
//! H(poolName ‖ userId ‖ ":" ‖ password))`, the "Caldera Derived Key" (HKDF-SHA256, 16 bytes)
//! and the TIMESTAMP with an unpadded day of month.
//!
//! Pure functions over big numbers: the caller runs them on the blocking pool. Nothing here
//! logs a value.

use std::sync::OnceLock;

use base64::Engine;
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use num_traits::Zero;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// RFC 3526, 3072-bit MODP group.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
);

/// Longest SRP_A accepted, in hex digits (N is 768; a little slack for leading zeros).
pub const MAX_A_HEX: usize = 1024;
/// Largest TIMESTAMP skew accepted, seconds.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

fn group() -> &'static Group {
    static G: OnceLock<Group> = OnceLock::new();
    G.get_or_init(|| {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("valid N");
        let g = BigUint::from(2u32);
        let k = BigUint::from_bytes_be(&Sha256::digest([pad(&n), pad(&g)].concat()));
        Group { n, g, k }
    })
}

pub fn n() -> &'static BigUint {
    &group().n
}

/// Java `BigInteger.toByteArray()` of a non-negative number: big-endian, with a leading zero
/// byte when the top bit would otherwise be set (Cognito's `padHex`, as bytes).
pub fn pad(x: &BigUint) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    if bytes[0] >= 0x80 {
        let mut v = Vec::with_capacity(bytes.len() + 1);
        v.push(0);
        v.extend_from_slice(&bytes);
        v
    } else {
        bytes
    }
}

fn h(parts: &[&[u8]]) -> BigUint {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    BigUint::from_bytes_be(&d.finalize())
}

/// The part of a pool id after `_`, which Cognito clients hash into `x` and the signature.
pub fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(_, name)| name)
}

/// A new 16-byte salt whose first byte is in 0x01..=0x7f, so that `pad(int(salt))` gives
/// back exactly these bytes (the JS client parses SALT as a number).
pub fn new_salt() -> Vec<u8> {
    let mut salt = vec![0u8; 16];
    OsRng.fill_bytes(&mut salt);
    salt[0] = (salt[0] % 0x7f) + 1;
    salt
}

/// `x = H(pad(salt) ‖ hex-digest(H(poolName ‖ userId ‖ ":" ‖ password)))`.
pub fn private_x(pool_name: &str, user_id_for_srp: &str, password: &str, salt: &[u8]) -> BigUint {
    let inner = Sha256::digest(format!("{pool_name}{user_id_for_srp}:{password}").as_bytes());
    let salt = pad(&BigUint::from_bytes_be(salt));
    h(&[&salt, &inner])
}

/// The verifier `v = g^x mod N` stored for a password.
pub fn verifier(pool_name: &str, user_id_for_srp: &str, password: &str, salt: &[u8]) -> BigUint {
    let g = group();
    g.g.modpow(&private_x(pool_name, user_id_for_srp, password, salt), &g.n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    #[error("SRP_A is not a hexadecimal number")]
    NotHex,
    #[error("SRP_A is too long")]
    TooLong,
    #[error("SRP_A is not in the group")]
    OutOfRange,
    #[error("TIMESTAMP is malformed")]
    BadTimestamp,
    #[error("TIMESTAMP is too far from the server's clock")]
    Skew,
    #[error("u is zero")]
    ZeroU,
}

/// Parses and checks the client's public value: hex digits only, bounded length, 0 < A < N
/// (A ≡ 0 mod N would let anyone in without the password).
pub fn parse_a(hex: &str) -> Result<BigUint, SrpError> {
    if hex.len() > MAX_A_HEX {
        return Err(SrpError::TooLong);
    }
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SrpError::NotHex);
    }
    let a = BigUint::parse_bytes(hex.as_bytes(), 16).ok_or(SrpError::NotHex)?;
    let g = group();
    if a >= g.n || (&a % &g.n).is_zero() {
        return Err(SrpError::OutOfRange);
    }
    Ok(a)
}

/// A fresh server secret `b` (512 random bits, never zero).
pub fn new_b() -> BigUint {
    loop {
        let mut bytes = [0u8; 64];
        OsRng.fill_bytes(&mut bytes);
        let b = BigUint::from_bytes_be(&bytes);
        if !b.is_zero() {
            return b;
        }
    }
}

/// `B = (k·v + g^b) mod N`.
pub fn public_b(v: &BigUint, b: &BigUint) -> BigUint {
    let g = group();
    (&g.k * v + g.g.modpow(b, &g.n)) % &g.n
}

fn hkdf16(ikm: &[u8], salt: &[u8]) -> [u8; 16] {
    let mut prk = HmacSha256::new_from_slice(salt).expect("any key length");
    prk.update(ikm);
    let prk = prk.finalize().into_bytes();
    let mut okm = HmacSha256::new_from_slice(&prk).expect("any key length");
    okm.update(b"Caldera Derived Key\x01");
    let okm = okm.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&okm[..16]);
    out
}

/// `u = H(pad(A) ‖ pad(B))`.
pub fn scrambler(a: &BigUint, b_pub: &BigUint) -> BigUint {
    h(&[&pad(a), &pad(b_pub)])
}

/// The server's session key: `S = (A · v^u)^b mod N`, then the Caldera HKDF.
pub fn server_key(
    a: &BigUint,
    b_pub: &BigUint,
    b: &BigUint,
    v: &BigUint,
) -> Result<[u8; 16], SrpError> {
    let g = group();
    let u = scrambler(a, b_pub);
    if u.is_zero() {
        return Err(SrpError::ZeroU);
    }
    let s = (a * v.modpow(&u, &g.n) % &g.n).modpow(b, &g.n);
    Ok(hkdf16(&pad(&s), &pad(&u)))
}

/// The client's session key, for tests and tools: `S = (B − k·g^x)^(a + u·x) mod N`.
pub fn client_key(
    a_secret: &BigUint,
    a_pub: &BigUint,
    b_pub: &BigUint,
    x: &BigUint,
) -> Result<[u8; 16], SrpError> {
    let g = group();
    let u = scrambler(a_pub, b_pub);
    if u.is_zero() {
        return Err(SrpError::ZeroU);
    }
    let kgx = (&g.k * g.g.modpow(x, &g.n)) % &g.n;
    let base = (b_pub + &g.n - kgx) % &g.n;
    let s = base.modpow(&(a_secret + &u * x), &g.n);
    Ok(hkdf16(&pad(&s), &pad(&u)))
}

/// `g^a mod N`, for tests and tools.
pub fn public_a(a_secret: &BigUint) -> BigUint {
    let g = group();
    g.g.modpow(a_secret, &g.n)
}

/// `HMAC-SHA256(key, poolName ‖ userId ‖ secretBlock ‖ timestamp)`, base64.
pub fn signature(
    key: &[u8; 16],
    pool_name: &str,
    user_id_for_srp: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
    mac.update(pool_name.as_bytes());
    mac.update(user_id_for_srp.as_bytes());
    mac.update(secret_block);
    mac.update(timestamp.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Compares the client's base64 signature with the expected one in constant time.
pub fn signature_matches(expected: &[u8], presented_b64: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Ok(presented) = base64::engine::general_purpose::STANDARD.decode(presented_b64.trim())
    else {
        return false;
    };
    presented.len() == expected.len() && bool::from(presented.ct_eq(expected))
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Cognito's TIMESTAMP for a Unix time, e.g. `Tue Jan 7 09:05:03 UTC 2025`.
pub fn format_timestamp(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let wd = (days + 4).rem_euclid(7) as usize;
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        DAYS[wd],
        MONTHS[(m - 1) as usize],
        d,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        y
    )
}

/// Parses a TIMESTAMP (day of month with or without a leading zero; weekday must agree).
pub fn parse_timestamp(s: &str) -> Result<i64, SrpError> {
    let bad = SrpError::BadTimestamp;
    if s.len() > 40 {
        return Err(bad);
    }
    let parts: Vec<&str> = s.split(' ').collect();
    let [wd, mon, day, time, utc, year] = parts[..] else {
        return Err(bad);
    };
    if utc != "UTC" {
        return Err(bad);
    }
    let m = MONTHS.iter().position(|x| *x == mon).ok_or(bad)? as i64 + 1;
    let num = |t: &str, min_len: usize, max_len: usize| -> Result<i64, SrpError> {
        if t.len() < min_len || t.len() > max_len || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad);
        }
        t.parse().map_err(|_| bad)
    };
    let d = num(day, 1, 2)?;
    let y = num(year, 4, 4)?;
    let hms: Vec<&str> = time.split(':').collect();
    let [hh, mm, ss] = hms[..] else {
        return Err(bad);
    };
    let (hh, mm, ss) = (num(hh, 2, 2)?, num(mm, 2, 2)?, num(ss, 2, 2)?);
    if !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return Err(bad);
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return Err(bad);
    }
    if DAYS[(days + 4).rem_euclid(7) as usize] != wd {
        return Err(bad);
    }
    Ok(days * 86400 + hh * 3600 + mm * 60 + ss)
}

/// Checks a TIMESTAMP's format and that it is within `MAX_SKEW_SECS` of `now`.
pub fn check_timestamp(s: &str, now: i64) -> Result<(), SrpError> {
    let t = parse_timestamp(s)?;
    if (t - now).abs() > MAX_SKEW_SECS {
        return Err(SrpError::Skew);
    }
    Ok(())
}

/// A number as lower-case hex without padding (how SRP_A, SRP_B and SALT travel).
pub fn to_hex(x: &BigUint) -> String {
    x.to_str_radix(16)
}

/// Parses hex into a number (for stored values; client input goes through `parse_a`).
pub fn from_hex(s: &str) -> Option<BigUint> {
    if s.is_empty() || s.len() > 2048 {
        return None;
    }
    BigUint::parse_bytes(s.as_bytes(), 16)
}

/// Derives and stores (sealed) the SRP verifier of a password just set for `user`: called by
/// `accounts::service` at every password set, so every door and the CLI keep it current.
pub fn store_verifier(
    db: &crate::store::Db,
    pool_id: &str,
    sealer: &crate::keys::seal::Sealer,
    user: &crate::accounts::User,
    password: &str,
    now: i64,
) -> crate::Result<()> {
    StoredVerifier::compute(pool_id, &user.username, password).put(db, sealer, &user.id, now)
}

/// A user's salt and verifier, computed (one 3072-bit exponentiation, ~2 ms) before the write
/// transaction that stores them.
#[derive(Debug, Clone)]
pub struct StoredVerifier {
    salt: Vec<u8>,
    verifier_hex: String,
}

impl StoredVerifier {
    pub fn compute(pool_id: &str, username: &str, password: &str) -> StoredVerifier {
        let salt = new_salt();
        let v = verifier(pool_name(pool_id), username, password, &salt);
        StoredVerifier {
            salt,
            verifier_hex: to_hex(&v),
        }
    }

    /// Stores it for `user_id`, the verifier sealed at rest.
    pub fn put(
        &self,
        db: &crate::store::Db,
        sealer: &crate::keys::seal::Sealer,
        user_id: &str,
        now: i64,
    ) -> crate::Result<()> {
        crate::store::cognito::put_verifier(
            db,
            user_id,
            &hex::encode(&self.salt),
            &sealer.seal(&self.verifier_hex),
            now,
        )?;
        Ok(())
    }
}

/// Forgets a user's verifier (the password was replaced by a pre-computed hash, whose
/// plaintext we never see): SRP sign-in fails until the next plaintext password set.
pub fn forget_verifier(db: &crate::store::Db, user_id: &str) -> crate::Result<()> {
    crate::store::cognito::delete_verifier(db, user_id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_java_style() {
        assert_eq!(pad(&BigUint::from(2u32)), vec![2]);
        assert_eq!(pad(&BigUint::from(0x80u32)), vec![0, 0x80]);
        assert_eq!(pad(&BigUint::from(0x7fffu32)), vec![0x7f, 0xff]);
        assert_eq!(pad(n())[0], 0);
        assert_eq!(pad(n()).len(), 385);
    }

    #[test]
    fn k_is_cognitos() {
        // k = H(00‖N ‖ 02), as amazon-cognito-identity-js computes it.
        assert_eq!(
            to_hex(&group().k),
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
    }

    #[test]
    fn fixed_vector_full_exchange() {
        // Computed independently in Python (hashlib, hmac, pow) for pool name "abc", user
        // "user", password "Passw0rd!", salt 01..10, b = 0x11 * 64 bytes, a = 0x22 * 128 bytes.
        let salt: Vec<u8> = (1u8..=16).collect();
        let x = private_x("abc", "user", "Passw0rd!", &salt);
        assert_eq!(
            to_hex(&x),
            "a8933c5bb852b7cbd0d7022d0f96b1e5740331f53c5c0a1cd6a1da70af331d48"
        );
        let v = verifier("abc", "user", "Passw0rd!", &salt);
        assert!(
            to_hex(&v)
                .starts_with("32137a6a25655cf67999f7e9e029425cf3891c793be3797c4450e8afd134f154")
        );
        let b = BigUint::from_bytes_be(&[0x11; 64]);
        let a = BigUint::from_bytes_be(&[0x22; 128]);
        let bb = public_b(&v, &b);
        let aa = public_a(&a);
        let key = server_key(&aa, &bb, &b, &v).unwrap();
        assert_eq!(hex::encode(key), "726aa9c1d297ca737291b637efdecde3");
        assert_eq!(client_key(&a, &aa, &bb, &x).unwrap(), key);
        let sig = signature(
            &key,
            "abc",
            "user",
            &[1, 2, 3],
            "Tue Jan 7 09:05:03 UTC 2025",
        );
        assert!(signature_matches(
            &sig,
            "9YTXX+hiAdmrEQm/9PMLAgoG4KL56gTMhdB3xRfln1g="
        ));
        assert!(!signature_matches(
            &sig,
            "9YTXX+hiAdmrEQm/9PMLAgoG4KL56gTMhdB3xRfln1h="
        ));
    }

    #[test]
    fn client_and_server_agree() {
        for i in 0..20 {
            let salt = new_salt();
            let user = format!("user-{i}");
            let v = verifier("Pool1", &user, "pässword", &salt);
            let b = new_b();
            let bb = public_b(&v, &b);
            let a = new_b();
            let aa = public_a(&a);
            let server = server_key(&aa, &bb, &b, &v).unwrap();
            let x = private_x("Pool1", &user, "pässword", &salt);
            let client = client_key(&a, &aa, &bb, &x).unwrap();
            assert_eq!(server, client);
            let wrong = private_x("Pool1", &user, "password", &salt);
            assert_ne!(client_key(&a, &aa, &bb, &wrong).unwrap(), server);
        }
    }

    #[test]
    fn a_is_checked() {
        let nn = n().clone();
        assert_eq!(parse_a("0"), Err(SrpError::OutOfRange));
        assert_eq!(parse_a(&to_hex(&nn)), Err(SrpError::OutOfRange));
        assert_eq!(parse_a(&to_hex(&(&nn * 2u32))), Err(SrpError::OutOfRange));
        assert_eq!(parse_a("-1"), Err(SrpError::NotHex));
        assert_eq!(parse_a("xyz"), Err(SrpError::NotHex));
        assert_eq!(parse_a(""), Err(SrpError::NotHex));
        assert_eq!(parse_a(&"a".repeat(10_000)), Err(SrpError::TooLong));
        assert!(parse_a("02").is_ok());
    }

    #[test]
    fn timestamps() {
        // 2025-01-07 09:05:03 UTC was a Tuesday.
        let t = 1736240703;
        assert_eq!(format_timestamp(t), "Tue Jan 7 09:05:03 UTC 2025");
        assert_eq!(parse_timestamp("Tue Jan 7 09:05:03 UTC 2025"), Ok(t));
        assert_eq!(parse_timestamp("Tue Jan 07 09:05:03 UTC 2025"), Ok(t));
        assert!(parse_timestamp("Wed Jan 7 09:05:03 UTC 2025").is_err());
        assert!(parse_timestamp("Tue Jan 7 9:05:03 UTC 2025").is_err());
        assert!(parse_timestamp("Tue Feb 30 09:05:03 UTC 2025").is_err());
        assert!(parse_timestamp("Tue Jan 7 09:05:03 GMT 2025").is_err());
        assert!(check_timestamp("Tue Jan 7 09:05:03 UTC 2025", t + 60).is_ok());
        assert_eq!(
            check_timestamp("Tue Jan 7 09:05:03 UTC 2025", t + 3600),
            Err(SrpError::Skew)
        );
        assert_eq!(format_timestamp(951782400), "Tue Feb 29 00:00:00 UTC 2000");
    }

    #[test]
    fn salts_survive_the_clients_number_parsing() {
        for _ in 0..200 {
            let s = new_salt();
            let back = BigUint::parse_bytes(hex::encode(&s).as_bytes(), 16).unwrap();
            assert_eq!(pad(&back), s);
        }
    }
}
