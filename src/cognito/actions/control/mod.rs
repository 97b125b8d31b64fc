//! The control plane: the SigV4-signed actions that manage pools and their configuration
//! (pools, app clients, resource servers, identity providers, tags, MFA, UI customisation,
//! domains), so that Terraform, the AWS CLI and boto3 manage Incognito. `routes.rs` checks
//! the signature (and the key's scope) before any of these runs. One file per action, each a
//! thin call into the same core function as the CLI verb and the bootstrap file; shared
//! shapes in `user_pool_shape.rs`, `client_type.rs` and here.

mod add_custom_attributes;
mod client_type;
mod create_identity_provider;
mod create_resource_server;
mod create_user_import_job;
mod create_user_pool;
mod create_user_pool_client;
mod delete_identity_provider;
mod delete_resource_server;
mod delete_user_pool;
mod delete_user_pool_client;
mod describe_identity_provider;
mod describe_resource_server;
mod describe_user_import_job;
mod describe_user_pool;
mod describe_user_pool_client;
mod domain;
mod get_csv_header;
mod get_identity_provider_by_identifier;
mod get_signing_certificate;
mod list_identity_providers;
mod list_resource_servers;
mod list_user_import_jobs;
mod list_user_pool_clients;
mod list_user_pools;
mod mfa_config;
mod risk_configuration;
mod start_user_import_job;
mod tags;
mod ui_customization;
mod update_identity_provider;
mod update_resource_server;
mod update_user_pool;
mod update_user_pool_client;
mod user_import_job_type;
pub mod user_pool_shape;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::actions::admin::{page_of, pool};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::pools::resource_servers::{ResourceServer, Scope};
use crate::store::{Db, StoreError};

/// Control-plane actions (signed like the admin actions).
pub const ACTIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "UpdateUserPool",
    "DeleteUserPool",
    "ListUserPools",
    "AddCustomAttributes",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "SetUserPoolMfaConfig",
    "GetUserPoolMfaConfig",
    "SetUICustomization",
    "GetUICustomization",
    "SetRiskConfiguration",
    "DescribeRiskConfiguration",
    "CreateUserPoolDomain",
    "DescribeUserPoolDomain",
    "UpdateUserPoolDomain",
    "DeleteUserPoolDomain",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "ListUserPoolClients",
    "CreateResourceServer",
    "DescribeResourceServer",
    "UpdateResourceServer",
    "DeleteResourceServer",
    "ListResourceServers",
    "CreateIdentityProvider",
    "DescribeIdentityProvider",
    "UpdateIdentityProvider",
    "DeleteIdentityProvider",
    "ListIdentityProviders",
    "GetIdentityProviderByIdentifier",
    "GetSigningCertificate",
    "GetCSVHeader",
    "CreateUserImportJob",
    "StartUserImportJob",
    "StopUserImportJob",
    "DescribeUserImportJob",
    "ListUserImportJobs",
];

pub async fn handle(action: &str, ctx: &Ctx, body: &Value) -> Result<Value> {
    match action {
        "CreateUserPool" => create_user_pool::handle(ctx, body).await,
        "DescribeUserPool" => describe_user_pool::handle(ctx, body).await,
        "UpdateUserPool" => update_user_pool::handle(ctx, body).await,
        "DeleteUserPool" => delete_user_pool::handle(ctx, body).await,
        "ListUserPools" => list_user_pools::handle(ctx, body).await,
        "AddCustomAttributes" => add_custom_attributes::handle(ctx, body).await,
        "TagResource" => tags::handle(ctx, body, tags::Change::Tag).await,
        "UntagResource" => tags::handle(ctx, body, tags::Change::Untag).await,
        "ListTagsForResource" => tags::handle(ctx, body, tags::Change::List).await,
        "SetUserPoolMfaConfig" => mfa_config::set(ctx, body).await,
        "GetUserPoolMfaConfig" => mfa_config::get(ctx, body).await,
        "SetUICustomization" => ui_customization::set(ctx, body).await,
        "GetUICustomization" => ui_customization::get(ctx, body).await,
        "SetRiskConfiguration" => risk_configuration::set(ctx, body).await,
        "DescribeRiskConfiguration" => risk_configuration::describe(ctx, body).await,
        "CreateUserPoolDomain" => domain::change(ctx, body, domain::Change::Create).await,
        "DescribeUserPoolDomain" => domain::describe(ctx, body).await,
        "UpdateUserPoolDomain" => domain::change(ctx, body, domain::Change::Update).await,
        "DeleteUserPoolDomain" => domain::change(ctx, body, domain::Change::Delete).await,
        "CreateUserPoolClient" => create_user_pool_client::handle(ctx, body).await,
        "DescribeUserPoolClient" => describe_user_pool_client::handle(ctx, body).await,
        "UpdateUserPoolClient" => update_user_pool_client::handle(ctx, body).await,
        "DeleteUserPoolClient" => delete_user_pool_client::handle(ctx, body).await,
        "ListUserPoolClients" => list_user_pool_clients::handle(ctx, body).await,
        "CreateResourceServer" => create_resource_server::handle(ctx, body).await,
        "DescribeResourceServer" => describe_resource_server::handle(ctx, body).await,
        "UpdateResourceServer" => update_resource_server::handle(ctx, body).await,
        "DeleteResourceServer" => delete_resource_server::handle(ctx, body).await,
        "ListResourceServers" => list_resource_servers::handle(ctx, body).await,
        "CreateIdentityProvider" => create_identity_provider::handle(ctx, body).await,
        "DescribeIdentityProvider" => describe_identity_provider::handle(ctx, body).await,
        "UpdateIdentityProvider" => update_identity_provider::handle(ctx, body).await,
        "DeleteIdentityProvider" => delete_identity_provider::handle(ctx, body).await,
        "ListIdentityProviders" => list_identity_providers::handle(ctx, body).await,
        "GetIdentityProviderByIdentifier" => {
            get_identity_provider_by_identifier::handle(ctx, body).await
        }
        "GetSigningCertificate" => get_signing_certificate::handle(ctx, body).await,
        "GetCSVHeader" => get_csv_header::handle(ctx, body).await,
        "CreateUserImportJob" => create_user_import_job::handle(ctx, body).await,
        "StartUserImportJob" => start_user_import_job::start(ctx, body).await,
        "StopUserImportJob" => start_user_import_job::stop(ctx, body).await,
        "DescribeUserImportJob" => describe_user_import_job::handle(ctx, body).await,
        "ListUserImportJobs" => list_user_import_jobs::handle(ctx, body).await,
        _ => Err(CognitoError::new(
            "UnknownOperationException",
            "Unknown operation.",
        )),
    }
}

/// A request that names only a pool.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolRequest {
    user_pool_id: String,
}

/// A pool by `UserPoolId` for a write: unknown is `ResourceNotFoundException`.
fn require_pool(db: &Db, pool_id: &str) -> Result<crate::pools::Pool> {
    crate::store::pools::get(db, pool_id)?.ok_or_else(|| {
        CognitoError::resource_not_found(format!("User pool {pool_id} does not exist."))
    })
}

/// `{"UserPool": UserPoolType}` of a pool, read in the same transaction.
fn describe(db: &Db, pool: &crate::pools::Pool, account_id: &str) -> Result<Value> {
    let users = crate::store::users::count(db, &pool.id)?;
    Ok(json!({
        "UserPool": user_pool_shape::user_pool_type(pool, account_id, users)
    }))
}

/// Core errors as the control plane names them: a refused OAuth flow is
/// `InvalidOAuthFlowException`, a duplicate is `InvalidParameterException` (Cognito's answer
/// to a second resource server with the same identifier).
pub fn core_error(e: crate::Error) -> CognitoError {
    match e {
        crate::Error::Invalid(what) if what.starts_with("OAuth flow") => {
            CognitoError::new("InvalidOAuthFlowException", format!("Invalid {what}."))
        }
        crate::Error::AlreadyExists(what) => {
            CognitoError::invalid_parameter(format!("{what} already exists."))
        }
        other => other.into(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    user_pool_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// A List action: `{UserPoolId, MaxResults (1 to max), NextToken}` in, one page of what
/// `fetch` reads, mapped by `f`, out as `{<member>: [...], NextToken}`.
pub async fn list<T: 'static>(
    ctx: &Ctx,
    body: &Value,
    max: i64,
    member: &'static str,
    fetch: fn(&Db, &str) -> std::result::Result<Vec<T>, StoreError>,
    f: fn(&T) -> Value,
) -> Result<Value> {
    let r: ListRequest = wire::parse(body)?;
    let (limit, offset) = page_of("maxResults", r.max_results, max, r.next_token.as_deref())?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    ctx.read(move |db| {
        let all = fetch(db, &entry.pool.id)?;
        let items: Vec<Value> = all.iter().skip(offset).take(limit).map(f).collect();
        let mut out = json!({ member: items });
        if offset + limit < all.len() {
            out["NextToken"] = json!((offset + limit).to_string());
        }
        Ok(out)
    })
    .await
}

/// `{UserPoolId, Identifier}`, checked.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerRef {
    pub user_pool_id: String,
    pub identifier: String,
}

impl ServerRef {
    pub fn check(&self) -> Result<()> {
        wire::check_len("identifier", &self.identifier, 1, 256)
    }
}

/// Cognito's `ResourceServerScopeType`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScopeType {
    pub scope_name: String,
    pub scope_description: String,
}

pub fn scopes(list: Vec<ScopeType>) -> Vec<Scope> {
    list.into_iter()
        .map(|s| Scope {
            name: s.scope_name,
            description: s.scope_description,
        })
        .collect()
}

/// Cognito's `ResourceServerType`.
pub fn resource_server_type(s: &ResourceServer) -> Value {
    let scopes: Vec<Value> = s
        .scopes
        .iter()
        .map(|sc| json!({ "ScopeName": sc.name, "ScopeDescription": sc.description }))
        .collect();
    json!({
        "UserPoolId": s.pool_id,
        "Identifier": s.identifier,
        "Name": s.name,
        "Scopes": scopes,
    })
}

/// `{UserPoolId, ProviderName}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProviderRef {
    pub user_pool_id: String,
    pub provider_name: String,
}

/// Core errors of the identity-provider actions: a second provider with the same name, or an
/// identifier another provider has, is `DuplicateProviderException` (Cognito's answer to both).
pub fn provider_error(e: crate::Error) -> CognitoError {
    match e {
        crate::Error::AlreadyExists(what) => CognitoError::new(
            "DuplicateProviderException",
            format!("{what} already exists."),
        ),
        other => other.into(),
    }
}

/// `{"IdentityProvider": IdentityProviderType}` (never a secret).
pub fn identity_provider(
    p: &crate::store::federation::IdentityProvider,
    config: &crate::config::Config,
) -> Value {
    json!({ "IdentityProvider": crate::federation::providers::describe(p, config) })
}
