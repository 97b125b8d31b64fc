//! Groups through the Cognito API (GetGroup, UpdateGroup, DeleteGroup, RoleArn and precedence
//! in tokens) and scoped admin keys (`admin-key create --pool / --read-only`).

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key};
use crate::helpers::{PASSWORD, TestApp, create_client, create_user, jwt_claims, spawn_app};

const ROLE_A: &str = "arn:aws:iam::123456789012:role/Admins";
const ROLE_B: &str = "arn:aws:iam::123456789012:role/path/Editors";

type Key = (String, String);

/// A signed admin call that must succeed; its answer.
async fn ok(app: &TestApp, key: &Key, action: &str, body: Value) -> Value {
    let (s, r) = admin_api(app, key, action, body).await;
    assert_eq!(s, 200, "{action}: {r}");
    r
}

/// A signed admin call that must fail (HTTP 400) with `error`; its message.
async fn refused(app: &TestApp, key: &Key, action: &str, body: Value, error: &str) -> String {
    let (s, r) = admin_api(app, key, action, body).await;
    assert_eq!(s, 400, "{action}: {r}");
    assert_eq!(r["__type"], error, "{action}: {r}");
    r["message"].as_str().unwrap().to_string()
}

/// GetGroup's `Group` in the default pool.
async fn get_group(app: &TestApp, key: &Key, name: &str) -> Value {
    let body = json!({"UserPoolId": app.pool_id, "GroupName": name});
    ok(app, key, "GetGroup", body).await["Group"].clone()
}

/// ListGroups' `Groups` of a pool.
async fn groups_of(app: &TestApp, key: &Key, pool: &str) -> Value {
    ok(app, key, "ListGroups", json!({"UserPoolId": pool})).await["Groups"].clone()
}

/// A key made by the CLI, as an operator makes it: (id, secret).
fn cli_key(app: &TestApp, extra: &[&str]) -> Key {
    let mut args = vec!["admin-key", "create"];
    args.extend_from_slice(extra);
    let k = crate::cli::ok_json(app.data_path(), &args);
    (
        k["access_key_id"].as_str().unwrap().to_string(),
        k["secret_access_key"].as_str().unwrap().to_string(),
    )
}

/// The ID token's claims after ADMIN_USER_PASSWORD_AUTH.
async fn id_token_claims(app: &TestApp, key: &Key, email: &str) -> Value {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec!["ALLOW_ADMIN_USER_PASSWORD_AUTH".into()],
        ..Default::default()
    };
    let (client, _) = create_client(app, settings, false);
    let r = ok(
        app,
        key,
        "AdminInitiateAuth",
        json!({"UserPoolId": app.pool_id, "ClientId": client, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}}),
    )
    .await;
    jwt_claims(r["AuthenticationResult"]["IdToken"].as_str().unwrap())
}

fn new_user(pool: &str, username: &str) -> Value {
    json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS",
           "UserAttributes": [{"Name": "name", "Value": "Bob"}, {"Name": "locale", "Value": "en"}]})
}

/// A server with the user ann@example.com and an unscoped key; (app, key, pool id).
async fn with_ann() -> (TestApp, Key, String) {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let pool = app.pool_id.clone();
    create_user(&app, "ann@example.com", "Ann");
    (app, key, pool)
}

#[tokio::test]
async fn get_update_delete_group_round_trip() {
    let (app, key, pool) = with_ann().await;
    let r = ok(
        &app,
        &key,
        "CreateGroup",
        json!({"UserPoolId": pool, "GroupName": "editors", "Description": "Edit things",
               "Precedence": 5, "RoleArn": ROLE_A}),
    )
    .await;
    assert_eq!(r["Group"]["RoleArn"], ROLE_A);
    let g = get_group(&app, &key, "editors").await;
    assert_eq!(g["Description"], "Edit things");
    assert_eq!(g["Precedence"], 5);
    assert_eq!(g["RoleArn"], ROLE_A);
    assert_eq!(g["UserPoolId"], pool.as_str());

    // Only the members given change.
    let update = json!({"UserPoolId": pool, "GroupName": "editors", "Precedence": 2});
    let r = ok(&app, &key, "UpdateGroup", update).await;
    assert_eq!(r["Group"]["Precedence"], 2);
    assert_eq!(r["Group"]["Description"], "Edit things");
    assert_eq!(r["Group"]["RoleArn"], ROLE_A);
    let update = json!({"UserPoolId": pool, "GroupName": "editors", "Description": "New", "RoleArn": ROLE_B});
    ok(&app, &key, "UpdateGroup", update).await;
    let g = get_group(&app, &key, "editors").await;
    assert_eq!(g["Description"], "New");
    assert_eq!(g["RoleArn"], ROLE_B);
    assert_eq!(g["Precedence"], 2);

    // Deleting takes the memberships with it.
    let member = json!({"UserPoolId": pool, "GroupName": "editors", "Username": "ann@example.com"});
    ok(&app, &key, "AdminAddUserToGroup", member).await;
    let of_ann = json!({"UserPoolId": pool, "Username": "ann@example.com"});
    let r = ok(&app, &key, "AdminListGroupsForUser", of_ann.clone()).await;
    assert_eq!(r["Groups"][0]["GroupName"], "editors");
    let gone = json!({"UserPoolId": pool, "GroupName": "editors"});
    ok(&app, &key, "DeleteGroup", gone).await;
    let r = ok(&app, &key, "AdminListGroupsForUser", of_ann).await;
    assert_eq!(r["Groups"], json!([]));
    assert_eq!(groups_of(&app, &key, &pool).await, json!([]));

    // Now unknown, to every group action.
    for action in ["GetGroup", "UpdateGroup", "DeleteGroup"] {
        let body = json!({"UserPoolId": pool, "GroupName": "editors", "Description": "x"});
        let message = refused(&app, &key, action, body, "ResourceNotFoundException").await;
        assert_eq!(message, "Group not found.", "{action}");
    }
}

#[tokio::test]
async fn a_bad_role_arn_is_refused() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let pool = app.pool_id.clone();
    // The first two satisfy Cognito's model pattern; the role check refuses them (no IAM role).
    for arn in [
        "arn:aws:iam::123456789012:user/Admins",
        "arn:aws:s3:::bucket-name-here/key",
        "not an arn",
    ] {
        let body = json!({"UserPoolId": pool, "GroupName": "g", "RoleArn": arn});
        refused(&app, &key, "CreateGroup", body, "InvalidParameterException").await;
    }
    assert_eq!(
        groups_of(&app, &key, &pool).await,
        json!([]),
        "no group made"
    );
    let good = json!({"UserPoolId": pool, "GroupName": "g", "RoleArn": ROLE_A});
    ok(&app, &key, "CreateGroup", good).await;
    let bad = json!({"UserPoolId": pool, "GroupName": "g", "RoleArn": "arn:aws:iam::1234:role/x"});
    refused(&app, &key, "UpdateGroup", bad, "InvalidParameterException").await;
    assert_eq!(
        get_group(&app, &key, "g").await["RoleArn"],
        ROLE_A,
        "unchanged"
    );
}

#[tokio::test]
async fn precedence_orders_groups_and_picks_the_preferred_role() {
    let (app, key, pool) = with_ann().await;
    // Created in an order that is neither the name order nor the precedence order.
    for (name, precedence, role) in [
        ("zeta", Some(1), Some(ROLE_B)),
        ("alpha", None, Some(ROLE_A)),
        ("mid", Some(0), None),
        ("beta", Some(7), None),
    ] {
        let mut body = json!({"UserPoolId": pool, "GroupName": name});
        if let Some(p) = precedence {
            body["Precedence"] = json!(p);
        }
        if let Some(r) = role {
            body["RoleArn"] = json!(r);
        }
        ok(&app, &key, "CreateGroup", body).await;
        let member = json!({"UserPoolId": pool, "GroupName": name, "Username": "ann@example.com"});
        ok(&app, &key, "AdminAddUserToGroup", member).await;
    }
    let c = id_token_claims(&app, &key, "ann@example.com").await;
    assert_eq!(c["cognito:groups"], json!(["mid", "zeta", "beta", "alpha"]));
    assert_eq!(c["cognito:roles"], json!([ROLE_B, ROLE_A]));
    assert_eq!(c["cognito:preferred_role"], ROLE_B);

    // Give "alpha" the best precedence: it leads, and its role is preferred.
    let update = json!({"UserPoolId": pool, "GroupName": "alpha", "Precedence": 0});
    ok(&app, &key, "UpdateGroup", update).await;
    let c = id_token_claims(&app, &key, "ann@example.com").await;
    assert_eq!(c["cognito:groups"], json!(["alpha", "mid", "zeta", "beta"]));
    assert_eq!(c["cognito:preferred_role"], ROLE_A);

    // Two groups at the same precedence with different roles: no preferred role.
    let update = json!({"UserPoolId": pool, "GroupName": "zeta", "Precedence": 0});
    ok(&app, &key, "UpdateGroup", update).await;
    let c = id_token_claims(&app, &key, "ann@example.com").await;
    assert!(c.get("cognito:preferred_role").is_none(), "{c}");
    assert_eq!(c["cognito:roles"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_pool_scoped_key_acts_on_its_pool_only() {
    let app = spawn_app().await;
    let new_pool = crate::cli::ok_json(app.data_path(), &["pool", "create", "--name", "Other"]);
    let other = new_pool["id"].as_str().unwrap().to_string();
    let scoped = cli_key(&app, &["--pool", &app.pool_id]);
    let listed = crate::cli::ok_json(app.data_path(), &["admin-key", "list"]);
    assert_eq!(listed[0]["pool_id"], app.pool_id.as_str());
    assert_eq!(listed[0]["read_only"], false);

    let mine = json!({"UserPoolId": app.pool_id, "GroupName": "mine"});
    ok(&app, &scoped, "CreateGroup", mine).await;
    let theirs = json!({"UserPoolId": other, "GroupName": "theirs"});
    let message = refused(
        &app,
        &scoped,
        "CreateGroup",
        theirs.clone(),
        "AccessDeniedException",
    )
    .await;
    let expected = format!(
        "User: arn:aws:iam::000000000000:user/{} is not authorized to perform: cognito-idp:CreateGroup on resource: arn:aws:cognito-idp:local:000000000000:userpool/{other}",
        scoped.0
    );
    assert_eq!(message, expected);
    let own = json!({"UserPoolId": app.pool_id});
    ok(&app, &scoped, "DescribeUserPool", own).await;
    // Actions that name no pool are not for a pool-scoped key (no filtered ListUserPools).
    for (action, body) in [
        ("ListUserPools", json!({"MaxResults": 10})),
        ("CreateUserPool", json!({"PoolName": "Mine too"})),
        ("ListUsers", json!({"UserPoolId": other})),
        (
            "AdminGetUser",
            json!({"UserPoolId": other, "Username": "ann@example.com"}),
        ),
    ] {
        refused(&app, &scoped, action, body, "AccessDeniedException").await;
    }

    // An unscoped key reaches the other pool: the refusal was the scope's.
    let all = cli_key(&app, &[]);
    ok(&app, &all, "CreateGroup", theirs).await;
    assert_eq!(
        groups_of(&app, &all, &other).await[0]["GroupName"],
        "theirs"
    );
}

#[tokio::test]
async fn a_read_only_key_reads_but_does_not_write() {
    let app = spawn_app().await;
    create_user(&app, "ann@example.com", "Ann");
    let reader = cli_key(&app, &["--read-only", "--description", "reports"]);
    let listed = crate::cli::ok_json(app.data_path(), &["admin-key", "list"]);
    assert_eq!(listed[0]["read_only"], true);
    assert_eq!(listed[0]["pool_id"], Value::Null);
    let pool = app.pool_id.clone();

    let r = ok(&app, &reader, "ListUsers", json!({"UserPoolId": pool})).await;
    assert_eq!(r["Users"].as_array().unwrap().len(), 1);
    let ann = json!({"UserPoolId": pool, "Username": "ann@example.com"});
    ok(&app, &reader, "AdminGetUser", ann.clone()).await;
    groups_of(&app, &reader, &pool).await;

    for (action, body) in [
        ("AdminCreateUser", new_user(&pool, "bob@example.com")),
        ("CreateGroup", json!({"UserPoolId": pool, "GroupName": "g"})),
        ("AdminDeleteUser", ann),
    ] {
        let message = refused(&app, &reader, action, body, "AccessDeniedException").await;
        assert!(
            message.contains(&format!("cognito-idp:{action} on resource")),
            "{message}"
        );
    }
    // Nothing was written.
    let all = cli_key(&app, &[]);
    let r = ok(&app, &all, "ListUsers", json!({"UserPoolId": pool})).await;
    assert_eq!(r["Users"].as_array().unwrap().len(), 1);
    assert_eq!(groups_of(&app, &all, &pool).await, json!([]));
}

#[tokio::test]
async fn an_unscoped_key_may_do_everything() {
    let app = spawn_app().await;
    let all = cli_key(&app, &["--description", "everything"]);
    let listed = crate::cli::ok_json(app.data_path(), &["admin-key", "list"]);
    assert_eq!(listed[0]["pool_id"], Value::Null);
    assert_eq!(listed[0]["read_only"], false);
    let pool = app.pool_id.clone();
    let group = json!({"UserPoolId": pool, "GroupName": "g"});
    for (action, body) in [
        ("AdminCreateUser", new_user(&pool, "bob@example.com")),
        ("CreateGroup", group.clone()),
        (
            "AdminAddUserToGroup",
            json!({"UserPoolId": pool, "GroupName": "g", "Username": "bob@example.com"}),
        ),
        ("ListUsers", json!({"UserPoolId": pool})),
        (
            "AdminGetUser",
            json!({"UserPoolId": pool, "Username": "bob@example.com"}),
        ),
        (
            "UpdateGroup",
            json!({"UserPoolId": pool, "GroupName": "g", "Precedence": 3}),
        ),
        ("DeleteGroup", group),
    ] {
        ok(&app, &all, action, body).await;
    }
}

#[tokio::test]
async fn the_cli_updates_and_deletes_groups_through_the_same_checks() {
    let app = spawn_app().await;
    let d = app.data_path();
    let pool = app.pool_id.as_str();
    // `group VERB --pool POOL --name ops EXTRA...`
    let ops = |verb: &'static str, extra: &[&'static str]| {
        let mut args = vec!["group", verb, "--pool", pool, "--name", "ops"];
        args.extend_from_slice(extra);
        args
    };
    let g = crate::cli::ok_json(d, &ops("create", &["--role-arn", ROLE_A]));
    assert_eq!(g["role_arn"], ROLE_A);
    let g = crate::cli::ok_json(d, &ops("update", &["--precedence", "4"]));
    assert_eq!(g["precedence"], 4);
    assert_eq!(g["role_arn"], ROLE_A, "untouched");
    let err = crate::cli::fails(d, &ops("update", &["--role-arn", "arn:aws:iam::1:role/x"]));
    assert!(err.contains("role ARN"), "{err}");
    let key = admin_key(&app);
    let g = get_group(&app, &key, "ops").await;
    assert_eq!(g["Precedence"], 4);
    assert_eq!(g["RoleArn"], ROLE_A);
    crate::cli::ok_json(d, &ops("delete", &[]));
    let err = crate::cli::fails(d, &ops("delete", &[]));
    assert!(err.contains("ops"), "{err}");
    let body = json!({"UserPoolId": pool, "GroupName": "ops"});
    refused(&app, &key, "GetGroup", body, "ResourceNotFoundException").await;
}
