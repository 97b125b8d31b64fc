//! The full authorization-code + PKCE flow with the `openidconnect` crate as the relying party:
//! discovery, login form, code exchange, ID token validation, userinfo, refresh, revoke,
//! introspect, client credentials, logout.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::helpers::*;

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn openidconnect_crate_signs_in_refreshes_and_logs_out() {
    let app = spawn_app().await;
    let sub = create_user(&app, "rp@example.com", "Rita Party");
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec!["http://127.0.0.1:8080/callback".into()],
        logout_uris: vec!["http://127.0.0.1:8080/".into()],
        scopes: vec![
            "openid".into(),
            "email".into(),
            "profile".into(),
            "offline_access".into(),
        ],
        ..Default::default()
    };
    let (client_id, secret) = create_client(&app, settings, true);
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.clone()),
        secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:8080/callback".into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let started = std::time::Instant::now();
    let browser = app.browser();
    let r = browser.get(auth_url.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let r = app
        .submit_login(&browser, &location(&r), "rp@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let q = query_of(&location(&r));
    assert_eq!(&q["state"], state.secret());
    assert_eq!(q["iss"], app.issuer());

    let tokens = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    eprintln!(
        "full login round trip (authorize → login → code → tokens): {:?}",
        started.elapsed()
    );
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ID token validates");
    assert_eq!(claims.subject().as_str(), sub);
    assert_eq!(claims.email().map(|e| e.as_str()), Some("rp@example.com"));
    assert_eq!(claims.email_verified(), Some(true));
    assert_eq!(
        claims.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("Rita Party")
    );
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&client.id_token_verifier()).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    assert!(claims.auth_time().is_some());
    let refresh = tokens
        .refresh_token()
        .expect("offline_access grants a refresh token")
        .clone();

    // UserInfo: same sub as the ID token.
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), sub);
    assert_eq!(info.email().map(|e| e.as_str()), Some("rp@example.com"));

    // Refresh rotates the refresh token; the old one then fails.
    let refreshed = client
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    let new_refresh = refreshed
        .refresh_token()
        .expect("a rotated refresh token")
        .clone();
    assert_ne!(new_refresh.secret(), refresh.secret());
    let replay = client
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(replay.is_err(), "a rotated-out refresh token is refused");
    // Reuse revoked the whole family, including the newest token.
    let after = client
        .exchange_refresh_token(&new_refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(after.is_err(), "reuse detection revoked the family");

    // Introspection (confidential client) says the access token of the revoked family is inactive.
    let reqw = reqwest::Client::new();
    let intro: serde_json::Value = reqw
        .post(app.url("/oauth2/introspect"))
        .basic_auth(&client_id, secret.as_deref())
        .form(&[("token", refreshed.access_token().secret().as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intro["active"], false);

    // RP-initiated logout with the ID token as hint, back to the registered URI.
    let logout = format!(
        "{}?id_token_hint={}&post_logout_redirect_uri={}&state=done",
        app.url("/logout"),
        id_token,
        urlencoding("http://127.0.0.1:8080/")
    );
    let r = browser.get(logout).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "http://127.0.0.1:8080/?state=done");
    let r = browser.get(auth_url.as_str()).send().await.unwrap();
    assert!(
        location(&r).contains("/login?request="),
        "the session ended"
    );
}

#[tokio::test]
async fn code_is_single_use_and_bound_to_the_verifier() {
    let app = spawn_app().await;
    create_user(&app, "once@example.com", "Once");
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer()).unwrap(), &http)
            .await
            .unwrap();
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(app.client_id.clone()), None)
            .set_redirect_uri(RedirectUrl::new(app.redirect_uri.clone()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let browser = app.browser();
    let r = browser.get(auth_url.as_str()).send().await.unwrap();
    let r = app
        .submit_login(&browser, &location(&r), "once@example.com", PASSWORD)
        .await;
    let code = query_of(&location(&r))["code"].clone();

    // Wrong verifier first: refused, and it must not burn the code for the real client.
    let (_, wrong) = PkceCodeChallenge::new_random_sha256();
    let bad = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(wrong)
        .request_async(&http)
        .await;
    assert!(bad.is_err());
    let verifier_secret = verifier.secret().clone();
    let good = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await;
    let good = good.expect("the right verifier still redeems the code");
    // Reuse: invalid_grant, and the tokens from the first redemption are revoked.
    let again = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", app.redirect_uri.as_str()),
            ("client_id", app.client_id.as_str()),
            ("code_verifier", verifier_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let info = reqwest::Client::new()
        .get(app.url("/oauth2/userInfo"))
        .bearer_auth(good.access_token().secret())
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 401, "tokens of a replayed code are revoked");
}

#[tokio::test]
async fn client_credentials_with_a_custom_scope() {
    let app = spawn_app().await;
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec![],
        flows: vec![incognito::pools::OAuthFlow::ClientCredentials],
        scopes: vec!["api/read".into(), "api/write".into()],
        ..Default::default()
    };
    let (client_id, secret) = create_client(&app, settings, true);
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer()).unwrap(), &http)
            .await
            .unwrap();
    assert!(
        metadata
            .scopes_supported()
            .unwrap()
            .iter()
            .any(|s| s.as_str() == "api/read"),
        "declared scope is discoverable"
    );
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id),
        secret.map(ClientSecret::new),
    );
    let tokens = client
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("api/read".into()))
        .request_async(&http)
        .await
        .expect("client_credentials");
    assert_eq!(
        tokens
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
        vec!["api/read"]
    );
    assert!(tokens.refresh_token().is_none());
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
