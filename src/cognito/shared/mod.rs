//! What several actions need, one concern a file: the request context, client secrets, the
//! user behind an access token, challenge sessions, the server's own key, finishing a sign-in
//! and throttling. Actions import the items from here.

mod access_token;
mod challenges;
mod client_secret;
mod context;
mod custom_message;
mod server_key;
mod sign_in;
mod throttle;

pub use access_token::*;
pub use challenges::*;
pub use client_secret::*;
pub use context::*;
pub use custom_message::*;
pub use server_key::*;
pub use sign_in::*;
pub use throttle::*;
