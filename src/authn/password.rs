//! Argon2id password hashing with OWASP parameters, and the pool password policies.
//! Imported hashes of other formats (`legacy_hash`) verify here too, and ask for a rehash.
//!
//! Every hash and verification goes through one gate: at most one Argon2 computation per core
//! runs at a time (first come, first served), each in a 19 MiB work area that is kept and
//! reused. However many sign-ins arrive together, the hashing neither oversubscribes the CPU
//! nor grows memory beyond cores × 19 MiB (freeing and reallocating the area per call leaves
//! the allocator holding a 19 MiB block per thread).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::legacy_hash;
use crate::pools::PasswordPolicy;

/// OWASP's recommended Argon2id parameters: 19 MiB, 2 iterations, 1 lane.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn params() -> Params {
    Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid params")
}

/// The FIFO gate and the reusable work areas.
struct Gate {
    permits: u64,
    state: Mutex<GateState>,
}

struct GateState {
    /// Computations running now (at most `permits`).
    running: u64,
    /// Threads waiting for a turn, first come first served. A finishing computation hands
    /// its turn straight to the first of them (one wake-up, no stampede).
    waiting: VecDeque<Arc<Waiter>>,
    areas: Vec<Vec<Block>>,
}

struct Waiter {
    thread: std::thread::Thread,
    admitted: AtomicBool,
}

fn gate() -> &'static Gate {
    static GATE: OnceLock<Gate> = OnceLock::new();
    GATE.get_or_init(|| Gate {
        permits: std::thread::available_parallelism().map_or(2, |n| n.get() as u64),
        state: Mutex::new(GateState {
            running: 0,
            waiting: VecDeque::new(),
            areas: Vec::new(),
        }),
    })
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Hashes waiting for their turn now (`/metrics`).
pub fn queue_len() -> usize {
    gate().lock().waiting.len()
}

/// Gives the area back and passes the turn on, even if the computation panicked.
struct Turn {
    area: Option<Vec<Block>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut s = gate().lock();
        // Keep only areas of the current size (an old hash with a larger `m` gets a one-off).
        if let Some(area) = self.area.take()
            && area.len() == params().block_count()
        {
            s.areas.push(area);
        }
        match s.waiting.pop_front() {
            Some(next) => {
                next.admitted.store(true, Ordering::Release);
                next.thread.unpark();
            }
            None => s.running -= 1,
        }
    }
}

/// Waits for a turn at the gate (first come, first served); the turn ends when the `Turn` drops.
fn take_turn() -> Turn {
    let gate = gate();
    let mut s = gate.lock();
    if s.running < gate.permits && s.waiting.is_empty() {
        s.running += 1;
    } else {
        let me = Arc::new(Waiter {
            thread: std::thread::current(),
            admitted: AtomicBool::new(false),
        });
        s.waiting.push_back(me.clone());
        drop(s);
        while !me.admitted.load(Ordering::Acquire) {
            std::thread::park();
        }
    }
    Turn { area: None }
}

/// Runs one Argon2 computation when its turn comes, in a work area of `blocks` blocks.
fn with_area<R>(blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let mut turn = take_turn();
    let mut area = gate().lock().areas.pop().unwrap_or_default();
    area.resize(blocks, Block::default());
    let out = f(&mut area);
    turn.area = Some(area);
    out
}

/// Argon2 of `password` with `salt` into `out`, through the gate.
fn compute(
    argon2: &Argon2<'_>,
    blocks: usize,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> bool {
    with_area(blocks, |area| {
        argon2
            .hash_password_into_with_memory(password, salt, out, area)
            .is_ok()
    })
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .expect("a generated salt decodes");
    let params = params();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    assert!(
        compute(
            &argon2,
            params.block_count(),
            password.as_bytes(),
            salt_bytes,
            &mut out
        ),
        "argon2 hashing cannot fail with valid params"
    );
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("params encode"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32-byte output")),
    }
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

/// Recomputes the stored hash's Argon2 (its own algorithm, version and parameters) and
/// compares in constant time, like `PasswordVerifier::verify_password`.
fn matches(password: &str, parsed: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    if !compute(&argon2, blocks, password.as_bytes(), salt, &mut out) {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == *expected)
}

pub fn verify(password: &str, stored: &str) -> Verified {
    if !stored.starts_with("$argon2") {
        // An imported hash (bcrypt, PBKDF2, scrypt, ...): as costly as Argon2, so it waits for
        // its turn at the same gate; right once, it is replaced by Argon2id.
        let matched = {
            let _turn = take_turn();
            legacy_hash::verify(password, stored)
        };
        return if matched {
            Verified::YesRehash(hash(password))
        } else {
            Verified::No
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified::No;
    };
    if !matches(password, &parsed) {
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
    #[error("Password must have at least {0} characters.")]
    TooShort(u32),
    #[error("Password must have at most 256 characters.")]
    TooLong,
    #[error("This password is too common. Choose another one.")]
    TooCommon,
    #[error("Password must have uppercase characters.")]
    NeedsUppercase,
    #[error("Password must have lowercase characters.")]
    NeedsLowercase,
    #[error("Password must have numeric characters.")]
    NeedsNumber,
    #[error("Password must have symbol characters.")]
    NeedsSymbol,
}

/// Checks a new password against the pool's policy.
pub fn check_policy(password: &str, policy: &PasswordPolicy) -> Result<(), PolicyError> {
    let chars = password.chars().count();
    if chars < (policy.minimum_length as usize).max(1) {
        return Err(PolicyError::TooShort(policy.minimum_length));
    }
    if chars > MAX_LEN {
        return Err(PolicyError::TooLong);
    }
    let has = |f: fn(char) -> bool| password.chars().any(f);
    let rules = [
        (
            policy.require_uppercase,
            has(char::is_uppercase),
            PolicyError::NeedsUppercase,
        ),
        (
            policy.require_lowercase,
            has(char::is_lowercase),
            PolicyError::NeedsLowercase,
        ),
        (
            policy.require_numbers,
            has(|c| c.is_ascii_digit()),
            PolicyError::NeedsNumber,
        ),
        (
            policy.require_symbols,
            has(|c| !c.is_alphanumeric() && !c.is_whitespace()),
            PolicyError::NeedsSymbol,
        ),
    ];
    if let Some((_, _, e)) = rules.into_iter().find(|(required, ok, _)| *required && !ok) {
        return Err(e);
    }
    if policy.refuse_common_passwords
        && (COMMON.iter().any(|c| c.eq_ignore_ascii_case(password))
            || super::breached::is_breached(password))
    {
        return Err(PolicyError::TooCommon);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    #[test]
    fn hash_then_verify() {
        let h = hash("correct horse battery staple");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(verify("correct horse battery staple", &h), Verified::Yes);
        assert_eq!(verify("correct horse battery stapler", &h), Verified::No);
        assert_eq!(verify("x", "not a phc string"), Verified::No);
    }

    #[test]
    fn verifies_hashes_of_the_argon2_crate_and_asks_for_a_rehash_of_old_parameters() {
        let salt = SaltString::generate(&mut OsRng);
        let same = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"s3cret-enough", &salt)
            .unwrap()
            .to_string();
        assert_eq!(verify("s3cret-enough", &same), Verified::Yes);
        let old = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8 * 1024, 3, 1, None).unwrap(),
        )
        .hash_password(b"s3cret-enough", &salt)
        .unwrap()
        .to_string();
        match verify("s3cret-enough", &old) {
            Verified::YesRehash(new) => assert_eq!(verify("s3cret-enough", &new), Verified::Yes),
            other => panic!("expected a rehash, got {other:?}"),
        }
        assert_eq!(verify("wrong", &old), Verified::No);
    }

    #[test]
    fn an_imported_hash_verifies_once_and_asks_for_argon2id() {
        // A bcrypt hash as another system would have stored it (tests/fixtures/hashes: every format).
        let bcrypt = bcrypt::hash("s3cret-enough", 4).unwrap();
        match verify("s3cret-enough", &bcrypt) {
            Verified::YesRehash(new) => {
                assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{new}");
                assert_eq!(verify("s3cret-enough", &new), Verified::Yes);
            }
            other => panic!("expected a rehash, got {other:?}"),
        }
        assert_eq!(verify("wrong", &bcrypt), Verified::No);
        assert_eq!(
            verify("s3cret-enough", "5f4dcc3b5aa765d61d8327deb882cf99"),
            Verified::No
        );
    }

    #[test]
    fn concurrent_verifications_all_get_their_turn() {
        let h = hash("many at once");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let h = h.clone();
                std::thread::spawn(move || {
                    let p = if i % 2 == 0 { "many at once" } else { "wrong" };
                    (i, verify(p, &h))
                })
            })
            .collect();
        for t in threads {
            let (i, v) = t.join().unwrap();
            let want = if i % 2 == 0 {
                Verified::Yes
            } else {
                Verified::No
            };
            assert_eq!(v, want);
        }
        let s = gate().lock();
        assert!(s.areas.len() as u64 <= gate().permits);
        assert!(s.waiting.is_empty());
    }
}
