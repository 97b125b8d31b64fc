//! Discovery, JWKS, health and readiness of a freshly started server.

use crate::helpers::spawn_app;

#[tokio::test]
async fn discovery_issuer_matches_pool_url_and_jwks_keys_parse() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let doc: serde_json::Value = http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], app.issuer());
    assert_eq!(
        doc["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.issuer())
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));

    let jwks: serde_json::Value = http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["alg"], "RS256");
    assert!(keys[0]["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(keys[0].get("d").is_none(), "no private members in the JWKS");

    // The openidconnect crate accepts the document and the keys.
    let issuer = openidconnect::IssuerUrl::new(app.issuer()).unwrap();
    let http_client = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta = openidconnect::core::CoreProviderMetadata::discover_async(issuer, &http_client)
        .await
        .expect("discovery validates");
    assert_eq!(meta.jwks().keys().len(), 1);
}

#[tokio::test]
async fn unknown_pool_is_404_and_health_endpoints_answer() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!(
            "{}/local_nosuchpool/.well-known/openid-configuration",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!(
            "{}/../etc/passwd/.well-known/jwks.json",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        http.get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.get(format!("{}/readyz", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
