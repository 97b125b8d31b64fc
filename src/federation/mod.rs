//! Federation: people who sign in with an upstream identity provider (any OpenID Connect
//! provider, Google, Sign in with Apple, Facebook, Login with Amazon) and become users of the
//! pool as Cognito makes them.
//!
//! - `providers`: the pool's identity providers (Cognito's model, one validation path).
//! - `pending`: the server-side state of a sign-in in flight upstream (single use, 5 minutes).
//! - `upstream`: the authorization request and the callback (code + PKCE + state + nonce; the
//!   ID token validated by the `openidconnect` crate; attributes endpoints for the OAuth types).
//! - `saml`: SAML 2.0 identity providers (samael behind a wrapper that closes its gaps).
//! - `users`: the federated user (`{ProviderName}_{id}`, EXTERNAL_PROVIDER, `identities`,
//!   the `{pool}_{ProviderName}` group, mapped attributes re-applied at every sign-in).

pub mod linking;
pub mod pending;
pub mod providers;
pub mod saml;
pub mod sign_in;
pub mod upstream;
pub mod users;
