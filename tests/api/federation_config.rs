//! Identity providers through the three doors (issue #14 point 1): the Cognito control plane
//! (boto3 and signed calls), `incognito idp` and `[[pool.identity_provider]]`; clients offer
//! only `COGNITO` and the pool's providers; secrets are sealed in the store and never shown.

use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{fails, ok_json, run};
use crate::cognito::{admin_api, admin_key};
use crate::cognito_boto3::{has_boto3, run_with_new_key};
use crate::helpers::{TestApp, skip_or_fail, spawn_app};

/// The stored `details` column of a provider, as text.
fn stored_details(app: &TestApp, pool: &str, name: &str) -> String {
    let (pool, name) = (pool.to_string(), name.to_string());
    app.state
        .store
        .read_sync(move |db| {
            db.query_one(
                "SELECT details FROM identity_providers WHERE pool_id = ?1 AND name = ?2",
                &[&pool, &name],
                |r| r.get::<String>(0),
            )
        })
        .unwrap()
}

/// The provider's secret as sealed in the store, and opened.
fn sealed_secret(app: &TestApp, pool: &str, name: &str, key: &str) -> (String, String) {
    let details: Value = serde_json::from_str(&stored_details(app, pool, name)).unwrap();
    let sealed = details[key].as_str().expect("a sealed secret").to_string();
    let plain = app.state.sealer.open(&sealed).expect("the secret opens");
    (sealed, plain)
}

#[tokio::test]
async fn boto3_manages_identity_providers() {
    if !has_boto3() {
        skip_or_fail(
            "federation_config::boto3_manages_identity_providers",
            "python3 with boto3 is missing (`python3 -m pip install boto3`)",
        );
        return;
    }
    let app = spawn_app().await;
    run_with_new_key(&app, "tests/boto3/test_identity_providers.py").await;
    // The update left the secret out: the first one is kept, sealed.
    let stored = stored_details(&app, &app.pool_id, "Corp");
    assert!(
        stored.contains("corp-2") && !stored.contains("corp-s3cret"),
        "{stored}"
    );
    assert_eq!(
        sealed_secret(&app, &app.pool_id, "Corp", "client_secret").1,
        "corp-s3cret"
    );
    assert!(!stored_details(&app, &app.pool_id, "Google").contains("g-s3cret"));
}

#[tokio::test]
async fn malformed_provider_requests_get_cognito_errors() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let pool = app.pool_id.clone();
    let bad = [
        json!({ "UserPoolId": pool, "ProviderName": "Corp", "ProviderType": "OIDC", "ProviderDetails": "x" }),
        json!({ "UserPoolId": pool, "ProviderName": "Corp", "ProviderType": "OIDC", "ProviderDetails": { "client_id": 5 } }),
        json!({ "UserPoolId": pool, "ProviderName": "Corp", "ProviderType": "OIDC" }),
        json!({ "UserPoolId": pool, "ProviderName": "Corp", "ProviderType": "SAML", "ProviderDetails": { "MetadataURL": "http://idp.example.com/md" } }),
        json!({ "UserPoolId": pool, "ProviderName": "Corp", "ProviderType": "SAML", "ProviderDetails": { "IDPInit": "true" } }),
        json!({ "UserPoolId": pool, "ProviderName": "Google", "ProviderType": "Google", "ProviderDetails": {}, "IdpIdentifiers": "x" }),
    ];
    for body in bad {
        let (status, v) = admin_api(&app, &key, "CreateIdentityProvider", body.clone()).await;
        assert_eq!(status, 400, "{body}: {v}");
        let t = v["__type"].as_str().unwrap_or_default();
        assert!(
            t == "InvalidParameterException" || t == "SerializationException",
            "{body}: {v}"
        );
    }
    let (status, v) = admin_api(
        &app,
        &key,
        "CreateIdentityProvider",
        json!({ "UserPoolId": pool, "ProviderName": "Corp", "ProviderType": "SAML", "ProviderDetails": { "MetadataFile": "<EntityDescriptor entityID=\"x\"/>" } }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        v["message"].as_str().unwrap().contains("MetadataFile"),
        "{v}"
    );
    for (action, body) in [
        (
            "ListIdentityProviders",
            json!({ "UserPoolId": pool, "NextToken": "zz" }),
        ),
        (
            "ListIdentityProviders",
            json!({ "UserPoolId": pool, "MaxResults": 0 }),
        ),
        (
            "GetIdentityProviderByIdentifier",
            json!({ "UserPoolId": pool }),
        ),
        (
            "UpdateIdentityProvider",
            json!({ "UserPoolId": pool, "ProviderName": "Corp", "AttributeMapping": [] }),
        ),
        (
            "DeleteIdentityProvider",
            json!({ "UserPoolId": pool, "ProviderName": 7 }),
        ),
    ] {
        let (status, v) = admin_api(&app, &key, action, body.clone()).await;
        assert_eq!(status, 400, "{action} {body}: {v}");
        assert!(v["__type"].as_str().is_some(), "{action} {body}: {v}");
    }
}

/// `idp VERB --pool POOL --name NAME REST...`
fn idp<'a>(verb: &'a str, pool: &'a str, name: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["idp", verb, "--pool", pool, "--name", name];
    args.extend_from_slice(rest);
    args
}

fn pool_of(d: &Path) -> String {
    ok_json(d, &["pool", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn cli_round_trip_keeps_secrets_sealed() {
    let app = spawn_app().await;
    let d = app.data_path();
    let pool = pool_of(d);
    let created = ok_json(
        d,
        &idp(
            "create",
            &pool,
            "Corp",
            &[
                "--type",
                "OIDC",
                "--detail",
                "client_id=corp",
                "--detail",
                "client_secret=cli-s3cret",
                "--detail",
                "oidc_issuer=https://id.corp.example.com",
                "--detail",
                "authorize_scopes=openid email",
                "--map",
                "email=email",
                "--identifier",
                "corp.example.com",
            ],
        ),
    );
    assert_eq!(created["ProviderName"], "Corp");
    assert_eq!(created["AttributeMapping"]["email"], "email");
    assert!(!created.to_string().contains("cli-s3cret"));
    let (sealed, plain) = sealed_secret(&app, &pool, "Corp", "client_secret");
    assert_eq!(plain, "cli-s3cret");

    let shown = ok_json(d, &idp("show", &pool, "Corp", &[]));
    assert_eq!(shown, created);
    let text = run(d, &idp("show", &pool, "Corp", &[]));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("oidc_issuer") && !text.contains("s3cret"),
        "{text}"
    );

    let updated = ok_json(
        d,
        &idp(
            "update",
            &pool,
            "Corp",
            &[
                "--detail",
                "client_id=corp-2",
                "--detail",
                "oidc_issuer=https://id.corp.example.com",
                "--detail",
                "authorize_scopes=openid",
            ],
        ),
    );
    assert_eq!(updated["ProviderDetails"]["client_id"], "corp-2");
    assert_eq!(updated["IdpIdentifiers"], json!(["corp.example.com"]));
    assert_eq!(
        sealed_secret(&app, &pool, "Corp", "client_secret").0,
        sealed,
        "a secret left out is kept as it was"
    );

    let list = ok_json(d, &["idp", "list", "--pool", &pool]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let refused: [(&str, &[&str], &str); 4] = [
        (
            "Corp",
            &["--type", "OIDC", "--detail", "client_id=x"],
            "already exists",
        ),
        (
            "Google",
            &["--type", "Google", "--detail", "client_id=x"],
            "client_secret is required",
        ),
        (
            "S",
            &["--type", "SAML"],
            "exactly one of MetadataFile and MetadataURL",
        ),
        ("Web", &["--type", "Web"], "one of OIDC"),
    ];
    for (name, rest, expected) in refused {
        let err = fails(d, &idp("create", &pool, name, rest));
        assert!(err.contains(expected), "{name}: {err}");
    }

    // Clients offer COGNITO and the pool's providers only; deleting one takes it off them.
    let web_client = |providers: &[&'static str]| {
        let mut args = vec!["client", "create", "--pool", &pool, "--name", "web"];
        for p in providers {
            args.extend(["--identity-provider", p]);
        }
        args
    };
    let err = fails(d, &web_client(&["Nope"]));
    assert!(err.contains("the provider Nope does not exist"), "{err}");
    let client = ok_json(d, &web_client(&["COGNITO", "Corp"]));
    assert_eq!(
        client["supported_identity_providers"],
        json!(["COGNITO", "Corp"])
    );
    let deleted = ok_json(d, &idp("delete", &pool, "Corp", &[]));
    assert_eq!(deleted["deleted"], true);
    let id = client["id"].as_str().unwrap();
    let client = ok_json(d, &["client", "show", "--pool", &pool, "--client", id]);
    assert_eq!(client["supported_identity_providers"], json!(["COGNITO"]));
    assert_eq!(ok_json(d, &["idp", "list", "--pool", &pool]), json!([]));
    let err = fails(d, &idp("show", &pool, "Corp", &[]));
    assert!(err.contains("Corp"), "{err}");
}

const FILE: &str = r#"
[[pool]]
id = "local_Fed1"
name = "Federated"

[[pool.identity_provider]]
name = "Google"
type = "Google"
details = { client_id = "g", client_secret = "boot-s3cret", authorize_scopes = "openid email" }
attribute_mapping = { email = "email" }

[[pool.identity_provider]]
name = "Corp"
type = "OIDC"
details = { client_id = "corp", oidc_issuer = "https://id.corp.example.com", authorize_scopes = "openid" }
idp_identifiers = ["corp.example.com"]

[[pool.client]]
id = "fedweb"
name = "web"
redirect_uris = ["https://app.example.com/cb"]
supported_identity_providers = ["COGNITO", "Google", "Corp"]
"#;

#[tokio::test]
async fn bootstrap_declares_providers_and_applies_twice_unchanged() {
    let app = spawn_app().await;
    let d = app.data_path();
    let file = d.join("federation.toml");
    std::fs::write(&file, FILE).unwrap();
    let path = file.to_str().unwrap();
    let first = ok_json(d, &["bootstrap", "apply", path]);
    assert_eq!(first["identity_providers"], 2, "{first}");
    assert_eq!(first["created"], 4, "{first}");
    let (sealed, plain) = sealed_secret(&app, "local_Fed1", "Google", "client_secret");
    assert_eq!(plain, "boot-s3cret");
    assert!(!stored_details(&app, "local_Fed1", "Google").contains("boot-s3cret"));

    let second = ok_json(d, &["bootstrap", "apply", path]);
    assert_eq!(second["created"], 0, "{second}");
    assert_eq!(second["updated"], 0, "{second}");
    assert_eq!(second["unchanged"], 4, "{second}");
    assert_eq!(
        sealed_secret(&app, "local_Fed1", "Google", "client_secret").0,
        sealed
    );

    let client = ok_json(
        d,
        &[
            "client",
            "show",
            "--pool",
            "local_Fed1",
            "--client",
            "fedweb",
        ],
    );
    assert_eq!(
        client["supported_identity_providers"],
        json!(["COGNITO", "Google", "Corp"])
    );
    let corp = ok_json(
        d,
        &["idp", "show", "--pool", "local_Fed1", "--name", "Corp"],
    );
    assert_eq!(corp["IdpIdentifiers"], json!(["corp.example.com"]));

    // A changed secret is an update; an unknown provider on a client is refused.
    std::fs::write(&file, FILE.replace("boot-s3cret", "boot-s3cret-2")).unwrap();
    let third = ok_json(d, &["bootstrap", "apply", path]);
    assert_eq!(third["updated"], 1, "{third}");
    assert_eq!(
        sealed_secret(&app, "local_Fed1", "Google", "client_secret").1,
        "boot-s3cret-2"
    );
    std::fs::write(&file, FILE.replace("\"Google\", \"Corp\"]", "\"Okta\"]")).unwrap();
    let out = run(d, &["--json", "bootstrap", "apply", path]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Okta") && err.contains("client"), "{err}");
}
