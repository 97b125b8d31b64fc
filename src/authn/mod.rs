//! Authentication: passwords, browser sessions, throttling. One sign-in path for every door.

pub mod password;
