//! Authentication: passwords, browser sessions, throttling. One sign-in path for every door.

pub mod flow;
pub mod password;
pub mod sessions;
pub mod throttle;
