//! The control plane through the Cognito API: app clients and resource servers, created,
//! described, replaced, listed and deleted with SigV4-signed calls, then used for real
//! sign-ins and grants.

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key, api};
use crate::helpers::{
    PASSWORD, TestApp, create_user, exchange_code, jwt_claims as claims, pkce_pair, spawn_app,
};

type Key = (String, String);

async fn setup() -> (TestApp, Key) {
    let app = spawn_app().await;
    let key = admin_key(&app);
    (app, key)
}

async fn call(app: &TestApp, key: &Key, action: &str, body: Value) -> Value {
    let (s, v) = admin_api(app, key, action, body).await;
    assert_eq!(s, 200, "{action}: {v}");
    v
}

/// The first page of ListUserPoolClients (up to 60).
async fn list_clients(app: &TestApp, key: &Key, pool: &str) -> Vec<Value> {
    let list = call(app, key, "ListUserPoolClients", json!({"UserPoolId": pool})).await;
    list["UserPoolClients"].as_array().unwrap().clone()
}

/// Asserts that the signed call is refused with `expected`.
async fn refused(app: &TestApp, key: &Key, action: &str, body: Value, expected: &str) {
    let (s, v) = admin_api(app, key, action, body).await;
    assert_eq!(
        (s, v["__type"].as_str().unwrap_or("")),
        (400, expected),
        "{action}: {v}"
    );
}

/// InitiateAuth USER_PASSWORD_AUTH for ann@example.com; the AuthenticationResult.
async fn password_auth(app: &TestApp, client_id: &str) -> Value {
    let (s, r) = api(
        app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
               "AuthParameters": {"USERNAME": "ann@example.com", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    r["AuthenticationResult"].clone()
}

#[tokio::test]
async fn create_describe_update_list_and_delete_app_clients() {
    let (app, key) = setup().await;
    let pool = app.pool_id.as_str();
    let settings = json!({
        "RefreshTokenValidity": 10,
        "AccessTokenValidity": 30,
        "IdTokenValidity": 2,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
        "ReadAttributes": ["email", "name"],
        "WriteAttributes": ["name"],
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": ["https://app.example.com/cb", "http://localhost:3000/cb"],
        "LogoutURLs": ["https://app.example.com/bye"],
        "DefaultRedirectURI": "https://app.example.com/cb",
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email"],
        "AllowedOAuthFlowsUserPoolClient": true,
        "PreventUserExistenceErrors": "LEGACY",
        "EnableTokenRevocation": false,
        "EnablePropagateAdditionalUserContextData": true,
        "AuthSessionValidity": 7,
    });
    let mut body = settings.clone();
    body["UserPoolId"] = json!(pool);
    body["ClientName"] = json!("web app");
    let created = call(&app, &key, "CreateUserPoolClient", body).await["UserPoolClient"].clone();
    let id = created["ClientId"].as_str().unwrap().to_string();
    assert!(created.get("ClientSecret").is_none(), "public: {created}");
    assert!(created["CreationDate"].is_number());
    let described = call(
        &app,
        &key,
        "DescribeUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": id}),
    )
    .await["UserPoolClient"]
        .clone();
    assert_eq!(described, created);
    for (member, value) in settings.as_object().unwrap() {
        assert_eq!(&described[member], value, "{member} round trip");
    }
    assert_eq!(described["ClientName"], "web app");
    assert_eq!(described["UserPoolId"], pool);

    // Update replaces: omitted members return to their defaults; the name stays.
    let updated = call(
        &app,
        &key,
        "UpdateUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": id, "AccessTokenValidity": 2,
               "CallbackURLs": ["https://other.example.com/cb"]}),
    )
    .await["UserPoolClient"]
        .clone();
    assert_eq!(updated["ClientName"], "web app");
    assert_eq!(updated["AccessTokenValidity"], 2);
    assert_eq!(updated["TokenValidityUnits"]["AccessToken"], "hours");
    assert_eq!(
        updated["CallbackURLs"],
        json!(["https://other.example.com/cb"])
    );
    assert_eq!(updated["ReadAttributes"], json!([]));
    assert_eq!(updated["AllowedOAuthFlows"], json!([]));
    assert_eq!(updated["AllowedOAuthFlowsUserPoolClient"], false);
    assert_eq!(updated["PreventUserExistenceErrors"], "ENABLED");
    assert_eq!(updated["EnableTokenRevocation"], true);
    assert!(updated.get("DefaultRedirectURI").is_none());
    assert_eq!(
        updated["ExplicitAuthFlows"],
        json!(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    );

    // Listing pages through every client exactly once.
    for n in 0..3 {
        call(
            &app,
            &key,
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": format!("extra {n}")}),
        )
        .await;
    }
    let mut seen: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = json!({"UserPoolId": pool, "MaxResults": 2});
        if let Some(t) = &token {
            req["NextToken"] = json!(t);
        }
        let page = call(&app, &key, "ListUserPoolClients", req).await;
        let items = page["UserPoolClients"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|c| c["ClientId"].as_str().unwrap().to_string()),
        );
        pages += 1;
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no client twice");
    assert!(total >= 5 && pages >= 3, "{total} clients in {pages} pages");
    assert!(seen.contains(&id));
    refused(
        &app,
        &key,
        "ListUserPoolClients",
        json!({"UserPoolId": pool, "MaxResults": 61}),
        "InvalidParameterException",
    )
    .await;

    call(
        &app,
        &key,
        "DeleteUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": id}),
    )
    .await;
    refused(
        &app,
        &key,
        "DescribeUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": id}),
        "ResourceNotFoundException",
    )
    .await;
}

#[tokio::test]
async fn created_clients_sign_in_and_get_client_credentials_tokens() {
    let (app, key) = setup().await;
    let pool = app.pool_id.as_str();
    create_user(&app, "ann@example.com", "Ann");
    let public = call(
        &app,
        &key,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool, "ClientName": "spa",
               "ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await["UserPoolClient"]
        .clone();
    assert_eq!(
        public["ExplicitAuthFlows"],
        json!(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
        "the legacy name is mapped"
    );
    let r = password_auth(&app, public["ClientId"].as_str().unwrap()).await;
    assert!(r["AccessToken"].is_string());

    // A resource server whose identifier is a URL, and a machine client for one of its scopes.
    let server = call(
        &app,
        &key,
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example.com", "Name": "API",
               "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read things"},
                          {"ScopeName": "write", "ScopeDescription": "Write things"}]}),
    )
    .await;
    assert_eq!(server["ResourceServer"]["Scopes"][0]["ScopeName"], "read");
    let machine = call(
        &app,
        &key,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool, "ClientName": "batch", "GenerateSecret": true,
               "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthFlowsUserPoolClient": true,
               "AllowedOAuthScopes": ["https://api.example.com/read"]}),
    )
    .await["UserPoolClient"]
        .clone();
    let (id, secret) = (
        machine["ClientId"].as_str().unwrap().to_string(),
        machine["ClientSecret"]
            .as_str()
            .expect("a secret")
            .to_string(),
    );
    let described = call(
        &app,
        &key,
        "DescribeUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": id}),
    )
    .await;
    assert_eq!(described["UserPoolClient"]["ClientSecret"], secret.as_str());
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["scope"], "https://api.example.com/read");
    assert_eq!(access["aud"], "https://api.example.com");

    // Resource servers: describe, list, a duplicate, replace, delete (the client loses the scope).
    refused(
        &app,
        &key,
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example.com", "Name": "Again"}),
        "InvalidParameterException",
    )
    .await;
    let updated = call(
        &app,
        &key,
        "UpdateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example.com", "Name": "API v2",
               "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read it all"}]}),
    )
    .await;
    let d = call(
        &app,
        &key,
        "DescribeResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example.com"}),
    )
    .await;
    assert_eq!(d, updated);
    assert_eq!(d["ResourceServer"]["Name"], "API v2");
    assert_eq!(
        d["ResourceServer"]["Scopes"],
        json!([{"ScopeName": "read", "ScopeDescription": "Read it all"}])
    );
    call(
        &app,
        &key,
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "reports", "Name": "Reports"}),
    )
    .await;
    let page = call(
        &app,
        &key,
        "ListResourceServers",
        json!({"UserPoolId": pool, "MaxResults": 1}),
    )
    .await;
    assert_eq!(page["ResourceServers"].as_array().unwrap().len(), 1);
    let next = page["NextToken"].as_str().expect("a second page");
    let page2 = call(
        &app,
        &key,
        "ListResourceServers",
        json!({"UserPoolId": pool, "MaxResults": 1, "NextToken": next}),
    )
    .await;
    assert_eq!(page2["ResourceServers"][0]["Identifier"], "reports");
    assert!(page2.get("NextToken").is_none());
    call(
        &app,
        &key,
        "DeleteResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example.com"}),
    )
    .await;
    let after = call(
        &app,
        &key,
        "DescribeUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": id}),
    )
    .await;
    assert_eq!(after["UserPoolClient"]["AllowedOAuthScopes"], json!([]));
    refused(
        &app,
        &key,
        "DescribeResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example.com"}),
        "ResourceNotFoundException",
    )
    .await;
}

#[tokio::test]
async fn bad_configurations_unknown_things_and_unsigned_calls_are_refused() {
    let (app, key) = setup().await;
    let pool = app.pool_id.as_str();
    let create = |extra: Value| {
        let mut b = json!({"UserPoolId": pool, "ClientName": "bad"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = [
        (
            json!({"AllowedOAuthFlows": ["implicit"]}),
            "InvalidOAuthFlowException",
        ),
        (
            json!({"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": []}),
            "InvalidOAuthFlowException",
        ),
        (
            json!({"CallbackURLs": ["http://app.example.com/cb"]}),
            "InvalidParameterException",
        ),
        (
            json!({"CallbackURLs": ["https://app.example.com/cb#x"]}),
            "InvalidParameterException",
        ),
        (
            json!({"CallbackURLs": ["https://a.example.com/cb"], "DefaultRedirectURI": "https://b.example.com/cb"}),
            "InvalidParameterException",
        ),
        (
            json!({"AllowedOAuthScopes": ["nothing/here"]}),
            "ScopeDoesNotExistException",
        ),
        (
            json!({"ExplicitAuthFlows": ["CUSTOM_AUTH_FLOW_ONLY"]}),
            "InvalidParameterException",
        ),
        (
            json!({"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}}),
            "InvalidParameterException",
        ),
    ];
    for (extra, expected) in cases {
        refused(
            &app,
            &key,
            "CreateUserPoolClient",
            create(extra.clone()),
            expected,
        )
        .await;
    }
    let missing_pool = "local_Nope12345";
    refused(
        &app,
        &key,
        "CreateUserPoolClient",
        json!({"UserPoolId": missing_pool, "ClientName": "x"}),
        "ResourceNotFoundException",
    )
    .await;
    refused(
        &app,
        &key,
        "ListResourceServers",
        json!({"UserPoolId": missing_pool}),
        "ResourceNotFoundException",
    )
    .await;
    for action in [
        "DescribeUserPoolClient",
        "UpdateUserPoolClient",
        "DeleteUserPoolClient",
    ] {
        refused(
            &app,
            &key,
            action,
            json!({"UserPoolId": pool, "ClientId": "nosuchclient"}),
            "ResourceNotFoundException",
        )
        .await;
    }
    // Unsigned: refused like the admin actions, and nothing is created.
    for action in [
        "CreateUserPoolClient",
        "ListUserPoolClients",
        "CreateResourceServer",
    ] {
        let (s, v) = api(
            &app,
            action,
            json!({"UserPoolId": pool, "ClientName": "sneaky", "Identifier": "x", "Name": "x"}),
        )
        .await;
        assert_eq!(
            (s, v["__type"].as_str().unwrap()),
            (400, "MissingAuthenticationTokenException"),
            "{action}"
        );
    }
    let (s, v) = api(
        &app,
        "AdminGetUser",
        json!({"UserPoolId": pool, "Username": "x"}),
    )
    .await;
    assert_eq!(
        (s, v["__type"].as_str().unwrap()),
        (400, "MissingAuthenticationTokenException")
    );
    let list = list_clients(&app, &key, pool).await;
    assert!(
        list.iter()
            .all(|c| c["ClientName"] != "sneaky" && c["ClientName"] != "bad")
    );
}

#[tokio::test]
async fn read_and_write_attributes_are_enforced() {
    let (app, key) = setup().await;
    let pool = app.pool_id.as_str();
    create_user(&app, "ann@example.com", "Ann");
    // The default client, replaced through the API: code flow for userinfo, password auth for
    // the Cognito API, and `locale` neither readable nor writable.
    call(
        &app,
        &key,
        "UpdateUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": app.client_id,
               "CallbackURLs": [app.redirect_uri], "AllowedOAuthFlows": ["code"],
               "AllowedOAuthFlowsUserPoolClient": true,
               "AllowedOAuthScopes": ["openid", "email", "profile"],
               "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
               "ReadAttributes": ["email", "email_verified", "name"],
               "WriteAttributes": ["name"]}),
    )
    .await;
    let r = password_auth(&app, &app.client_id).await;
    let access = r["AccessToken"].as_str().unwrap().to_string();
    let id_token = claims(r["IdToken"].as_str().unwrap());
    assert_eq!(id_token["name"], "Ann");
    assert!(id_token.get("locale").is_none(), "{id_token}");
    assert!(id_token["sub"].is_string());
    let (_, user) = api(&app, "GetUser", json!({"AccessToken": access})).await;
    let names: Vec<&str> = user["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"sub") && names.contains(&"name") && names.contains(&"email"),
        "{names:?}"
    );
    assert!(!names.contains(&"locale"), "{names:?}");

    let (s, v) = api(
        &app,
        "UpdateUserAttributes",
        json!({"AccessToken": access, "UserAttributes": [{"Name": "locale", "Value": "fr"}]}),
    )
    .await;
    assert_eq!(
        (s, v["__type"].as_str().unwrap()),
        (400, "NotAuthorizedException")
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("unauthorized attribute")
    );
    let (s, v) = api(
        &app,
        "UpdateUserAttributes",
        json!({"AccessToken": access, "UserAttributes": [{"Name": "name", "Value": "Annie"}]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // userinfo through the hosted code flow.
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let q = app
        .login_for_code(
            &browser,
            "ann@example.com",
            &[
                ("scope", "openid email profile"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let tokens = exchange_code(&app, &q["code"], &verifier).await;
    let info: Value = reqwest::Client::new()
        .get(app.url("/oauth2/userInfo"))
        .bearer_auth(tokens["access_token"].as_str().expect("an access token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["name"], "Annie");
    assert!(info["sub"].is_string());
    assert!(info.get("locale").is_none(), "{info}");
    assert!(info.get("updated_at").is_none(), "{info}");
}

#[tokio::test]
async fn signed_control_actions_survive_hostile_bodies() {
    let (app, key) = setup().await;
    let pool = app.pool_id.clone();
    let long = "x".repeat(5000);
    let members = [
        "ClientName",
        "ClientId",
        "Identifier",
        "Name",
        "NextToken",
        "MaxResults",
        "CallbackURLs",
        "LogoutURLs",
        "DefaultRedirectURI",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "ExplicitAuthFlows",
        "ReadAttributes",
        "WriteAttributes",
        "TokenValidityUnits",
        "AccessTokenValidity",
        "RefreshTokenValidity",
        "AuthSessionValidity",
        "PreventUserExistenceErrors",
        "RefreshTokenRotation",
        "Scopes",
        "GenerateSecret",
        "ClientSecret",
        "ProviderName",
        "ProviderType",
        "ProviderDetails",
        "AttributeMapping",
        "IdpIdentifiers",
        "IdpIdentifier",
        "CompromisedCredentialsRiskConfiguration",
        "AccountTakeoverRiskConfiguration",
        "RiskExceptionConfiguration",
        "EmailMfaConfiguration",
    ];
    let values = [
        json!(null),
        json!(-1),
        json!(i64::MAX),
        json!(1.5),
        json!(true),
        json!(""),
        json!(long),
        json!("\u{0000}\u{202e}"),
        json!(["implicit", "../..", long]),
        json!([{"ScopeName": "a/b", "ScopeDescription": ""}]),
        json!({"AccessToken": "weeks", "Feature": 7}),
    ];
    // Every action but the one that would delete the pool the rest of the test reads.
    let actions = incognito::cognito::actions::control::ACTIONS
        .iter()
        .filter(|a| **a != "DeleteUserPool");
    for action in actions {
        for value in &values {
            let mut body = serde_json::Map::new();
            body.insert("UserPoolId".into(), json!(pool));
            for m in members {
                body.insert(m.into(), value.clone());
            }
            let (s, v) = admin_api(&app, &key, action, Value::Object(body)).await;
            assert!(
                s == 200 || (s == 400 && v["__type"].is_string()),
                "{action} with {value}: {s} {v}"
            );
        }
    }
    // Nothing hostile was stored: every client left describes cleanly.
    let list = list_clients(&app, &key, &pool).await;
    for c in &list {
        call(
            &app,
            &key,
            "DescribeUserPoolClient",
            json!({"UserPoolId": pool, "ClientId": c["ClientId"]}),
        )
        .await;
    }
}
