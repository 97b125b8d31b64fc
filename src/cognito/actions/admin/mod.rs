//! The SigV4-signed admin actions (developer credentials; `routes.rs` checks the signature
//! before any of these runs). One file per action; shared shapes here.

pub mod auth_events;
mod confirm_sign_up;
mod create_group;
mod create_user;
mod delete_group;
mod delete_user;
mod enable_disable_user;
mod get_group;
mod get_user;
mod global_sign_out;
mod group_membership;
mod initiate_auth;
mod link_provider;
mod list_groups;
mod list_groups_for_user;
mod list_users;
mod list_users_in_group;
mod reset_user_password;
mod respond_to_auth_challenge;
mod set_user_password;
mod update_group;
mod update_user_attributes;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::accounts::User;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;
use crate::pools::directory::PoolEntry;
use crate::store::Db;

pub async fn handle(action: &str, ctx: &Ctx, body: &Value) -> Result<Value> {
    match action {
        "AdminCreateUser" => create_user::handle(ctx, body).await,
        "AdminGetUser" => get_user::handle(ctx, body).await,
        "AdminDeleteUser" => delete_user::handle(ctx, body).await,
        "AdminSetUserPassword" => set_user_password::handle(ctx, body).await,
        "AdminConfirmSignUp" => confirm_sign_up::handle(ctx, body).await,
        "AdminUpdateUserAttributes" => update_user_attributes::handle(ctx, body).await,
        "AdminDisableUser" => enable_disable_user::handle(ctx, body, false).await,
        "AdminLinkProviderForUser" => link_provider::link(ctx, body).await,
        "AdminDisableProviderForUser" => link_provider::disable(ctx, body).await,
        "AdminEnableUser" => enable_disable_user::handle(ctx, body, true).await,
        "AdminInitiateAuth" => initiate_auth::handle(ctx, body).await,
        "AdminRespondToAuthChallenge" => respond_to_auth_challenge::handle(ctx, body).await,
        "AdminUserGlobalSignOut" => global_sign_out::handle(ctx, body).await,
        "AdminResetUserPassword" => reset_user_password::handle(ctx, body).await,
        "AdminListUserAuthEvents" => auth_events::list(ctx, body).await,
        "AdminUpdateAuthEventFeedback" => auth_events::feedback(ctx, body).await,
        "AdminAddUserToGroup" => {
            group_membership::handle(ctx, body, group_membership::Change::Add).await
        }
        "AdminRemoveUserFromGroup" => {
            group_membership::handle(ctx, body, group_membership::Change::Remove).await
        }
        "AdminListGroupsForUser" => list_groups_for_user::handle(ctx, body).await,
        "CreateGroup" => create_group::handle(ctx, body).await,
        "GetGroup" => get_group::handle(ctx, body).await,
        "UpdateGroup" => update_group::handle(ctx, body).await,
        "DeleteGroup" => delete_group::handle(ctx, body).await,
        "ListGroups" => list_groups::handle(ctx, body).await,
        "ListUsers" => list_users::handle(ctx, body).await,
        "ListUsersInGroup" => list_users_in_group::handle(ctx, body).await,
        _ => Err(CognitoError::new(
            "UnknownOperationException",
            "Unknown operation.",
        )),
    }
}

/// The pool named by `UserPoolId`.
pub async fn pool(ctx: &Ctx, pool_id: &str) -> Result<Arc<PoolEntry>> {
    wire::check_len("userPoolId", pool_id, 1, 55)?;
    if !crate::pools::is_valid_pool_id(pool_id) {
        return Err(CognitoError::resource_not_found(format!(
            "User pool {pool_id} does not exist."
        )));
    }
    shared::pool(ctx, pool_id).await
}

/// A user by username, alias (email) or sub; unknown is `UserNotFoundException` (admins may know).
pub fn user(db: &Db, entry: &PoolEntry, username: &str) -> Result<User> {
    wire::check_id("username", username)?;
    crate::accounts::service::find_by_login(db, &entry.pool, username)?
        .ok_or_else(CognitoError::user_not_found)
}

/// A new password for the user `login` names, hashed before the write transaction that sets
/// it (`service::NewPassword`). Usernames never change, so reading the name first is safe.
pub async fn prepare_password_for(
    ctx: &Ctx,
    entry: &Arc<PoolEntry>,
    login: &str,
    password: &str,
) -> Result<crate::accounts::service::NewPassword> {
    let (e, l) = (entry.clone(), login.to_string());
    let username = ctx.read(move |db| Ok(user(db, &e, &l)?.username)).await?;
    shared::prepare_password(&entry.pool, &username, password).await
}

/// Cognito's `UserType` (ListUsers, AdminCreateUser).
pub fn user_type(u: &User) -> Value {
    json!({
        "Username": u.username,
        "Attributes": crate::cognito::actions::get_user::attributes(u),
        "UserCreateDate": u.created_at,
        "UserLastModifiedDate": u.updated_at,
        "Enabled": u.enabled,
        "UserStatus": u.status.as_str(),
    })
}

/// Cognito's `GroupType`.
pub fn group_type(g: &crate::store::groups::Group) -> Value {
    let mut v = json!({
        "GroupName": g.name,
        "UserPoolId": g.pool_id,
        "Description": g.description,
        "CreationDate": g.created_at,
        "LastModifiedDate": g.updated_at,
    });
    if let Some(p) = g.precedence {
        v["Precedence"] = json!(p);
    }
    if let Some(r) = &g.role_arn {
        v["RoleArn"] = json!(r);
    }
    v
}

/// A group operation's result in Cognito's words: an unknown group is
/// `ResourceNotFoundException` "Group not found.", a taken name `GroupExistsException`.
pub fn group_result<T>(r: crate::Result<T>) -> Result<T> {
    r.map_err(|e| match e {
        crate::Error::NotFound(_) => CognitoError::resource_not_found("Group not found."),
        crate::Error::AlreadyExists(_) => CognitoError::new(
            "GroupExistsException",
            "A group with the name already exists.",
        ),
        other => other.into(),
    })
}

/// The members of CreateGroup and UpdateGroup (GetGroup and DeleteGroup read the first two).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRequest {
    pub user_pool_id: String,
    pub group_name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
}

/// Reads a `Limit` and a numeric `NextToken` offset.
pub fn page(limit: Option<i64>, max: i64, token: Option<&str>) -> Result<(usize, usize)> {
    page_of("limit", limit, max, token)
}

/// Reads a page size called `member` (`limit`, `maxResults`) and a numeric `NextToken` offset.
pub fn page_of(
    member: &str,
    limit: Option<i64>,
    max: i64,
    token: Option<&str>,
) -> Result<(usize, usize)> {
    let limit = limit.unwrap_or(max);
    if !(1..=max).contains(&limit) {
        return Err(CognitoError::invalid_parameter(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have value between 1 and {max}"
        )));
    }
    let offset = match token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| CognitoError::invalid_parameter("Invalid pagination token."))?,
    };
    Ok((limit as usize, offset))
}

/// One page of `GroupType`s under `Groups` (ListGroups, AdminListGroupsForUser).
pub fn groups_paged(all: &[crate::store::groups::Group], limit: usize, offset: usize) -> Value {
    paged(all, limit, offset, "Groups", group_type)
}

/// One page of `all` under `key`, with a `NextToken` when more follow (the offset as text).
pub fn paged<T>(
    all: &[T],
    limit: usize,
    offset: usize,
    key: &str,
    to: impl Fn(&T) -> Value,
) -> Value {
    let items: Vec<Value> = all.iter().skip(offset).take(limit).map(to).collect();
    let mut out = json!({ key: items });
    if offset + limit < all.len() {
        out["NextToken"] = json!((offset + limit).to_string());
    }
    out
}
