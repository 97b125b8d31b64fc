//! The control plane (SigV4-signed like the admin actions; `routes.rs` checks the signature
//! before any of these runs): app clients and resource servers, each action calling the same
//! core function as the CLI. One file per action; shared shapes in `client_type.rs` and here.

mod client_type;
mod create_resource_server;
mod create_user_pool_client;
mod delete_resource_server;
mod delete_user_pool_client;
mod describe_resource_server;
mod describe_user_pool_client;
mod list_resource_servers;
mod list_user_pool_clients;
mod update_resource_server;
mod update_user_pool_client;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::actions::admin::{page_of, pool};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::pools::resource_servers::{ResourceServer, Scope};
use crate::store::{Db, StoreError};

/// The control-plane actions `handle` answers (routes.rs signs and dispatches them).
pub const ACTIONS: &[&str] = &[
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
];

pub async fn handle(action: &str, ctx: &Ctx, body: &Value) -> Result<Value> {
    match action {
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
        _ => Err(CognitoError::new(
            "UnknownOperationException",
            "Unknown operation.",
        )),
    }
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
