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
    let metadata = discover(&app, &http).await;
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
    // RFC 9068 §2.2: an at+jwt access token has `aud`; without custom scopes, the client.
    for t in [tokens.access_token(), refreshed.access_token()] {
        assert_eq!(jwt_claims(t.secret())["aud"], client_id.as_str());
    }
    let info: Result<CoreUserInfoClaims, _> = client
        .user_info(refreshed.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await;
    assert_eq!(
        info.expect("userinfo accepts the refreshed access token")
            .subject()
            .as_str(),
        sub
    );
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
    let metadata = discover(&app, &http).await;
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
    let metadata = discover(&app, &http).await;
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
        ClientId::new(client_id.clone()),
        secret.clone().map(ClientSecret::new),
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
    // RFC 9068 §2.2: `aud` names the resource server of the granted custom scope, and
    // Cognito's claims stay beside it.
    let access = tokens.access_token().secret();
    let claims = jwt_claims(access);
    assert_eq!(claims["aud"], "api");
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["scope"], "api/read");
    let intro: serde_json::Value = reqwest::Client::new()
        .post(app.url("/oauth2/introspect"))
        .basic_auth(&client_id, secret.as_deref())
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intro["active"], true, "introspection accepts it: {intro}");
    let both = client
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("api/read".into()))
        .add_scope(Scope::new("api/write".into()))
        .request_async(&http)
        .await
        .expect("client_credentials");
    assert_eq!(
        jwt_claims(both.access_token().secret())["aud"],
        "api",
        "one resource server, named once"
    );
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// RFC 8252 §7.3 / RFC 9700 §2.1: only a native (public) client's loopback redirect URI may
/// vary in the port; a confidential client's must match exactly, and a mismatch is an error
/// page before any login form.
#[tokio::test]
async fn loopback_port_variance_is_for_public_clients_only() {
    let app = spawn_app().await;
    let http = http();
    let metadata = discover(&app, &http).await;
    let registered = "http://127.0.0.1:8080/callback";
    let other_port = "http://127.0.0.1:45678/callback";
    let browser = app.browser();
    for confidential in [true, false] {
        let settings = incognito::pools::ClientSettings {
            redirect_uris: vec![registered.into()],
            ..Default::default()
        };
        let (client_id, secret) = create_client(&app, settings, confidential);
        for (uri, expect_login) in [(registered, true), (other_port, !confidential)] {
            let client = CoreClient::from_provider_metadata(
                metadata.clone(),
                ClientId::new(client_id.clone()),
                secret.clone().map(ClientSecret::new),
            )
            .set_redirect_uri(RedirectUrl::new(uri.into()).unwrap());
            let (challenge, _) = PkceCodeChallenge::new_random_sha256();
            let (url, _, _) = client
                .authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    CsrfToken::new_random,
                    Nonce::new_random,
                )
                .set_pkce_challenge(challenge)
                .url();
            let r = browser.get(url.as_str()).send().await.unwrap();
            let what = format!("confidential={confidential} redirect_uri={uri}");
            if expect_login {
                assert_eq!(r.status(), 302, "{what}");
                assert!(location(&r).contains("/login?request="), "{what}");
            } else {
                assert_eq!(r.status(), 400, "{what}");
                assert!(r.headers().get("location").is_none(), "{what}");
                let page = r.text().await.unwrap();
                assert!(!page.contains("name=\"password\""), "{what}: no login form");
                assert!(page.contains("redirect"), "{what}: the page explains");
            }
        }
    }
}

/// RFC 6749 §5.2: a grant the client is not registered for is `unauthorized_client`, after
/// client authentication and before the grant's own checks.
#[tokio::test]
async fn unregistered_grants_are_unauthorized_client() {
    use openidconnect::RefreshToken;
    let app = spawn_app().await;
    let http = http();
    let metadata = discover(&app, &http).await;
    let machine = incognito::pools::ClientSettings {
        redirect_uris: vec![],
        flows: vec![incognito::pools::OAuthFlow::ClientCredentials],
        scopes: vec!["api/read".into()],
        ..Default::default()
    };
    let (machine_id, machine_secret) = create_client(&app, machine, true);
    let web = incognito::pools::ClientSettings {
        redirect_uris: vec!["https://app.example.com/cb".into()],
        ..Default::default()
    };
    let (web_id, web_secret) = create_client(&app, web, true);
    let client = |id: &str, secret: Option<String>| {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(id.into()),
            secret.map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new("https://app.example.com/cb".into()).unwrap())
    };
    let machine_client = client(&machine_id, machine_secret.clone());
    // A refresh token grant by a client that only has client_credentials: the refresh
    // token itself (garbage) is never looked at.
    let r = machine_client
        .exchange_refresh_token(&RefreshToken::new("not-a-refresh-token".into()))
        .unwrap()
        .request_async(&http)
        .await;
    assert_eq!(error_of(r), "unauthorized_client");
    let r = machine_client
        .exchange_code(AuthorizationCode::new("not-a-code".into()))
        .unwrap()
        .request_async(&http)
        .await;
    assert_eq!(error_of(r), "unauthorized_client");
    // A code-flow client asking for client_credentials.
    let r = client(&web_id, web_secret)
        .exchange_client_credentials()
        .unwrap()
        .request_async(&http)
        .await;
    assert_eq!(error_of(r), "unauthorized_client");
    // Client authentication comes first: a wrong secret is invalid_client.
    let r = client(&machine_id, Some("wrong-secret".into()))
        .exchange_refresh_token(&RefreshToken::new("not-a-refresh-token".into()))
        .unwrap()
        .request_async(&http)
        .await;
    assert_eq!(error_of(r), "invalid_client");
    // And the grant it is registered for works.
    assert!(
        machine_client
            .exchange_client_credentials()
            .unwrap()
            .request_async(&http)
            .await
            .is_ok()
    );
}

/// The OAuth error code of a failed token request ("ok" when it succeeded).
fn error_of<T, E: std::error::Error + 'static>(
    r: Result<
        T,
        openidconnect::RequestTokenError<
            E,
            openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
        >,
    >,
) -> String {
    match r {
        Err(openidconnect::RequestTokenError::ServerResponse(e)) => e.error().as_ref().to_string(),
        Err(other) => format!("{other:?}"),
        Ok(_) => "ok".to_string(),
    }
}

async fn discover(app: &TestApp, http: &openidconnect::reqwest::Client) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer()).unwrap(), http)
        .await
        .expect("discovery")
}
