//! The crypto floor: what this machine's cores can do at most, measured just before the load,
//! so that every result can be read as a fraction of the work that cannot be avoided.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use incognito::keys::Alg;
use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, JwsSigner, RS256};

/// Runs `op` in one thread per core for `secs`; operations per second over all of them.
pub fn rate<F>(threads: usize, secs: f64, make: impl Fn() -> F) -> f64
where
    F: FnMut() + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let mut op = make();
            let (stop, count, barrier) = (stop.clone(), count.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    op();
                    n += 1;
                }
                count.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("floor thread");
    }
    // Operations still running when `stop` was set finish late: divide by the real time.
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn signer(alg: Alg) -> Box<dyn JwsSigner> {
    let key = incognito::keys::generate(alg).expect("key generation");
    let jwk = Jwk::from_bytes(key.private_jwk.as_bytes()).expect("JWK");
    match alg {
        Alg::RS256 => Box::new(RS256.signer_from_jwk(&jwk).expect("RS256 signer")),
        Alg::ES256 => Box::new(ES256.signer_from_jwk(&jwk).expect("ES256 signer")),
        Alg::EdDSA => Box::new(EdDSA.signer_from_jwk(&jwk).expect("EdDSA signer")),
    }
}

/// Signatures per second of a JWT-sized message (the signing input of a typical access
/// token, ~700 bytes), raw signer calls, one thread per core.
pub fn signing_rate(alg: Alg, threads: usize, secs: f64) -> f64 {
    let message = vec![b'e'; 700];
    rate(threads, secs, || {
        let s = signer(alg);
        let m = message.clone();
        move || {
            std::hint::black_box(s.sign(&m).expect("sign"));
        }
    })
}

/// Argon2id password verifications per second with the server's parameters (m=19 MiB, t=2,
/// p=1), through the same function a sign-in calls; one thread per core.
pub fn hashing_rate(hash: &str, threads: usize, secs: f64) -> f64 {
    rate(threads, secs, || {
        let h = hash.to_string();
        move || {
            let v = incognito::authn::password::verify(super::setup::PASSWORD, &h);
            assert_eq!(v, incognito::authn::password::Verified::Yes);
        }
    })
}
