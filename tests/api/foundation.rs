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

#[tokio::test]
async fn eddsa_and_es256_pools_publish_and_sign_with_their_keys() {
    for alg in ["EdDSA", "ES256"] {
        let app = crate::helpers::spawn_app_with(|c| c.key_algorithm = alg.into()).await;
        let http = reqwest::Client::new();
        let doc: serde_json::Value = http
            .get(app.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!([alg])
        );
        let jwks: serde_json::Value = http
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["alg"], alg);
        assert_eq!(key["kty"], if alg == "EdDSA" { "OKP" } else { "EC" });
        assert!(key.get("d").is_none());
        // A token signed by the pool verifies against the published key set.
        let entry = app.state.pool(&app.pool_id).await.unwrap().unwrap();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), "x".into());
        let jwt = entry.keys.sign(claims, "JWT").unwrap();
        let header: serde_json::Value = {
            use base64::Engine;
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(jwt.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(header["alg"], alg);
        assert_eq!(header["kid"], key["kid"]);
        assert_eq!(entry.keys.verify(&jwt).unwrap()["sub"], "x");
    }
}

#[tokio::test]
async fn housekeeping_purges_expired_sessions_and_codes() {
    let app = crate::helpers::spawn_app().await;
    let sub = crate::helpers::create_user(&app, "old@example.com", "Old");
    let pool_id = app.pool_id.clone();
    let purged = app
        .state
        .store
        .write_sync(move |db| -> incognito::Result<(usize, bool)> {
            let session = incognito::store::sessions::BrowserSession {
                id_hash: "h".repeat(64),
                pool_id: pool_id.clone(),
                user_id: sub.clone(),
                auth_time: 1,
                amr: "[\"pwd\"]".into(),
                created_at: 1,
                last_seen: 1,
                expires_at: 2,
            };
            incognito::store::sessions::insert(db, &session)?;
            incognito::accounts::codes::issue(
                db,
                &pool_id,
                &sub,
                incognito::accounts::codes::Purpose::ResetPassword,
                60,
                1,
            )?;
            let n = incognito::jobs::purge(db, 1_000_000)?;
            let left = incognito::store::sessions::get(db, &pool_id, &"h".repeat(64))?.is_some();
            Ok((n, left))
        })
        .unwrap();
    assert!(purged.0 >= 2, "the session and the code went: {}", purged.0);
    assert!(!purged.1);
}

#[tokio::test]
async fn secrets_are_sealed_with_a_key_kept_outside_the_database() {
    let app = crate::helpers::spawn_app().await;
    // On SQLite the key is a file beside the database; on PostgreSQL `master_key` is configured
    // (required) and no file is made.
    let key_file = app.data_path().join("master.key");
    if crate::helpers::on_postgres() {
        assert!(!key_file.exists());
    } else {
        let meta = std::fs::metadata(&key_file).expect("a master.key next to the database");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
    }
    let pool = app.pool_id.clone();
    let stored: String = app
        .state
        .store
        .read_sync(move |db| -> incognito::Result<String> {
            Ok(db.query_one(
                "SELECT private_jwk FROM signing_keys WHERE pool_id = ?1",
                &[&pool],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(
        stored.starts_with("enc:v1:"),
        "the private key is sealed at rest"
    );
    assert!(!stored.contains("\"d\""));
}

/// RFC 8414 §3.1: for an issuer with a path, the metadata URL inserts the well-known part
/// between host and path. Both forms serve the same document; an unknown pool is 404 JSON.
#[tokio::test]
async fn metadata_by_path_insertion_is_the_same_document() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let body: serde_json::Value = r.json().await.expect("a JSON body");
            (status, ct, body)
        }
    };
    let (_, _, suffixed) = get(app.url("/.well-known/openid-configuration")).await;
    assert_eq!(suffixed["issuer"], app.issuer());
    for doc in ["openid-configuration", "oauth-authorization-server"] {
        let (status, ct, inserted) =
            get(format!("{}/.well-known/{doc}/{}", app.address, app.pool_id)).await;
        assert_eq!(status, 200, "{doc}");
        assert!(ct.starts_with("application/json"), "{doc}: {ct}");
        assert_eq!(inserted, suffixed, "{doc} by path insertion");
        let (status, _, err) = get(format!(
            "{}/.well-known/{doc}/local_nosuchpool",
            app.address
        ))
        .await;
        assert_eq!(status, 404, "{doc} of an unknown pool");
        assert_eq!(err["error"], "not_found");
    }
}
