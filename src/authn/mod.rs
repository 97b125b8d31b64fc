//! Authentication: passwords, browser sessions, throttling. One sign-in path for every door.

pub mod flow;
pub mod mfa;
pub mod password;
pub mod sessions;
pub mod srp;
pub mod throttle;
pub mod totp;
