//! Authentication: passwords, browser sessions, throttling. One sign-in path for every door.

pub mod breached;
pub mod flow;
pub mod legacy_hash;
pub mod mfa;
pub mod password;
pub mod risk;
pub mod secret_hash;
pub mod sessions;
pub mod srp;
pub mod throttle;
pub mod totp;
