//! Leaving Cognito without a Lambda (`migrate_from`): a second Incognito plays the upstream
//! Cognito (it speaks the same API), and the pool under test takes its users over at their
//! first sign-in or reset, or all at once with `incognito migrate cognito`.

use serde_json::{Value, json};

use crate::cli::{fails, ok_json};
use crate::cognito::{admin_api, admin_key, api, mailed_code, password_auth, password_client};
use crate::helpers::{PASSWORD, TestApp, create_user, jwt_claims, spawn_app};

fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

/// An upstream pool with an app client allowed USER_PASSWORD_AUTH and an admin key.
struct Upstream {
    app: TestApp,
    client: String,
    key: (String, String),
}

async fn upstream() -> Upstream {
    let app = spawn_app().await;
    let client = password_client(&app);
    let key = admin_key(&app);
    Upstream { app, client, key }
}

impl Upstream {
    fn spec(&self, endpoint: &str, with_admin: bool) -> String {
        let mut spec = format!(
            "endpoint={endpoint},user_pool_id={},client_id={}",
            self.app.pool_id, self.client
        );
        if with_admin {
            spec += &format!(",admin_key_id={},admin_secret={}", self.key.0, self.key.1);
        }
        spec
    }

    async fn admin(&self, action: &str, body: Value) -> Value {
        let (s, v) = admin_api(&self.app, &self.key, action, body).await;
        assert_eq!(s, 200, "upstream {action}: {v}");
        v
    }

    async fn group(&self, name: &str, precedence: i64, members: &[&str]) {
        self.admin(
            "CreateGroup",
            json!({"UserPoolId": self.app.pool_id, "GroupName": name, "Precedence": precedence}),
        )
        .await;
        for m in members {
            self.admin(
                "AdminAddUserToGroup",
                json!({"UserPoolId": self.app.pool_id, "GroupName": name, "Username": m}),
            )
            .await;
        }
    }
}

/// Points the local pool at the upstream through the CLI, as an operator does, and waits for
/// the running server to notice (its pool cache follows the CLI within a second).
async fn migrate_from(local: &TestApp, spec: &str) -> Value {
    let shown = ok_json(
        local.data_path(),
        &[
            "pool",
            "update",
            "--pool",
            &local.pool_id,
            "--migrate-from",
            spec,
        ],
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    shown
}

async fn local_user(local: &TestApp, key: &(String, String), login: &str) -> (u16, Value) {
    admin_api(
        local,
        key,
        "AdminGetUser",
        json!({"UserPoolId": local.pool_id, "Username": login}),
    )
    .await
}

fn attribute<'a>(user: &'a Value, name: &str) -> Option<&'a str> {
    user["UserAttributes"]
        .as_array()?
        .iter()
        .find(|a| a["Name"] == name)?["Value"]
        .as_str()
}

/// A successful InitiateAuth whose ID token is for `sub`; the token's claims.
fn signed_in_as(status: u16, answer: &Value, sub: &str) -> Value {
    assert_eq!(status, 200, "{answer}");
    let id = jwt_claims(answer["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert_eq!(id["sub"], sub);
    id
}

fn live_families(app: &TestApp, user_id: &str) -> i64 {
    let user_id = user_id.to_string();
    app.state
        .store
        .read_sync(move |db| {
            db.query_one(
                "SELECT count(*) FROM token_families WHERE user_id = ?1 AND revoked_at IS NULL",
                &[&user_id],
                |r| r.get::<i64>(0),
            )
        })
        .unwrap()
}

#[tokio::test]
async fn a_first_sign_in_brings_the_user_over_with_the_same_sub_and_groups() {
    let up = upstream().await;
    let ann_sub = create_user(&up.app, "ann@example.com", "Ann");
    up.group("staff", 5, &[&ann_sub]).await;

    let local = spawn_app().await;
    let client = password_client(&local);
    let key = admin_key(&local);
    let shown = migrate_from(&local, &up.spec(&up.app.address, false)).await;
    assert_eq!(
        shown["settings"]["migrate_from"]["UserPoolId"],
        up.app.pool_id
    );

    // A wrong password is refused upstream, and nobody is created here.
    let (s, v) = password_auth(&local, &client, "ann@example.com", "not her password").await;
    assert_eq!((s, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    let (s, v) = local_user(&local, &key, "ann@example.com").await;
    assert_eq!((s, err_type(&v)), (400, "UserNotFoundException"));

    // The right one signs in here at once, as the same person.
    let (s, v) = password_auth(&local, &client, "ann@example.com", PASSWORD).await;
    let id = signed_in_as(s, &v, &ann_sub);
    assert_eq!(id["email"], "ann@example.com");
    assert_eq!(id["name"], "Ann");
    assert_eq!(id["cognito:groups"], json!(["staff"]));
    assert_eq!(id["iss"], local.issuer());
    // Nothing stays signed in upstream: the refresh token Incognito got there is revoked.
    assert_eq!(live_families(&up.app, &ann_sub), 0);

    // From now on the password is checked here: changing it upstream changes nothing, and
    // SRP (which needs the verifier derived at migration) works too.
    up.admin(
        "AdminSetUserPassword",
        json!({"UserPoolId": up.app.pool_id, "Username": "ann@example.com",
               "Password": "an upstream-only password 1", "Permanent": true}),
    )
    .await;
    let (s, v) = password_auth(&local, &client, "ann@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{v}");
    let srp = crate::cognito::srp_sign_in(&local, &client, "ann@example.com", PASSWORD).await;
    assert!(srp["IdToken"].is_string(), "{srp}");
    let (s, v) = local_user(&local, &key, "ann@example.com").await;
    assert_eq!(s, 200);
    assert_eq!(v["UserStatus"], "CONFIRMED");
    assert_eq!(attribute(&v, "sub"), Some(ann_sub.as_str()));

    // The hosted sign-in page and ADMIN_USER_PASSWORD_AUTH bring users over the same way.
    let zoe_sub = create_user(&up.app, "zoe@example.com", "Zoe");
    let (verifier, challenge) = crate::helpers::pkce_pair();
    let browser = local.browser();
    let query = local
        .login_for_code(
            &browser,
            "zoe@example.com",
            &[
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let tokens = crate::helpers::exchange_code(&local, &query["code"], &verifier).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], zoe_sub.as_str());
    let yan_sub = create_user(&up.app, "yan@example.com", "Yan");
    let admin_client = crate::helpers::create_client(
        &local,
        incognito::pools::ClientSettings {
            auth_flows: vec!["ALLOW_ADMIN_USER_PASSWORD_AUTH".into()],
            ..Default::default()
        },
        false,
    )
    .0;
    let (s, v) = admin_api(
        &local,
        &key,
        "AdminInitiateAuth",
        json!({"UserPoolId": local.pool_id, "ClientId": admin_client,
               "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": "yan@example.com", "PASSWORD": PASSWORD}}),
    )
    .await;
    signed_in_as(s, &v, &yan_sub);
}

#[tokio::test]
async fn resets_bulk_copies_and_an_upstream_that_is_down() {
    let up = upstream().await;
    let bob = create_user(&up.app, "bob@example.com", "Bob");
    let carol = create_user(&up.app, "carol@example.com", "Carol");
    let dave = create_user(&up.app, "dave@example.com", "Dave");
    up.group("admins", 3, &[&bob, &dave]).await;
    up.admin(
        "AdminDisableUser",
        json!({"UserPoolId": up.app.pool_id, "Username": carol}),
    )
    .await;

    let local = spawn_app().await;
    let client = password_client(&local);
    let key = admin_key(&local);
    migrate_from(&local, &up.spec(&up.app.address, true)).await;

    // Forgot password for someone only the upstream knows: read with AdminGetUser, created
    // here RESET_REQUIRED with the same sub, and the reset goes on here.
    let (s, v) = api(
        &local,
        "ForgotPassword",
        json!({"ClientId": client, "Username": "bob@example.com"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = local_user(&local, &key, "bob@example.com").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["UserStatus"], "RESET_REQUIRED");
    assert_eq!(attribute(&v, "sub"), Some(bob.as_str()));
    let code = mailed_code(&local, "bob@example.com").await;
    let (s, v) = api(
        &local,
        "ConfirmForgotPassword",
        json!({"ClientId": client, "Username": "bob@example.com",
               "ConfirmationCode": code, "Password": "Bob's new password 42"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = password_auth(&local, &client, "bob@example.com", "Bob's new password 42").await;
    assert_eq!(s, 200, "{v}");

    // A disabled upstream user does not come over by signing in.
    let (s, v) = password_auth(&local, &client, "carol@example.com", PASSWORD).await;
    assert_eq!((s, err_type(&v)), (400, "NotAuthorizedException"), "{v}");

    // The bulk copy: everyone else, groups with their precedence; bob is already here.
    let report = local.data_path().join("copy.report.jsonl");
    let copied = ok_json(
        local.data_path(),
        &[
            "migrate",
            "cognito",
            "--pool",
            &local.pool_id,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(copied["imported"], 2, "{copied}");
    assert_eq!(copied["skipped"], 1, "{copied}");
    assert_eq!(copied["failed"], 0, "{copied}");
    let (_, v) = local_user(&local, &key, "carol@example.com").await;
    assert_eq!(v["Enabled"], false);
    assert_eq!(attribute(&v, "sub"), Some(carol.as_str()));
    let (_, v) = local_user(&local, &key, "dave@example.com").await;
    assert_eq!(v["UserStatus"], "RESET_REQUIRED");
    let (s, g) = admin_api(
        &local,
        &key,
        "GetGroup",
        json!({"UserPoolId": local.pool_id, "GroupName": "admins"}),
    )
    .await;
    assert_eq!(
        (s, g["Group"]["Precedence"].as_i64()),
        (200, Some(3)),
        "{g}"
    );
    // Running it again copies nothing twice.
    let again = ok_json(
        local.data_path(),
        &[
            "migrate",
            "cognito",
            "--pool",
            &local.pool_id,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (again["imported"].as_i64(), again["skipped"].as_i64()),
        (Some(0), Some(3))
    );

    // A copied user's first sign-in: the upstream checks the password, once.
    let (s, v) = password_auth(&local, &client, "dave@example.com", "wrong password").await;
    assert_eq!((s, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    let (s, v) = password_auth(&local, &client, "dave@example.com", PASSWORD).await;
    let id = signed_in_as(s, &v, &dave);
    assert_eq!(id["cognito:groups"], json!(["admins"]));
    let (_, v) = local_user(&local, &key, "dave@example.com").await;
    assert_eq!(v["UserStatus"], "CONFIRMED");

    // The upstream down: a clean Cognito error (no 500), nobody half-created, and a retry
    // once it is back works.
    let erin = create_user(&up.app, "erin@example.com", "Erin");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    migrate_from(&local, &up.spec(&closed, true)).await;
    let (s, v) = password_auth(&local, &client, "erin@example.com", PASSWORD).await;
    assert_eq!((s, err_type(&v)), (400, "UnexpectedLambdaException"), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("unavailable"),
        "{v}"
    );
    let (s, _) = local_user(&local, &key, "erin@example.com").await;
    assert_eq!(s, 400);
    migrate_from(&local, &up.spec(&up.app.address, true)).await;
    let (s, v) = password_auth(&local, &client, "erin@example.com", PASSWORD).await;
    signed_in_as(s, &v, &erin);
}

#[tokio::test]
async fn the_setting_is_checked_shown_without_secrets_and_removable() {
    let up = upstream().await;
    let local = spawn_app().await;
    let data = local.data_path();
    for bad in [
        "endpoint=http://example.com,user_pool_id=eu-west-1_A,client_id=c",
        "user_pool_id=eu-west-1_A,client_id=c",
        "endpoint=https://x,user_pool_id=eu-west-1_A,client_id=c,admin_key_id=K",
        "not a spec at all",
    ] {
        let err = fails(
            data,
            &[
                "pool",
                "update",
                "--pool",
                &local.pool_id,
                "--migrate-from",
                bad,
            ],
        );
        assert!(err.contains("--migrate-from"), "{err}");
    }
    let spec = up.spec(&up.app.address, true) + ",client_secret=the-client-secret";
    migrate_from(&local, &spec).await;
    let key = admin_key(&local);
    let (s, v) = admin_api(
        &local,
        &key,
        "DescribeUserPool",
        json!({"UserPoolId": local.pool_id}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let shown = &v["UserPool"]["IncognitoMigrateFrom"];
    assert_eq!(shown["ClientId"], up.client.as_str());
    assert_eq!(shown["AdminAccessKeyId"], up.key.0.as_str());
    let text = v.to_string();
    assert!(!text.contains(&up.key.1) && !text.contains("the-client-secret"));
    // Stored sealed: the database holds neither secret in clear.
    let pool_id = local.pool_id.clone();
    let stored: String = local
        .state
        .store
        .read_sync(move |db| {
            db.query_one(
                "SELECT settings FROM pools WHERE id = ?1",
                &[&pool_id],
                |r| r.get::<String>(0),
            )
        })
        .unwrap();
    assert!(stored.contains("migrate_from") && !stored.contains(&up.key.1));
    assert!(!stored.contains("the-client-secret"));

    let removed = ok_json(
        data,
        &[
            "pool",
            "update",
            "--pool",
            &local.pool_id,
            "--no-migrate-from",
        ],
    );
    assert!(removed["settings"]["migrate_from"].is_null(), "{removed}");
    let err = fails(data, &["migrate", "cognito", "--pool", &local.pool_id]);
    assert!(err.contains("no migrate_from"), "{err}");
}

#[test]
fn the_bootstrap_file_declares_migrate_from_and_reapplies_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (d, file) = (dir.path(), dir.path().join("leaving.toml"));
    let text = |spec: &str| format!("[[pool]]\nname = \"Leaving\"\nmigrate_from = \"{spec}\"\n");
    let spec = "endpoint=https://cognito-idp.eu-west-1.amazonaws.com,user_pool_id=eu-west-1_AbC123,client_id=abc,client_secret=kept-secret";
    std::fs::write(&file, text(spec)).unwrap();
    let file_arg = file.to_str().unwrap();
    ok_json(d, &["bootstrap", "apply", file_arg]);
    let shown = ok_json(d, &["pool", "show", "--pool", "Leaving"]);
    let m = &shown["settings"]["migrate_from"];
    assert_eq!(m["UserPoolId"], "eu-west-1_AbC123");
    assert_eq!(m["ClientSecretSet"], true);
    assert!(!shown.to_string().contains("kept-secret"));
    // The same file again changes nothing (the sealed secret is kept, not sealed anew).
    let again = ok_json(d, &["bootstrap", "apply", file_arg]);
    assert_eq!(
        (again["updated"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(1)),
        "{again}"
    );
    std::fs::write(
        &file,
        text("endpoint=ftp://x,user_pool_id=eu-west-1_A,client_id=c"),
    )
    .unwrap();
    let err = fails(d, &["bootstrap", "apply", file_arg]);
    assert!(err.contains("migrate_from"), "{err}");
}

#[tokio::test]
async fn upstream_answers_that_do_not_parse_or_come_too_late_fail_cleanly() {
    use crate::trigger_stub::{Reply, Stub};
    let local = spawn_app().await;
    let client = password_client(&local);
    let key = admin_key(&local);
    let spec = |url: &str| format!("endpoint={url},user_pool_id=local_Up1,client_id=upclient");
    let cases: Vec<(Reply, &str)> = vec![
        (Reply::json(200, json!("not an object")), "not understood"),
        (
            Reply::json(200, json!({"AuthenticationResult": {"AccessToken": 7}})),
            "not understood",
        ),
        (Reply::json(418, json!({"no": "type"})), "not understood"),
        (Reply::json(503, json!({})), "unavailable"),
        (
            Reply {
                delay: std::time::Duration::from_secs(7),
                ..Reply::json(200, json!({}))
            },
            "unavailable",
        ),
    ];
    for (reply, says) in cases {
        let reply = std::sync::Mutex::new(Some(reply));
        let stub = Stub::start(move |_, _| {
            reply
                .lock()
                .unwrap()
                .take()
                .unwrap_or_else(|| Reply::json(500, json!({})))
        });
        migrate_from(&local, &spec(&stub.url)).await;
        let (s, v) = password_auth(&local, &client, "new@example.com", PASSWORD).await;
        assert_eq!((s, err_type(&v)), (400, "UnexpectedLambdaException"), "{v}");
        assert!(v["message"].as_str().unwrap().contains(says), "{says}: {v}");
        let seen = stub.requests();
        assert_eq!(
            seen[0].header("x-amz-target"),
            Some("AWSCognitoIdentityProviderService.InitiateAuth")
        );
        let (s, v) = local_user(&local, &key, "new@example.com").await;
        assert_eq!((s, err_type(&v)), (400, "UserNotFoundException"), "{v}");
    }
}
