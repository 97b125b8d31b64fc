//! Argon2id password hashing with OWASP parameters, and the pool password policies.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::pools::PasswordPolicy;

/// OWASP's recommended Argon2id parameters: 19 MiB, 2 iterations, 1 lane.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid params"),
    )
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
}

/// Outcome of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, and the hash should be replaced (parameters changed): here is the new one.
    YesRehash(String),
}

pub fn verify(password: &str, stored: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified::No;
    };
    if Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Verified::No;
    }
    let current = parsed.algorithm.as_str() == "argon2id"
        && parsed.params.get_decimal("m") == Some(M_COST_KIB)
        && parsed.params.get_decimal("t") == Some(T_COST)
        && parsed.params.get_decimal("p") == Some(P_COST);
    if current {
        Verified::Yes
    } else {
        Verified::YesRehash(hash(password))
    }
}

/// Spends the same time as a real verification, for unknown users (no enumeration by timing).
pub fn dummy_verify(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("incognito-dummy-password"));
    let _ = verify(password, stored);
}

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 256;

/// A small offline list of the most common passwords (refused under the default policy).
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "11111111",
    "00000000",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "abc12345",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "letmein1",
    "trustno1",
    "superman",
    "starwars",
    "whatever",
    "asdfghjkl",
    "zaq12wsx",
    "1q2w3e4r",
    "1qaz2wsx",
    "qwerty12",
    "monkey12",
    "dragon12",
    "master12",
    "changeme",
    "password!",
    "Password1",
    "Password123",
    "Password1!",
    "Welcome1!",
    "Qwerty123!",
];

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Password must have at least 8 characters.")]
    TooShort,
    #[error("Password must have at most 256 characters.")]
    TooLong,
    #[error("This password is too common. Choose another one.")]
    TooCommon,
    #[error(
        "Password must contain an upper-case letter, a lower-case letter, a digit and a symbol."
    )]
    Composition,
}

/// Checks a new password against the pool's policy.
pub fn check_policy(password: &str, policy: PasswordPolicy) -> Result<(), PolicyError> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(PolicyError::TooShort);
    }
    if chars > MAX_LEN {
        return Err(PolicyError::TooLong);
    }
    match policy {
        PasswordPolicy::Default => {
            if COMMON.iter().any(|c| c.eq_ignore_ascii_case(password)) {
                return Err(PolicyError::TooCommon);
            }
        }
        PasswordPolicy::CognitoDefault => {
            let upper = password.chars().any(|c| c.is_uppercase());
            let lower = password.chars().any(|c| c.is_lowercase());
            let digit = password.chars().any(|c| c.is_ascii_digit());
            let symbol = password
                .chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace());
            if !(upper && lower && digit && symbol) {
                return Err(PolicyError::Composition);
            }
        }
    }
    Ok(())
}

pub fn describe_policy(policy: PasswordPolicy) -> &'static str {
    match policy {
        PasswordPolicy::Default => "At least 8 characters; common passwords are not allowed.",
        PasswordPolicy::CognitoDefault => {
            "At least 8 characters, with upper- and lower-case letters, a digit and a symbol."
        }
    }
}
