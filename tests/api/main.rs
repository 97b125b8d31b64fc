//! One integration binary: every test starts the real server on an ephemeral loopback port
//! with a temporary SQLite database and drives it as its users do.

mod helpers;

mod authorize;
mod bootstrap;
mod browser;
mod cli;
mod cognito;
mod cognito_boto3;
mod cognito_codes;
mod cognito_constraints;
mod cognito_control;
mod cognito_control_pools;
mod cognito_groups_keys;
mod cognito_js;
mod foundation;
mod fuzz;
mod hosted_ui;
mod mail;
mod mfa;
mod oversized;
mod passwords;
mod relying_party;
mod smtp;
mod throttling;
mod token;
mod trigger_shims;
mod triggers;
