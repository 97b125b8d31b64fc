//! PreTokenGeneration against the stub target of `trigger_stub`: Cognito's V1/V2/V3 events
//! from every issue path (hosted code flow, refresh at the token endpoint and through the
//! Cognito API, Cognito sign-in, NEW_PASSWORD_REQUIRED, client credentials), the response
//! applied as Cognito does, reserved claims unchanged, and the failures.

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key, api};
use crate::helpers::{PASSWORD, TestApp, create_client, create_user, jwt_claims, pkce_pair};
use crate::trigger_stub::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/staff";
const ROLE_B: &str = "arn:aws:iam::123456789012:role/admin";

/// A PreTokenGeneration of `version` ("V2_0", "V3_0") at `url`.
fn set_versioned(app: &TestApp, version: &str, url: &str) {
    set_lambda_config(
        app,
        json!({"PreTokenGeneration": url,
               "PreTokenGenerationConfig": {"LambdaVersion": version, "LambdaArn": url}}),
    );
}

/// A user in group "staff" (with a role).
async fn staff_user(app: &TestApp, email: &str) -> String {
    let sub = create_user(app, email, "Ann");
    let key = admin_key(app);
    let (s, r) = admin_api(
        app,
        &key,
        "CreateGroup",
        json!({"UserPoolId": app.pool_id, "GroupName": "staff", "Precedence": 1, "RoleArn": ROLE}),
    )
    .await;
    assert!(s == 200 || r["__type"] == "GroupExistsException", "{r}");
    let (s, r) = admin_api(
        app,
        &key,
        "AdminAddUserToGroup",
        json!({"UserPoolId": app.pool_id, "Username": email, "GroupName": "staff"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    sub
}

/// authorize → sign-in form → code → tokens, with the default public client and `scope`.
async fn code_flow(app: &TestApp, email: &str, scope: &str) -> (u16, Value) {
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let q = app
        .login_for_code(
            &browser,
            email,
            &[
                ("scope", scope),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", app.redirect_uri.as_str()),
            ("client_id", app.client_id.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn refresh_grant(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", app.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Every key path of an event, below `userAttributes`/`clientMetadata` not descended.
fn keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            let path = format!("{prefix}{k}");
            out.push(path.clone());
            if !matches!(k.as_str(), "userAttributes" | "clientMetadata") {
                keys(v, &format!("{path}."), out);
            }
        }
    }
    out.sort();
}

fn key_paths(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    keys(v, "", &mut out);
    out
}

/// Cognito's published V1 sample event (TokenGeneration_HostedAuth), as kept beside the
/// example handlers.
fn v1_sample() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/triggers/test/events/pre-token-generation-hosted-auth.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn claim_names(jwt: &str) -> Vec<String> {
    let mut names: Vec<String> = jwt_claims(jwt)
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

fn sources(stub: &Stub) -> Vec<String> {
    stub.requests()
        .iter()
        .map(|r| r.event()["triggerSource"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn v1_hosted_code_flow_and_refresh_apply_claims_and_groups_but_never_reserved_claims() {
    let app = app_with_secret().await;
    let sub = staff_user(&app, "ann@example.com").await;
    let scope = "openid email profile offline_access";

    // No trigger: no call, and these are the plain tokens.
    let (s, plain) = code_flow(&app, "ann@example.com", scope).await;
    assert_eq!(s, 200, "{plain}");
    let plain_id = jwt_claims(plain["id_token"].as_str().unwrap());
    assert_eq!(plain_id["cognito:groups"], json!(["staff"]));
    assert_eq!(plain_id["cognito:roles"], json!([ROLE]));

    let stub = Stub::start(|_, r| {
        Reply::answer(
            r,
            json!({"claimsOverrideDetails": {
                "claimsToAddOrOverride": {
                    "tenantId": "tenant-acme", "name": "Annie", "plan": "gold",
                    "sub": "forged", "iss": "https://evil.example", "aud": "other",
                    "token_use": "access", "cognito:username": "mallory", "exp": "9999999999",
                    "auth_time": "1", "jti": "x", "origin_jti": "y", "nonce": "n",
                    "cognito:groups": "root", "dev:x": "y", "event_id": "e",
                },
                "claimsToSuppress": ["plan", "email", "sub", "iat", "at_hash"],
                "groupOverrideDetails": {
                    "groupsToOverride": ["admin", "editor"],
                    "iamRolesToOverride": [ROLE_B],
                    "preferredRole": ROLE_B,
                },
            }}),
        )
    });
    set_trigger(&app, "PreTokenGeneration", &stub.url);
    let (s, t) = code_flow(&app, "ann@example.com", scope).await;
    assert_eq!(s, 200, "{t}");

    let seen = stub.requests();
    assert_eq!(seen.len(), 1);
    assert!(verify_signature(&seen[0]));
    let event = seen[0].event();
    assert_eq!(key_paths(&event), key_paths(&v1_sample()), "{event}");
    check_envelope(&app, &event, "TokenGeneration_HostedAuth", &app.client_id);
    let attrs = &event["request"]["userAttributes"];
    assert_eq!(attrs["sub"], sub.as_str());
    assert_eq!(attrs["email"], "ann@example.com");
    assert_eq!(attrs["email_verified"], "true");
    assert_eq!(attrs["cognito:user_status"], "CONFIRMED");
    assert_eq!(attrs["name"], "Ann");
    assert_eq!(
        event["request"]["groupConfiguration"],
        json!({"groupsToOverride": ["staff"], "iamRolesToOverride": [ROLE], "preferredRole": ROLE})
    );
    assert_eq!(event["response"], json!({"claimsOverrideDetails": null}));

    let id = jwt_claims(t["id_token"].as_str().unwrap());
    let access = jwt_claims(t["access_token"].as_str().unwrap());
    assert_eq!(id["tenantId"], "tenant-acme");
    assert_eq!(id["name"], "Annie");
    assert!(id.get("plan").is_none(), "suppression wins over addition");
    assert!(id.get("email").is_none());
    for same in ["sub", "iss", "aud", "token_use", "cognito:username"] {
        assert_eq!(id[same], plain_id[same], "{same} is reserved");
    }
    for (claim, forged) in [
        ("auth_time", json!("1")),
        ("jti", json!("x")),
        ("origin_jti", json!("y")),
        ("event_id", json!("e")),
        ("exp", json!("9999999999")),
    ] {
        assert_ne!(id[claim], forged, "{claim} is reserved");
        assert!(!id[claim].is_null(), "{claim} is kept");
    }
    assert_eq!(id["sub"], sub.as_str());
    assert_eq!(id["iss"], app.issuer());
    assert_eq!(id["aud"], app.client_id.as_str());
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["cognito:username"], plain_id["cognito:username"]);
    assert!(id["exp"].is_i64() && id["iat"].is_i64() && id["at_hash"].is_string());
    assert!(id.get("dev:x").is_none() && id.get("nonce").is_none());
    assert_eq!(id["cognito:groups"], json!(["admin", "editor"]));
    assert_eq!(id["cognito:roles"], json!([ROLE_B]));
    assert_eq!(id["cognito:preferred_role"], ROLE_B);
    // V1 changes only the ID token, but the groups in both.
    assert_eq!(access["cognito:groups"], json!(["admin", "editor"]));
    assert!(access.get("tenantId").is_none());
    assert_eq!(access["scope"], scope);
    assert_eq!(access["sub"], sub.as_str());
    // The access token still works where access tokens are checked.
    let info = reqwest::Client::new()
        .get(app.url("/oauth2/userInfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);

    // A refresh at the token endpoint fires `_RefreshTokens` with the same result.
    let (s, r) = refresh_grant(&app, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        sources(&stub),
        [
            "TokenGeneration_HostedAuth",
            "TokenGeneration_RefreshTokens"
        ]
    );
    let id = jwt_claims(r["id_token"].as_str().unwrap());
    assert_eq!(id["tenantId"], "tenant-acme");
    assert_eq!(id["cognito:groups"], json!(["admin", "editor"]));
}

#[tokio::test]
async fn a_handler_that_changes_nothing_leaves_the_tokens_as_without_a_trigger() {
    let app = app_with_secret().await;
    staff_user(&app, "ann@example.com").await;
    let client = crate::cognito::password_client(&app);
    let (s, plain) =
        crate::cognito::password_auth(&app, &client, "ann@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{plain}");
    let stub = Stub::start(|_, r| Reply::answer(r, json!({"claimsOverrideDetails": null})));
    set_trigger(&app, "PreTokenGeneration", &stub.url);
    let (s, t) = crate::cognito::password_auth(&app, &client, "ann@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(stub.requests().len(), 1);
    for token in ["IdToken", "AccessToken"] {
        let (before, after) = (
            plain["AuthenticationResult"][token].as_str().unwrap(),
            t["AuthenticationResult"][token].as_str().unwrap(),
        );
        assert_eq!(claim_names(before), claim_names(after), "{token}");
        let (b, a) = (jwt_claims(before), jwt_claims(after));
        for same in ["sub", "cognito:groups", "scope", "email", "cognito:roles"] {
            assert_eq!(b.get(same), a.get(same), "{token} {same}");
        }
    }
}

#[tokio::test]
async fn cognito_sign_in_refresh_and_new_password_fire_with_their_sources() {
    let app = app_with_secret().await;
    let sub = staff_user(&app, "ann@example.com").await;
    let client = crate::cognito::password_client(&app);
    let stub = Stub::start(|_, r| {
        let source = r.event()["triggerSource"].clone();
        Reply::answer(
            r,
            json!({"claimsOverrideDetails": {"claimsToAddOrOverride": {"source": source}}}),
        )
    });
    set_trigger(&app, "PreTokenGeneration", &stub.url);

    let (s, r) = crate::cognito::password_auth(&app, &client, "ann@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{r}");
    let result = &r["AuthenticationResult"];
    let id = jwt_claims(result["IdToken"].as_str().unwrap());
    assert_eq!(id["source"], "TokenGeneration_Authentication");
    let event = stub.requests()[0].event();
    check_envelope(&app, &event, "TokenGeneration_Authentication", &client);
    assert_eq!(event["userName"], id["cognito:username"]);
    assert!(event["request"].get("scopes").is_none(), "V1 has no scopes");

    let (s, r) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client,
               "AuthParameters": {"REFRESH_TOKEN": result["RefreshToken"]}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let id = jwt_claims(r["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert_eq!(id["source"], "TokenGeneration_RefreshTokens");
    let refresh = r["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .or(result["RefreshToken"].as_str())
        .unwrap()
        .to_string();
    let (s, r) = api(
        &app,
        "GetTokensFromRefreshToken",
        json!({"ClientId": client, "RefreshToken": refresh}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let id = jwt_claims(r["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert_eq!(id["source"], "TokenGeneration_RefreshTokens");

    // A temporary password: the tokens after NEW_PASSWORD_REQUIRED are `_NewPasswordChallenge`.
    let key = admin_key(&app);
    let (s, r) = admin_api(
        &app,
        &key,
        "AdminSetUserPassword",
        json!({"UserPoolId": app.pool_id, "Username": "ann@example.com",
               "Password": "temporary password 1", "Permanent": false}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) =
        crate::cognito::password_auth(&app, &client, "ann@example.com", "temporary password 1")
            .await;
    assert_eq!(
        (s, r["ChallengeName"].as_str()),
        (200, Some("NEW_PASSWORD_REQUIRED")),
        "{r}"
    );
    let (s, t) = api(
        &app,
        "RespondToAuthChallenge",
        json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": client, "Session": r["Session"],
               "ChallengeResponses": {"USERNAME": sub, "NEW_PASSWORD": "my permanent password"},
               "ClientMetadata": {"app": "kiosk"}}),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let id = jwt_claims(t["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert_eq!(id["source"], "TokenGeneration_NewPasswordChallenge");
    // RespondToAuthChallenge's ClientMetadata reaches the trigger (InitiateAuth's never does).
    let last = stub.requests().last().unwrap().event();
    assert_eq!(
        last["request"]["clientMetadata"],
        json!({"app": "kiosk"}),
        "{last}"
    );
    assert_eq!(
        sources(&stub),
        [
            "TokenGeneration_Authentication",
            "TokenGeneration_RefreshTokens",
            "TokenGeneration_RefreshTokens",
            "TokenGeneration_NewPasswordChallenge",
        ]
    );
}

#[tokio::test]
async fn v2_takes_structured_values_per_token_and_edits_the_scopes() {
    let app = app_with_secret().await;
    staff_user(&app, "ann@example.com").await;
    let stub = Stub::start(|_, r| {
        Reply::answer(
            r,
            json!({"claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"tenant": {"id": "acme", "regions": ["eu", "us"]}},
                    "claimsToSuppress": ["name"],
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"level": 3, "admin": true, "client_id": "forged"},
                    "claimsToSuppress": ["cognito:groups"],
                    "scopesToAdd": ["api/extra"],
                    "scopesToSuppress": ["email"],
                },
            }}),
        )
    });
    set_versioned(&app, "V2_0", &stub.url);
    let (s, t) = code_flow(&app, "ann@example.com", "openid email profile").await;
    assert_eq!(s, 200, "{t}");
    let event = stub.requests()[0].event();
    assert_eq!(event["version"], "2");
    assert_eq!(event["triggerSource"], "TokenGeneration_HostedAuth");
    assert_eq!(
        event["request"]["scopes"],
        json!(["openid", "email", "profile"])
    );
    assert_eq!(
        event["response"],
        json!({"claimsAndScopeOverrideDetails": null})
    );
    let mut want = key_paths(&v1_sample());
    want.push("request.scopes".into());
    want.retain(|k| !k.starts_with("response."));
    want.push("response.claimsAndScopeOverrideDetails".into());
    want.retain(|k| k != "response.claimsOverrideDetails");
    want.sort();
    assert_eq!(key_paths(&event), want);

    let id = jwt_claims(t["id_token"].as_str().unwrap());
    let access = jwt_claims(t["access_token"].as_str().unwrap());
    assert_eq!(id["tenant"], json!({"id": "acme", "regions": ["eu", "us"]}));
    assert!(id.get("name").is_none());
    assert!(id.get("level").is_none());
    assert_eq!(access["level"], 3);
    assert_eq!(access["admin"], true);
    assert_eq!(access["client_id"], app.client_id.as_str(), "reserved");
    assert_eq!(
        access["cognito:groups"],
        json!(["staff"]),
        "cognito: claims change only through groupOverrideDetails"
    );
    assert_eq!(access["scope"], "openid profile api/extra");
    assert_eq!(
        t["scope"], "openid profile api/extra",
        "the response's scope too"
    );

    // A V2 pool is not called for machine tokens.
    let (svc, secret) = machine_client(&app);
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .basic_auth(&svc, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(stub.requests().len(), 1);
}

fn machine_client(app: &TestApp) -> (String, String) {
    use incognito::pools::{ClientSettings, OAuthFlow};
    let (id, secret) = create_client(
        app,
        ClientSettings {
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec!["api/read".into(), "api/write".into()],
            ..ClientSettings::default()
        },
        true,
    );
    (id, secret.unwrap())
}

#[tokio::test]
async fn v3_fires_for_client_credentials_with_the_callers_metadata() {
    let app = app_with_secret().await;
    let stub = Stub::start(|_, r| {
        Reply::answer(
            r,
            json!({"claimsAndScopeOverrideDetails": {
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"tenant": "t1", "sub": "forged"},
                    "scopesToSuppress": ["api/write"],
                },
                "groupOverrideDetails": {"groupsToOverride": ["admin"]},
            }}),
        )
    });
    set_versioned(&app, "V3_0", &stub.url);
    let (svc, secret) = machine_client(&app);
    let token = |extra: Vec<(&'static str, &'static str)>| {
        let (svc, secret, url) = (svc.clone(), secret.clone(), app.url("/oauth2/token"));
        async move {
            let mut form = vec![("grant_type", "client_credentials")];
            form.extend(extra);
            let r = reqwest::Client::new()
                .post(url)
                .basic_auth(&svc, Some(&secret))
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, t) = token(vec![("aws_client_metadata", r#"{"caller":"batch"}"#)]).await;
    assert_eq!(s, 200, "{t}");
    let event = stub.requests()[0].event();
    assert_eq!(event["version"], "3");
    check_envelope_v(&app, &event, "TokenGeneration_ClientCredentials", &svc);
    assert_eq!(event["userName"], Value::Null);
    assert_eq!(event["request"]["userAttributes"], json!({}));
    assert_eq!(event["request"]["scopes"], json!(["api/read", "api/write"]));
    assert_eq!(
        event["request"]["clientMetadata"],
        json!({"caller": "batch"})
    );
    let access = jwt_claims(t["access_token"].as_str().unwrap());
    assert_eq!(access["tenant"], "t1");
    assert_eq!(access["sub"], svc.as_str());
    assert_eq!(access["scope"], "api/read");
    assert!(access.get("cognito:groups").is_none());
    assert_eq!(t["scope"], "api/read");

    let (s, e) = token(vec![("aws_client_metadata", "[1, 2]")]).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_request")),
        "{e}"
    );
    assert_eq!(stub.requests().len(), 1, "a bad request calls nothing");
}

/// `check_envelope` for any event version.
fn check_envelope_v(app: &TestApp, event: &Value, source: &str, client_id: &str) {
    let mut v1 = event.clone();
    v1["version"] = json!("1");
    check_envelope(app, &v1, source, client_id);
}

#[tokio::test]
async fn a_failing_trigger_issues_nothing_and_does_not_burn_the_refresh_token() {
    let app = app_with_secret().await;
    staff_user(&app, "ann@example.com").await;
    let client = crate::cognito::password_client(&app);
    let (s, signed_in) = code_flow(&app, "ann@example.com", "openid offline_access").await;
    assert_eq!(s, 200, "{signed_in}");
    // Requests 0-2 fail (a throw, garbage, a throw), then the handler answers.
    let stub = Stub::start(|n, r| match n {
        0 | 2 => Reply::json(400, json!({"errorMessage": "no tenant for this user"})),
        1 => Reply::json(200, json!("not the event")),
        _ => Reply::answer(
            r,
            json!({"claimsOverrideDetails": {"claimsToAddOrOverride": {"ok": "yes"}}}),
        ),
    });
    set_trigger(&app, "PreTokenGeneration", &stub.url);

    let (s, e) = crate::cognito::password_auth(&app, &client, "ann@example.com", PASSWORD).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["__type"], "UserLambdaValidationException");
    assert_eq!(
        e["message"],
        "PreTokenGeneration failed with error no tenant for this user."
    );
    let (s, e) = crate::cognito::password_auth(&app, &client, "ann@example.com", PASSWORD).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidLambdaResponseException")),
        "{e}"
    );
    assert_eq!(e["message"], "Unrecognizable lambda output");

    // At the token endpoint: an OAuth error with Cognito's message, and the refresh token
    // presented stays usable (its rotation is taken back).
    let refresh_token = signed_in["refresh_token"].as_str().unwrap();
    let (s, e) = refresh_grant(&app, refresh_token).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"], "invalid_request");
    assert_eq!(
        e["error_description"],
        "PreTokenGeneration failed with error no tenant for this user."
    );
    assert!(e.get("access_token").is_none());
    let (s, t) = refresh_grant(&app, refresh_token).await;
    assert_eq!(
        s, 200,
        "the same refresh token works once the trigger does: {t}"
    );
    assert_eq!(jwt_claims(t["id_token"].as_str().unwrap())["ok"], "yes");
    // And rotation still holds: the used token is now spent.
    let (s, e) = refresh_grant(&app, refresh_token).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    assert_eq!(stub.requests().len(), 4);
}

/// The guide's handler (examples/triggers/pre-token-generation.mjs), served unchanged by the
/// Node shim: `tenantId` and the roles from the application's table (app-users.json) in the
/// ID token from the hosted code flow, from a refresh, and from SRP sign-in through
/// amazon-cognito-identity-js.
#[tokio::test]
async fn the_guides_handler_through_the_node_shim_puts_tenant_and_roles_in_every_id_token() {
    let js = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let missing = if !crate::helpers::on_path("node") {
        Some("node is missing (Debian package nodejs)")
    } else if !js.join("node_modules/amazon-cognito-identity-js").exists() {
        Some("tests/js/node_modules is missing (npm ci in tests/js)")
    } else {
        None
    };
    if let Some(reason) = missing {
        crate::helpers::skip_or_fail(
            "triggers_tokens::the_guides_handler_through_the_node_shim_puts_tenant_and_roles_in_every_id_token",
            reason,
        );
        return;
    }
    let shim = start_shim("pre-token-generation.mjs", &[]);
    let app = app_with_secret().await;
    create_user(&app, "alice@example.com", "Alice");
    create_user(&app, "nobody@example.com", "Nobody");
    set_trigger(&app, "PreTokenGeneration", &shim.url);
    let check = |id: &Value, how: &str| {
        assert_eq!(id["tenantId"], "tenant-acme", "{how}: {id}");
        assert_eq!(id["cognito:groups"], json!(["admin", "editor"]), "{how}");
        assert_eq!(id["email"], "alice@example.com", "{how}");
    };

    let (s, t) = code_flow(&app, "alice@example.com", "openid email offline_access").await;
    assert_eq!(s, 200, "{t}");
    check(&jwt_claims(t["id_token"].as_str().unwrap()), "code flow");
    let (s, r) = refresh_grant(&app, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(s, 200, "{r}");
    check(&jwt_claims(r["id_token"].as_str().unwrap()), "refresh");

    let client = crate::cognito::password_client(&app);
    let out = std::process::Command::new("node")
        .current_dir(&js)
        .arg("sign-up-and-in.mjs")
        .args([
            "signin",
            &app.address,
            &app.pool_id,
            &client,
            "alice@example.com",
            PASSWORD,
        ])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "SRP sign-in: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id: Value = serde_json::from_slice(&out.stdout).expect("the ID token's claims");
    check(&id, "SRP sign-in (amazon-cognito-identity-js)");

    // A user the application does not know: tokens without its claims.
    let (s, r) = crate::cognito::password_auth(&app, &client, "nobody@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{r}");
    let id = jwt_claims(r["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert!(id.get("tenantId").is_none());
    assert_eq!(id["email"], "nobody@example.com");
}
