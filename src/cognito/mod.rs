//! The Cognito-compatible JSON API: `POST /` with `X-Amz-Target:
//! AWSCognitoIdentityProviderService.<Action>` and `application/x-amz-json-1.1` bodies, so that
//! amazon-cognito-identity-js, Amplify and the AWS SDKs talk to Incognito unchanged.
//!
//! - `routes.rs`: the action table, body limits, CORS.
//! - `constraints.rs`: Cognito's input constraints (lengths, patterns, enums), checked first.
//! - `error.rs`: the one map from core errors to Cognito's `__type` names.
//! - `wire.rs`: request parsing (`null` members are absent) and shared shapes.
//! - `shared.rs`: what several actions need (client and access-token checks, challenges,
//!   issuing an `AuthenticationResult`).
//! - `sigv4.rs`: AWS Signature V4 for the admin actions.
//! - `actions/`: one file per action.
//!
//! Every action calls the same core as the hosted pages (`accounts`, `authn`, `tokens`).

pub mod actions;
mod audit;
pub mod constraints;
mod context_data;
pub mod custom_auth;
pub mod error;
pub mod routes;
pub mod shared;
pub mod sigv4;
pub mod srp_auth;
pub mod upload;
pub mod wire;

pub use routes::routes;
