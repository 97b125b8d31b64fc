//! One integration binary: every test starts the real server on an ephemeral loopback port
//! with a temporary SQLite database and drives it as its users do.

mod helpers;

mod adaptive;
mod audit;
mod authorize;
mod bootstrap;
mod breached;
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
mod email_otp;
mod fake_idp;
mod federation;
mod federation_config;
mod foundation;
mod fuzz;
mod hosted_ui;
mod mail;
mod mfa;
mod migrate_from;
mod migration;
mod operations;
mod oversized;
mod passwords;
mod races;
mod relying_party;
mod risk;
mod sign_in_history;
mod smtp;
mod throttling;
mod tls;
mod token;
mod trigger_shims;
mod trigger_stub;
mod triggers;
mod triggers_custom;
mod triggers_sign_in;
mod triggers_tokens;
