//! Incognito: a self-hosted OpenID Connect / OAuth 2.0 server that speaks Cognito's dialects.
//!
//! Three front doors (`oidc`, `ui`, `cognito`) over one core (`pools`, `accounts`, `authn`,
//! `tokens`) over one store. See DESIGN.md in the shared docs.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod authn;
pub mod bootstrap;
pub mod cli;
pub mod clock;
pub mod cognito;
pub mod config;
pub mod error;
pub mod federation;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod keys;
pub mod lifecycle;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod oidc;
pub mod pools;
pub mod random;
pub mod request_pool;
pub mod startup;
pub mod state;
pub mod store;
pub mod tls;
pub mod tokens;
pub mod triggers;
pub mod ui;

pub use error::{Error, Result};
