//! Token endpoint, UserInfo, revocation, introspection and CORS, against the real server.
//!
//! The main sign-in test gets its code through the real authorize endpoint and login page;
//! the edge cases (expired codes, codes without PKCE, codes of other clients) come from
//! `issue_code_directly`, a row written through the real store, since no correct
//! authorization server hands such codes out.

use std::collections::BTreeMap;

use base64::Engine;
use incognito::accounts::User;
use incognito::accounts::service::NewUser;
use incognito::pools::service::SecretChoice;
use incognito::pools::{Client, ClientSettings, OAuthFlow, Pool};
use incognito::store::codes::AuthCode;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, spawn_app};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

struct Ctx {
    app: TestApp,
    http: reqwest::Client,
    pool: Pool,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
    fn str(&self, name: &str) -> String {
        self.body[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {}", self.body))
            .to_string()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A user of the default pool (email, name, locale are required there).
fn new_user(email: &str) -> NewUser {
    let mut attributes = BTreeMap::new();
    attributes.insert("name".to_string(), "Ada Lovelace".to_string());
    attributes.insert("locale".to_string(), "en-GB".to_string());
    attributes.insert("custom:tier".to_string(), "gold".to_string());
    attributes.insert("phone_number".to_string(), "+15555550100".to_string());
    NewUser {
        username: None,
        email: Some(email.to_string()),
        password: None,
        password_hash: None,
        attributes,
        confirmed: true,
        email_verified: true,
    }
}

fn pkce_pair() -> (String, String) {
    let verifier = incognito::random::token(32);
    let challenge = incognito::oidc::pkce::s256(&verifier);
    (verifier, challenge)
}

fn payload(jwt: &str) -> Map<String, Value> {
    let part = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&B64.decode(part).expect("base64url")).expect("JSON claims")
}

fn header_of(jwt: &str) -> Map<String, Value> {
    let part = jwt.split('.').next().expect("a JWT");
    serde_json::from_slice(&B64.decode(part).expect("base64url")).expect("JSON header")
}

impl Ctx {
    async fn new() -> Ctx {
        let app = spawn_app().await;
        let pool_id = app.pool_id.clone();
        let pool = app
            .state
            .store
            .read_sync(|db| incognito::store::pools::get(db, &pool_id))
            .unwrap()
            .expect("default pool");
        Ctx {
            app,
            http: reqwest::Client::new(),
            pool,
        }
    }

    fn user(&self, email: &str) -> User {
        self.insert_user(new_user(email))
    }

    /// A user who can sign in through the hosted login page (hashing costs time: only when needed).
    fn user_with_password(&self, email: &str) -> User {
        self.insert_user(NewUser {
            password: Some(crate::helpers::PASSWORD.to_string()),
            ..new_user(email)
        })
    }

    fn insert_user(&self, new: NewUser) -> User {
        let pool = self.pool.clone();
        let now = self.app.state.now();
        self.app
            .state
            .store
            .write_sync(|db| {
                incognito::accounts::service::create_now(
                    db,
                    &pool,
                    &self.app.state.sealer,
                    new,
                    now,
                )
            })
            .expect("user created")
    }

    fn update_user(&self, user: &User) {
        let user = user.clone();
        self.app
            .state
            .store
            .write_sync(|db| incognito::store::users::update(db, &user))
            .unwrap();
    }

    fn client(&self, name: &str, settings: ClientSettings, secret: bool) -> (Client, String) {
        let pool = self.pool.clone();
        let now = self.app.state.now();
        let choice = if secret {
            SecretChoice::Generate
        } else {
            SecretChoice::Public
        };
        let (client, secret) = self
            .app
            .state
            .store
            .write_sync(|db| {
                incognito::pools::service::create_client(
                    db, &pool, None, name, settings, choice, now,
                )
            })
            .expect("client created");
        (client, secret.unwrap_or_default())
    }

    /// A confidential code-flow client with offline_access, redirect URI https://rp.example/cb.
    fn confidential(&self, name: &str) -> (Client, String) {
        self.client(
            name,
            ClientSettings {
                redirect_uris: vec!["https://rp.example/cb".into()],
                scopes: vec![
                    "openid".into(),
                    "email".into(),
                    "profile".into(),
                    "offline_access".into(),
                ],
                ..ClientSettings::default()
            },
            true,
        )
    }

    /// Stands in for the authorize endpoint: stores a code (hashed) through the real store.
    #[allow(clippy::too_many_arguments)]
    fn issue_code_directly(
        &self,
        client_id: &str,
        user: &User,
        redirect_uri: &str,
        scope: &str,
        challenge: Option<&str>,
        nonce: Option<&str>,
        expires_in: i64,
    ) -> String {
        let code = incognito::random::token(32);
        let now = self.app.state.now();
        let row = AuthCode {
            code_hash: incognito::random::sha256_hex(&code),
            pool_id: self.pool.id.clone(),
            client_id: client_id.to_string(),
            user_id: user.id.clone(),
            redirect_uri: redirect_uri.to_string(),
            scope: scope.to_string(),
            nonce: nonce.map(String::from),
            code_challenge: challenge.map(String::from),
            auth_time: now - 5,
            amr: "[\"pwd\"]".into(),
            created_at: now,
            expires_at: now + expires_in,
            consumed_at: None,
            family_id: None,
        };
        self.app
            .state
            .store
            .write_sync(|db| incognito::store::codes::insert(db, &row))
            .unwrap();
        code
    }

    /// A code for the default public client with PKCE; returns (code, verifier).
    fn public_code(&self, user: &User, scope: &str, nonce: Option<&str>) -> (String, String) {
        let (verifier, challenge) = pkce_pair();
        let code = self.issue_code_directly(
            &self.app.client_id,
            user,
            &self.app.redirect_uri,
            scope,
            Some(&challenge),
            nonce,
            300,
        );
        (code, verifier)
    }

    async fn reply(&self, r: reqwest::Response) -> Reply {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("JSON body expected, got {status}: {text:?}"))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// POSTs a raw body to an endpoint of the pool.
    async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        basic: Option<(&str, &str)>,
    ) -> Reply {
        let mut rb = self.http.post(self.app.url(path)).body(body);
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        if let Some((id, secret)) = basic {
            rb = rb.basic_auth(id, Some(secret));
        }
        self.reply(rb.send().await.unwrap()).await
    }

    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Reply {
        let body = serde_urlencoded::to_string(form).unwrap().into_bytes();
        self.post_raw(path, Some("application/x-www-form-urlencoded"), body, basic)
            .await
    }

    /// The token endpoint; every answer must forbid caching.
    async fn token(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
        let r = self.post_form("/oauth2/token", form, basic).await;
        assert_no_store(&r);
        r
    }

    async fn exchange_public(&self, code: &str, verifier: &str) -> Reply {
        self.token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.app.redirect_uri),
                ("client_id", &self.app.client_id),
                ("code_verifier", verifier),
            ],
            None,
        )
        .await
    }

    async fn refresh_public(&self, refresh_token: &str) -> Reply {
        self.token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", &self.app.client_id),
            ],
            None,
        )
        .await
    }

    /// Signed-in tokens for a fresh user through the default public client.
    async fn signed_in(&self, email: &str, scope: &str) -> (User, Reply) {
        let user = self.user(email);
        let (code, verifier) = self.public_code(&user, scope, Some("n-0S6_WzA2Mj"));
        let r = self.exchange_public(&code, &verifier).await;
        assert_eq!(r.status, 200, "{}", r.body);
        (user, r)
    }

    async fn userinfo_get(&self, token: &str) -> reqwest::Response {
        self.http
            .get(self.app.url("/oauth2/userInfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn introspect(&self, client: &(Client, String), token: &str) -> Reply {
        let r = self
            .post_form(
                "/oauth2/introspect",
                &[("token", token)],
                Some((&client.0.id, &client.1)),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_no_store(&r);
        r
    }

    fn entry(&self) -> std::sync::Arc<incognito::pools::directory::PoolEntry> {
        self.app
            .state
            .directory
            .get_sync(&self.pool.id, self.app.state.now())
            .unwrap()
            .unwrap()
    }
}

fn assert_no_store(r: &Reply) {
    assert_eq!(r.header("cache-control"), Some("no-store"), "{}", r.body);
    assert_eq!(r.header("pragma"), Some("no-cache"), "{}", r.body);
}

fn assert_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.error(), error, "{}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "JSON error expected"
    );
}

// ---------------------------------------------------------------------------------------
// Authorization code

#[tokio::test]
async fn code_exchange_issues_verifiable_id_and_access_tokens() {
    let ctx = Ctx::new().await;
    // A real sign-in: authorize, the hosted login form, the redirect with the code.
    let user = ctx.user_with_password("ada@example.com");
    let pool = ctx.pool.clone();
    let uid = user.id.clone();
    ctx.app
        .state
        .store
        .write_sync(|db| -> incognito::Result<()> {
            incognito::store::groups::insert(
                db,
                &incognito::store::groups::Group {
                    pool_id: pool.id.clone(),
                    name: "admins".into(),
                    description: String::new(),
                    precedence: Some(1),
                    role_arn: None,
                    created_at: 0,
                    updated_at: 0,
                },
            )?;
            incognito::store::groups::add_member(db, &pool.id, "admins", &uid)?;
            Ok(())
        })
        .unwrap();
    let nonce = "n-0S6_WzA2Mj";
    let (verifier, challenge) = pkce_pair();
    let query = ctx
        .app
        .login_for_code(
            &ctx.app.browser(),
            "ada@example.com",
            &[
                ("scope", "openid email profile"),
                ("state", "st4te"),
                ("nonce", nonce),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    assert_eq!(query["state"], "st4te");
    let r = ctx.exchange_public(&query["code"], &verifier).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    assert_eq!(r.body["scope"], "openid email profile");
    assert!(
        r.body.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    let id_token = r.str("id_token");
    let access_token = r.str("access_token");

    // The openidconnect crate verifies signature (via discovery + JWKS), iss, aud, exp, nonce.
    let issuer = openidconnect::IssuerUrl::new(ctx.app.issuer()).unwrap();
    let http_client = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta =
        openidconnect::core::CoreProviderMetadata::discover_async(issuer.clone(), &http_client)
            .await
            .unwrap();
    let verifier_oidc = openidconnect::core::CoreIdTokenVerifier::new_public_client(
        openidconnect::ClientId::new(ctx.app.client_id.clone()),
        issuer,
        meta.jwks().clone(),
    );
    let parsed: openidconnect::core::CoreIdToken = id_token.parse().unwrap();
    let claims = parsed
        .claims(&verifier_oidc, &openidconnect::Nonce::new(nonce.into()))
        .expect("ID token verifies");
    assert_eq!(claims.subject().as_str(), user.id);
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(claims.email_verified(), Some(true));
    let expected_hash = openidconnect::AccessTokenHash::from_token(
        &openidconnect::AccessToken::new(access_token.clone()),
        parsed.signing_alg().unwrap(),
        parsed.signing_key(&verifier_oidc).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    // A wrong nonce is caught by the same verifier.
    assert!(
        parsed
            .claims(&verifier_oidc, &openidconnect::Nonce::new("other".into()))
            .is_err()
    );

    let h = header_of(&id_token);
    assert_eq!(h["typ"], "JWT");
    assert_eq!(h["alg"], "RS256");
    let c = payload(&id_token);
    assert_eq!(c["iss"], ctx.app.issuer());
    assert_eq!(c["aud"], ctx.app.client_id);
    assert_eq!(c["nonce"], nonce);
    assert_eq!(c["token_use"], "id");
    assert_eq!(c["cognito:username"], user.username);
    assert_eq!(c["cognito:groups"], json!(["admins"]));
    assert_eq!(c["amr"], json!(["pwd"]));
    assert_eq!(c["name"], "Ada Lovelace");
    assert_eq!(c["custom:tier"], "gold");
    assert!(c.get("phone_number").is_none(), "no phone scope");
    assert!(c["auth_time"].as_i64().unwrap() <= c["iat"].as_i64().unwrap());
    assert!(c["jti"].as_str().is_some());

    // The access token: RFC 9068 typ, Cognito's claims, signed by a JWKS key.
    let h = header_of(&access_token);
    assert_eq!(h["typ"], "at+jwt");
    let a = payload(&access_token);
    assert_eq!(a["token_use"], "access");
    assert_eq!(a["client_id"], ctx.app.client_id);
    assert_eq!(a["sub"], user.id);
    assert_eq!(a["username"], user.username);
    assert_eq!(a["scope"], "openid email profile");
    assert_eq!(a["origin_jti"], c["origin_jti"]);
    assert_eq!(a["cognito:groups"], json!(["admins"]));
    assert_eq!(
        a["aud"], ctx.app.client_id,
        "RFC 9068: aud, the client here"
    );
    assert!(a["event_id"].as_str().is_some());
    let jwks: Value = ctx
        .http
        .get(ctx.app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = josekit::jwk::Jwk::from_bytes(jwks["keys"][0].to_string().as_bytes()).unwrap();
    let v = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    josekit::jwt::decode_with_verifier(&access_token, &v).expect("access token signature");

    // UserInfo's sub is the ID token's.
    let info: Value = ctx.userinfo_get(&access_token).await.json().await.unwrap();
    assert_eq!(info["sub"], user.id);
}

#[tokio::test]
async fn reused_code_is_invalid_grant_and_revokes_the_first_exchange() {
    let ctx = Ctx::new().await;
    let rs = ctx.confidential("resource server");
    let user = ctx.user("ada@example.com");
    let (code, verifier) = ctx.public_code(&user, "openid offline_access", None);
    let first = ctx.exchange_public(&code, &verifier).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let refresh = first.str("refresh_token");
    let access = first.str("access_token");
    assert_eq!(ctx.introspect(&rs, &access).await.body["active"], true);

    let second = ctx.exchange_public(&code, &verifier).await;
    assert_oauth_error(&second, 400, "invalid_grant");

    // The replay revoked (and committed the revocation of) what the first exchange issued.
    assert_oauth_error(&ctx.refresh_public(&refresh).await, 400, "invalid_grant");
    assert_eq!(ctx.userinfo_get(&access).await.status(), 401);
    assert_eq!(
        ctx.introspect(&rs, &access).await.body,
        json!({"active": false})
    );
}

#[tokio::test]
async fn replays_that_fail_authentication_or_pkce_do_not_revoke() {
    let ctx = Ctx::new().await;
    let (client, secret) = ctx.confidential("web app");
    let user = ctx.user("ada@example.com");
    let code = ctx.issue_code_directly(
        &client.id,
        &user,
        "https://rp.example/cb",
        "openid offline_access",
        None,
        None,
        300,
    );
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://rp.example/cb"),
    ];
    let first = ctx.token(&form, Some((&client.id, &secret))).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let refresh = first.str("refresh_token");

    // A replay with a wrong secret: 401 with a Basic challenge, and nothing revoked.
    let r = ctx.token(&form, Some((&client.id, "wrong-secret"))).await;
    assert_oauth_error(&r, 401, "invalid_client");
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    let refreshed = ctx
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some((&client.id, &secret)),
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);

    // Public client: a replay with a wrong verifier does not revoke; the right one does.
    let (code, verifier) = ctx.public_code(&user, "openid offline_access", None);
    let first = ctx.exchange_public(&code, &verifier).await;
    let refresh = first.str("refresh_token");
    let (other_verifier, _) = pkce_pair();
    let r = ctx.exchange_public(&code, &other_verifier).await;
    assert_oauth_error(&r, 400, "invalid_grant");
    let r = ctx.refresh_public(&refresh).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let newest = r.str("refresh_token");
    let r = ctx.exchange_public(&code, &verifier).await;
    assert_oauth_error(&r, 400, "invalid_grant");
    assert_oauth_error(&ctx.refresh_public(&newest).await, 400, "invalid_grant");
}

#[tokio::test]
async fn code_binding_pkce_redirect_uri_expiry_and_user_state_are_enforced() {
    let ctx = Ctx::new().await;
    let user = ctx.user("ada@example.com");
    let (client, secret) = ctx.confidential("web app");

    // Wrong verifier.
    let (code, _) = ctx.public_code(&user, "openid", None);
    let (wrong, _) = pkce_pair();
    assert_oauth_error(
        &ctx.exchange_public(&code, &wrong).await,
        400,
        "invalid_grant",
    );
    // Missing verifier for a code issued with a challenge.
    let (code, _) = ctx.public_code(&user, "openid", None);
    let r = ctx
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &ctx.app.redirect_uri),
                ("client_id", &ctx.app.client_id),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_grant");
    // A public client's code without any PKCE.
    let code = ctx.issue_code_directly(
        &ctx.app.client_id,
        &user,
        &ctx.app.redirect_uri,
        "openid",
        None,
        None,
        300,
    );
    let r = ctx
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &ctx.app.redirect_uri),
                ("client_id", &ctx.app.client_id),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_grant");
    // A verifier for a code issued without a challenge (downgrade).
    let code = ctx.issue_code_directly(
        &client.id,
        &user,
        "https://rp.example/cb",
        "openid",
        None,
        None,
        300,
    );
    let (verifier, _) = pkce_pair();
    let r = ctx
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://rp.example/cb"),
                ("code_verifier", &verifier),
            ],
            Some((&client.id, &secret)),
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_grant");
    // Wrong redirect URI (a trailing slash is a different string).
    let (code, verifier) = ctx.public_code(&user, "openid", None);
    let r = ctx
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &format!("{}/", ctx.app.redirect_uri)),
                ("client_id", &ctx.app.client_id),
                ("code_verifier", &verifier),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_grant");
    // The right redirect URI still works for that code: the failures above did not burn it.
    assert_eq!(ctx.exchange_public(&code, &verifier).await.status, 200);
    // redirect_uri may be left out only when the client has one registered URI (the code's).
    let code = ctx.issue_code_directly(
        &client.id,
        &user,
        "https://rp.example/cb",
        "openid",
        None,
        None,
        300,
    );
    let no_uri = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
    ];
    let r = ctx.token(&no_uri, Some((&client.id, &secret))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut two = ClientSettings {
        redirect_uris: vec!["https://rp.example/a".into(), "https://rp.example/b".into()],
        ..ClientSettings::default()
    };
    two.scopes = vec!["openid".into()];
    let (two, two_secret) = ctx.client("two uris", two, true);
    let code = ctx.issue_code_directly(
        &two.id,
        &user,
        "https://rp.example/a",
        "openid",
        None,
        None,
        300,
    );
    let no_uri = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
    ];
    let r = ctx.token(&no_uri, Some((&two.id, &two_secret))).await;
    assert_oauth_error(&r, 400, "invalid_grant");
    // Expired code.
    let (verifier, challenge) = pkce_pair();
    let code = ctx.issue_code_directly(
        &ctx.app.client_id,
        &user,
        &ctx.app.redirect_uri,
        "openid",
        Some(&challenge),
        None,
        -1,
    );
    assert_oauth_error(
        &ctx.exchange_public(&code, &verifier).await,
        400,
        "invalid_grant",
    );
    // Another client's code.
    let code = ctx.issue_code_directly(
        &client.id,
        &user,
        &ctx.app.redirect_uri,
        "openid",
        Some(&challenge),
        None,
        300,
    );
    assert_oauth_error(
        &ctx.exchange_public(&code, &verifier).await,
        400,
        "invalid_grant",
    );
    // A made-up code.
    assert_oauth_error(
        &ctx.exchange_public("not-a-code", &verifier).await,
        400,
        "invalid_grant",
    );
    // Disabled and unconfirmed users get nothing.
    let mut disabled = ctx.user("bob@example.com");
    let (code, verifier) = ctx.public_code(&disabled, "openid", None);
    disabled.enabled = false;
    ctx.update_user(&disabled);
    assert_oauth_error(
        &ctx.exchange_public(&code, &verifier).await,
        400,
        "invalid_grant",
    );
    let mut unconfirmed = ctx.user("carol@example.com");
    unconfirmed.status = incognito::accounts::UserStatus::Unconfirmed;
    ctx.update_user(&unconfirmed);
    let (code, verifier) = ctx.public_code(&unconfirmed, "openid", None);
    assert_oauth_error(
        &ctx.exchange_public(&code, &verifier).await,
        400,
        "invalid_grant",
    );
}

// ---------------------------------------------------------------------------------------
// Client authentication

#[tokio::test]
async fn client_authentication_failures() {
    let ctx = Ctx::new().await;
    let (client, secret) = ctx.confidential("web app");
    let user = ctx.user("ada@example.com");
    let code = ctx.issue_code_directly(
        &client.id,
        &user,
        "https://rp.example/cb",
        "openid",
        None,
        None,
        300,
    );
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://rp.example/cb"),
    ];
    let with = |extra: &[(&'static str, &str)]| {
        let mut f: Vec<(&str, String)> = grant.iter().map(|(k, v)| (*k, v.to_string())).collect();
        f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        f
    };
    let send = |f: Vec<(&'static str, String)>, basic: Option<(String, String)>| {
        let ctx = &ctx;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ctx.token(
                &pairs,
                basic.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            )
            .await
        }
    };

    // Wrong secret, by header and by body; unknown client: the same answer.
    let r1 = send(with(&[]), Some((client.id.clone(), "nope".into()))).await;
    assert_oauth_error(&r1, 401, "invalid_client");
    assert!(r1.header("www-authenticate").is_some());
    let r2 = send(
        with(&[("client_id", &client.id), ("client_secret", "nope")]),
        None,
    )
    .await;
    assert_oauth_error(&r2, 401, "invalid_client");
    assert!(r2.header("www-authenticate").is_some());
    let r3 = send(
        with(&[("client_id", "no-such-client"), ("client_secret", "nope")]),
        None,
    )
    .await;
    assert_oauth_error(&r3, 401, "invalid_client");
    assert_eq!(
        r2.body, r3.body,
        "unknown client and wrong secret look the same"
    );
    // A confidential client without its secret.
    let r = send(with(&[("client_id", &client.id)]), None).await;
    assert_oauth_error(&r, 401, "invalid_client");
    // No client identification at all.
    let r = send(with(&[]), None).await;
    assert_oauth_error(&r, 401, "invalid_client");
    // Credentials in both the header and the body.
    let r = send(
        with(&[("client_secret", &secret)]),
        Some((client.id.clone(), secret.clone())),
    )
    .await;
    assert_oauth_error(&r, 400, "invalid_request");
    // A public client must not send a secret.
    let r = ctx
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", &ctx.app.client_id),
                ("client_secret", "anything"),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 401, "invalid_client");

    // The real secret by client_secret_post works, and the code is still unused.
    let r = send(
        with(&[("client_id", &client.id), ("client_secret", &secret)]),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn client_secret_guessing_is_throttled() {
    let ctx = Ctx::new().await;
    let (client, secret) = ctx.confidential("web app");
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    for _ in 0..incognito::oidc::client_auth::MAX_FAILURES {
        let r = ctx.token(&form, Some((&client.id, "guess"))).await;
        assert_oauth_error(&r, 401, "invalid_client");
    }
    // Even the right secret is refused while the client is throttled.
    let r = ctx.token(&form, Some((&client.id, &secret))).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body["error"].is_string());
}

// ---------------------------------------------------------------------------------------
// Refresh tokens

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let ctx = Ctx::new().await;
    let rs = ctx.confidential("resource server");
    let (user, first) = ctx
        .signed_in("ada@example.com", "openid email offline_access")
        .await;
    let r1 = first.str("refresh_token");
    let auth_time = payload(&first.str("id_token"))["auth_time"].clone();

    let second = ctx.refresh_public(&r1).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let r2 = second.str("refresh_token");
    assert_ne!(r1, r2, "rotated");
    let id2 = payload(&second.str("id_token"));
    assert_eq!(id2["sub"], user.id);
    assert_eq!(id2["auth_time"], auth_time, "auth_time is kept");
    assert!(id2.get("nonce").is_none(), "no nonce on refresh");
    assert_eq!(
        payload(&second.str("access_token"))["origin_jti"],
        payload(&first.str("access_token"))["origin_jti"]
    );

    let third = ctx.refresh_public(&r2).await;
    assert_eq!(third.status, 200, "{}", third.body);
    let r3 = third.str("refresh_token");
    let a3 = third.str("access_token");
    assert_eq!(ctx.userinfo_get(&a3).await.status(), 200);

    // r1 comes back: invalid_grant, and the whole family is gone.
    assert_oauth_error(&ctx.refresh_public(&r1).await, 400, "invalid_grant");
    assert_oauth_error(&ctx.refresh_public(&r3).await, 400, "invalid_grant");
    let resp = ctx.userinfo_get(&a3).await;
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(ctx.introspect(&rs, &a3).await.body["active"], false);
}

#[tokio::test]
async fn refresh_scope_client_binding_user_state_and_cognito_mode() {
    let ctx = Ctx::new().await;
    let (user, first) = ctx
        .signed_in("ada@example.com", "openid email profile offline_access")
        .await;
    let r1 = first.str("refresh_token");
    // Wider scope.
    let r = ctx
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &r1),
                ("client_id", &ctx.app.client_id),
                ("scope", "openid phone"),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_scope");
    // Narrower scope works; the access token carries it, and no ID token without openid.
    let r = ctx
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &r1),
                ("client_id", &ctx.app.client_id),
                ("scope", "email"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["scope"], "email");
    assert!(r.body.get("id_token").is_none());
    let r2 = r.str("refresh_token");
    // The granted scope stays the family's: the next refresh gets it all back.
    let r = ctx.refresh_public(&r2).await;
    assert_eq!(r.body["scope"], "openid email profile offline_access");
    let r3 = r.str("refresh_token");

    // Another client cannot use the token.
    let (other, other_secret) = ctx.confidential("other");
    let r = ctx
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", &r3)],
            Some((&other.id, &other_secret)),
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_grant");

    // A disabled user cannot refresh.
    let mut u = user.clone();
    u.enabled = false;
    ctx.update_user(&u);
    assert_oauth_error(&ctx.refresh_public(&r3).await, 400, "invalid_grant");
    let access = first.str("access_token");
    let rs = (other.clone(), other_secret.clone());
    assert_eq!(ctx.userinfo_get(&access).await.status(), 401);
    assert_eq!(ctx.introspect(&rs, &access).await.body["active"], false);
    u.enabled = true;
    ctx.update_user(&u);
    assert_eq!(ctx.introspect(&rs, &access).await.body["active"], true);
    let r = ctx.refresh_public(&r3).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Cognito's mode: no rotation, the same refresh token keeps working.
    let (cog, cog_secret) = ctx.client(
        "cognito style",
        ClientSettings {
            redirect_uris: vec!["https://rp.example/cb".into()],
            scopes: vec!["openid".into(), "email".into()],
            always_issue_refresh_token: true,
            rotate_refresh_tokens: false,
            ..ClientSettings::default()
        },
        true,
    );
    let code = ctx.issue_code_directly(
        &cog.id,
        &user,
        "https://rp.example/cb",
        "openid email",
        None,
        None,
        300,
    );
    let r = ctx
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://rp.example/cb"),
            ],
            Some((&cog.id, &cog_secret)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rt = r.str("refresh_token");
    for _ in 0..2 {
        let r = ctx
            .token(
                &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                Some((&cog.id, &cog_secret)),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.get("refresh_token").is_none(), "kept, not rotated");
        assert!(r.body.get("id_token").is_some());
    }
}

// ---------------------------------------------------------------------------------------
// Client credentials and unsupported grants

#[tokio::test]
async fn client_credentials_grant() {
    let ctx = Ctx::new().await;
    let (svc, secret) = ctx.client(
        "svc",
        ClientSettings {
            redirect_uris: vec!["https://svc.example/cb".into()],
            flows: vec![OAuthFlow::Code, OAuthFlow::ClientCredentials],
            scopes: vec!["api/read".into(), "api/write".into(), "openid".into()],
            ..ClientSettings::default()
        },
        true,
    );
    let r = ctx
        .token(
            &[("grant_type", "client_credentials")],
            Some((&svc.id, &secret)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["scope"], "api/read api/write");
    assert!(r.body.get("id_token").is_none());
    assert!(r.body.get("refresh_token").is_none());
    let a = payload(&r.str("access_token"));
    assert_eq!(a["sub"], svc.id);
    assert_eq!(a["client_id"], svc.id);
    assert_eq!(a["token_use"], "access");
    assert!(a.get("username").is_none());
    let info = ctx
        .introspect(&(svc.clone(), secret.clone()), &r.str("access_token"))
        .await;
    assert_eq!(info.body["active"], true);
    assert_eq!(info.body["client_id"], svc.id);
    // No user: userinfo refuses the token (it has no openid scope).
    assert_eq!(ctx.userinfo_get(&r.str("access_token")).await.status(), 403);

    let r = ctx
        .token(
            &[("grant_type", "client_credentials"), ("scope", "api/read")],
            Some((&svc.id, &secret)),
        )
        .await;
    assert_eq!(r.body["scope"], "api/read");
    for bad in ["openid", "api/delete", "api/read other/x"] {
        let r = ctx
            .token(
                &[("grant_type", "client_credentials"), ("scope", bad)],
                Some((&svc.id, &secret)),
            )
            .await;
        assert_oauth_error(&r, 400, "invalid_scope");
    }
    // A public client, and a confidential client without the flow.
    let r = ctx
        .token(
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &ctx.app.client_id),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 400, "unauthorized_client");
    let (web, web_secret) = ctx.confidential("web");
    let r = ctx
        .token(
            &[("grant_type", "client_credentials")],
            Some((&web.id, &web_secret)),
        )
        .await;
    assert_oauth_error(&r, 400, "unauthorized_client");
}

#[tokio::test]
async fn client_credentials_tokens_are_stored_only_when_revoked() {
    let ctx = Ctx::new().await;
    let (svc, secret) = ctx.client(
        "svc",
        ClientSettings {
            redirect_uris: vec!["https://svc.example/cb".into()],
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec!["api/read".into()],
            ..ClientSettings::default()
        },
        true,
    );
    let svc = (svc, secret);
    let rs = ctx.confidential("resource server");
    let families = |ctx: &Ctx| {
        ctx.app
            .state
            .store
            .read_sync(|db| {
                db.query_one("SELECT count(*) FROM token_families", &[], |r| {
                    r.get::<i64>(0)
                })
            })
            .unwrap()
    };
    async fn machine_token(ctx: &Ctx, svc: &(Client, String)) -> String {
        let r = ctx
            .token(
                &[("grant_type", "client_credentials")],
                Some((&svc.0.id, &svc.1)),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.str("access_token")
    }
    async fn revoke(ctx: &Ctx, client: &(Client, String), token: &str) {
        let r = ctx
            .post_form(
                "/oauth2/revoke",
                &[("token", token)],
                Some((&client.0.id, &client.1)),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let before = families(&ctx);
    let first = machine_token(&ctx, &svc).await;
    let second = machine_token(&ctx, &svc).await;
    assert_eq!(families(&ctx), before, "a machine token is not stored");
    assert_eq!(ctx.introspect(&rs, &first).await.body["active"], true);

    // Another client cannot revoke it; its own client can, and only that token dies.
    revoke(&ctx, &rs, &first).await;
    assert_eq!(ctx.introspect(&rs, &first).await.body["active"], true);
    revoke(&ctx, &svc, &first).await;
    assert_eq!(ctx.introspect(&rs, &first).await.body["active"], false);
    assert_eq!(families(&ctx), before + 1);
    revoke(&ctx, &svc, &first).await;
    assert_eq!(
        families(&ctx),
        before + 1,
        "revoking twice stores nothing more"
    );
    assert_eq!(ctx.introspect(&rs, &second).await.body["active"], true);

    // A deleted client's tokens die with it.
    ctx.app
        .state
        .store
        .write_sync(|db| incognito::store::clients::delete(db, &ctx.pool.id, &svc.0.id))
        .unwrap();
    assert_eq!(ctx.introspect(&rs, &second).await.body["active"], false);
}

#[tokio::test]
async fn unsupported_and_missing_grant_types() {
    let ctx = Ctx::new().await;
    let (web, secret) = ctx.confidential("web");
    for gt in [
        "password",
        "implicit",
        "token",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let r = ctx
            .token(
                &[("grant_type", gt), ("username", "a"), ("password", "b")],
                Some((&web.id, &secret)),
            )
            .await;
        assert_oauth_error(&r, 400, "unsupported_grant_type");
    }
    let r = ctx.token(&[("code", "x")], Some((&web.id, &secret))).await;
    assert_oauth_error(&r, 400, "invalid_request");
    // A grant the client may not use: the public client without the code flow.
    let (no_code, _) = ctx.client(
        "no code",
        ClientSettings {
            flows: vec![],
            ..ClientSettings::default()
        },
        false,
    );
    let r = ctx
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("redirect_uri", "https://rp.example/cb"),
                ("client_id", &no_code.id),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 400, "unauthorized_client");
}

// ---------------------------------------------------------------------------------------
// Malformed requests: always the protocol's JSON error, never a 500 or plain text

#[tokio::test]
async fn malformed_token_requests_get_json_errors() {
    let ctx = Ctx::new().await;
    let form = Some("application/x-www-form-urlencoded");
    let client = format!("client_id={}", ctx.app.client_id);
    let cases: Vec<(&str, Option<&str>, Vec<u8>)> = vec![
        (
            "duplicate",
            form,
            format!("grant_type=authorization_code&grant_type=authorization_code&{client}")
                .into_bytes(),
        ),
        (
            "oversized value",
            form,
            format!(
                "grant_type=authorization_code&code={}&{client}",
                "a".repeat(5000)
            )
            .into_bytes(),
        ),
        (
            "invalid UTF-8 escape",
            form,
            format!("grant_type=authorization_code&code=%ff%fe&{client}").into_bytes(),
        ),
        ("raw invalid UTF-8", form, b"grant_type=\xff\xfe".to_vec()),
        (
            "wrong content type",
            Some("text/plain"),
            b"grant_type=refresh_token".to_vec(),
        ),
        (
            "no content type",
            None,
            b"grant_type=refresh_token".to_vec(),
        ),
        (
            "JSON body",
            Some("application/json"),
            br#"{"grant_type":"refresh_token","refresh_token":"x"}"#.to_vec(),
        ),
        (
            "JSON body labelled as a form",
            form,
            br#"{"grant_type":"refresh_token","refresh_token":"x"}"#.to_vec(),
        ),
        ("empty body", form, vec![]),
        (
            "binary",
            Some("application/octet-stream"),
            vec![0, 159, 146, 150],
        ),
        (
            "missing code",
            form,
            format!("grant_type=authorization_code&redirect_uri=x&{client}").into_bytes(),
        ),
        (
            "missing refresh_token",
            form,
            format!("grant_type=refresh_token&{client}").into_bytes(),
        ),
        (
            "too many parameters",
            form,
            (0..100)
                .map(|i| format!("p{i}=1"))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes(),
        ),
    ];
    for (name, ct, body) in cases {
        let r = ctx.post_raw("/oauth2/token", ct, body, None).await;
        assert_eq!(r.status, 400, "{name}: {}", r.body);
        assert_eq!(r.error(), "invalid_request", "{name}: {}", r.body);
        assert_no_store(&r);
    }
    // A body over the size limit.
    let big = format!("grant_type=refresh_token&pad={}", "a".repeat(100 * 1024)).into_bytes();
    let r = ctx.post_raw("/oauth2/token", form, big, None).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.error(), "invalid_request");
    // The same discipline at revoke and introspect.
    for path in ["/oauth2/revoke", "/oauth2/introspect"] {
        let r = ctx
            .post_raw(path, Some("application/json"), b"{}".to_vec(), None)
            .await;
        assert_oauth_error(&r, 400, "invalid_request");
        let r = ctx
            .post_raw(path, form, b"token=a&token=b".to_vec(), None)
            .await;
        assert_oauth_error(&r, 400, "invalid_request");
        let r = ctx.post_raw(path, form, b"token=%ff".to_vec(), None).await;
        assert_oauth_error(&r, 400, "invalid_request");
    }
}

// ---------------------------------------------------------------------------------------
// UserInfo and hostile tokens

/// Tokens that must never be accepted as access tokens of the default pool.
async fn hostile_tokens(ctx: &Ctx) -> Vec<(&'static str, String)> {
    let (_, r) = ctx.signed_in("victim@example.com", "openid email").await;
    let real = r.str("access_token");
    let id_token = r.str("id_token");
    let claims = payload(&real);
    let kid = header_of(&real)["kid"].as_str().unwrap().to_string();
    let enc = |v: &Value| B64.encode(serde_json::to_vec(v).unwrap());
    let body = enc(&Value::Object(claims.clone()));

    let none = format!(
        "{}.{}.",
        enc(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
        body
    );
    // HS256 keyed with the pool's public key (the classic algorithm confusion).
    let jwks = ctx.entry().keys.jwks_json();
    let public_jwk = serde_json::from_str::<Value>(&jwks).unwrap()["keys"][0].to_string();
    let hs_input = format!(
        "{}.{}",
        enc(&json!({"alg": "HS256", "typ": "at+jwt", "kid": kid})),
        body
    );
    let hs = {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(public_jwk.as_bytes()).unwrap();
        mac.update(hs_input.as_bytes());
        format!("{hs_input}.{}", B64.encode(mac.finalize().into_bytes()))
    };
    // A well-formed token signed by a key the pool does not know.
    let foreign_key = incognito::keys::generate(incognito::keys::Alg::RS256).unwrap();
    let foreign = incognito::keys::KeySet::new(vec![
        incognito::keys::LoadedKey::load(&incognito::keys::KeyMaterial {
            kid: foreign_key.kid.clone(),
            alg: "RS256".into(),
            private_jwk: foreign_key.private_jwk.clone(),
            public_jwk: foreign_key.public_jwk.clone(),
            active: true,
        })
        .unwrap(),
    ]);
    let unknown_kid = foreign.sign(claims.clone(), "at+jwt").unwrap();
    // Expired, signed with the pool's real key.
    let mut expired_claims = claims.clone();
    let now = ctx.app.state.now();
    expired_claims.insert("iat".into(), json!(now - 7200));
    expired_claims.insert("exp".into(), json!(now - 3600));
    let expired = ctx.entry().keys.sign(expired_claims, "at+jwt").unwrap();
    // Not yet valid.
    let mut nbf_claims = claims.clone();
    nbf_claims.insert("nbf".into(), json!(now + 3600));
    let not_yet = ctx.entry().keys.sign(nbf_claims, "at+jwt").unwrap();
    // Wrong issuer, signed with the pool's real key.
    let mut iss_claims = claims.clone();
    iss_claims.insert("iss".into(), json!("https://evil.example/local_x"));
    let wrong_iss = ctx.entry().keys.sign(iss_claims, "at+jwt").unwrap();
    // A valid token of another pool of the same server.
    let other_pool = {
        let sealer = ctx.app.state.sealer.clone();
        let now = ctx.app.state.now();
        let pool = ctx
            .app
            .state
            .store
            .write_sync(|db| {
                incognito::pools::service::create_pool(
                    db,
                    None,
                    "Other",
                    "local",
                    incognito::pools::PoolSettings::default(),
                    incognito::keys::Alg::RS256,
                    &sealer,
                    now,
                )
            })
            .unwrap();
        let entry = ctx
            .app
            .state
            .directory
            .get_sync(&pool.id, now)
            .unwrap()
            .unwrap();
        let mut c = claims.clone();
        c.insert(
            "iss".into(),
            json!(format!("{}/{}", ctx.app.address, pool.id)),
        );
        entry.keys.sign(c, "at+jwt").unwrap()
    };
    // The access token's own claims, signed by the pool, but marked as an ID token.
    let mut id_use = claims.clone();
    id_use.insert("token_use".into(), json!("id"));
    let id_use = ctx.entry().keys.sign(id_use, "JWT").unwrap();
    // A tampered payload.
    let parts: Vec<&str> = real.split('.').collect();
    let mut tampered_claims = claims.clone();
    tampered_claims.insert("scope".into(), json!("openid email profile phone"));
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        enc(&Value::Object(tampered_claims)),
        parts[2]
    );
    vec![
        ("garbage", "not-a-token".to_string()),
        ("alg none", none),
        ("HS256 with the public key", hs),
        ("unknown kid", unknown_kid),
        ("expired", expired),
        ("not yet valid", not_yet),
        ("wrong issuer", wrong_iss),
        ("another pool", other_pool),
        ("ID token", id_token),
        ("token_use id", id_use),
        ("tampered", tampered),
    ]
}

#[tokio::test]
async fn userinfo_get_and_post_and_hostile_tokens() {
    let ctx = Ctx::new().await;
    let rs = ctx.confidential("resource server");
    let (user, r) = ctx
        .signed_in("ada@example.com", "openid email profile")
        .await;
    let access = r.str("access_token");

    let resp = ctx.userinfo_get(&access).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let info: Value = resp.json().await.unwrap();
    assert_eq!(info["sub"], user.id);
    assert_eq!(info["email"], "ada@example.com");
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["name"], "Ada Lovelace");
    assert_eq!(info["locale"], "en-GB");
    assert_eq!(info["custom:tier"], "gold");
    assert!(info.get("phone_number").is_none(), "no phone scope");

    // POST with the header, and POST with the form parameter.
    let resp = ctx
        .http
        .post(ctx.app.url("/oauth2/userInfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = ctx
        .post_form("/oauth2/userInfo", &[("access_token", &access)], None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["sub"], user.id);

    // Both ways at once, or in the URL: invalid_request.
    let resp = ctx
        .http
        .post(ctx.app.url("/oauth2/userInfo"))
        .bearer_auth(&access)
        .form(&[("access_token", &access)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = ctx
        .http
        .get(format!(
            "{}?access_token={access}",
            ctx.app.url("/oauth2/userInfo")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = ctx
        .http
        .get(format!(
            "{}?access_token={access}",
            ctx.app.url("/oauth2/userInfo")
        ))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "a token in the URL is refused outright");
    // No token.
    let resp = ctx
        .http
        .get(ctx.app.url("/oauth2/userInfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    // Another scheme.
    let resp = ctx
        .http
        .get(ctx.app.url("/oauth2/userInfo"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    for (name, token) in hostile_tokens(&ctx).await {
        let resp = ctx.userinfo_get(&token).await;
        assert_eq!(resp.status(), 401, "{name}");
        let challenge = resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
            "{name}: {challenge}"
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token", "{name}");
        let r = ctx.introspect(&rs, &token).await;
        assert_eq!(r.body, json!({"active": false}), "{name}");
    }

    // A deleted user's token is dead too.
    let pool_id = ctx.pool.id.clone();
    let uid = user.id.clone();
    ctx.app
        .state
        .store
        .write_sync(|db| incognito::store::users::delete(db, &pool_id, &uid))
        .unwrap();
    assert_eq!(ctx.userinfo_get(&access).await.status(), 401);
}

// ---------------------------------------------------------------------------------------
// Revocation and introspection

#[tokio::test]
async fn revocation() {
    let ctx = Ctx::new().await;
    let rs = ctx.confidential("resource server");
    let public_revoke = |token: String| {
        let ctx = &ctx;
        async move {
            let r = ctx
                .post_form(
                    "/oauth2/revoke",
                    &[
                        ("token", token.as_str()),
                        ("client_id", ctx.app.client_id.as_str()),
                    ],
                    None,
                )
                .await;
            assert_no_store(&r);
            r
        }
    };
    // Unknown tokens: 200.
    assert_eq!(public_revoke("no-such-token".into()).await.status, 200);
    assert_eq!(public_revoke("a.b.c".into()).await.status, 200);
    // Missing token: invalid_request.
    let r = ctx
        .post_form("/oauth2/revoke", &[("client_id", &ctx.app.client_id)], None)
        .await;
    assert_oauth_error(&r, 400, "invalid_request");

    // Revoking a refresh token kills its access token at our endpoints.
    let (_, t) = ctx
        .signed_in("ada@example.com", "openid offline_access")
        .await;
    let r = public_revoke(t.str("refresh_token")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, Value::Null, "empty body");
    assert_eq!(
        ctx.introspect(&rs, &t.str("access_token")).await.body["active"],
        false
    );
    assert_eq!(ctx.userinfo_get(&t.str("access_token")).await.status(), 401);
    assert_oauth_error(
        &ctx.refresh_public(&t.str("refresh_token")).await,
        400,
        "invalid_grant",
    );

    // Revoking an access token revokes its family (refresh token included).
    let (_, t) = ctx
        .signed_in("bob@example.com", "openid offline_access")
        .await;
    let r = ctx
        .post_form(
            "/oauth2/revoke",
            &[
                ("token", &t.str("access_token")),
                ("token_type_hint", "access_token"),
                ("client_id", &ctx.app.client_id),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(ctx.userinfo_get(&t.str("access_token")).await.status(), 401);
    assert_oauth_error(
        &ctx.refresh_public(&t.str("refresh_token")).await,
        400,
        "invalid_grant",
    );

    // Only the owning client can revoke: another client gets 200 but nothing happens.
    let (_, t) = ctx
        .signed_in("carol@example.com", "openid offline_access")
        .await;
    let (other, other_secret) = ctx.confidential("other");
    for token in [t.str("refresh_token"), t.str("access_token")] {
        let r = ctx
            .post_form(
                "/oauth2/revoke",
                &[("token", &token)],
                Some((&other.id, &other_secret)),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(ctx.userinfo_get(&t.str("access_token")).await.status(), 200);
    assert_eq!(
        ctx.refresh_public(&t.str("refresh_token")).await.status,
        200
    );
    // A wrong secret is invalid_client.
    let r = ctx
        .post_form(
            "/oauth2/revoke",
            &[("token", "x")],
            Some((&other.id, "wrong")),
        )
        .await;
    assert_oauth_error(&r, 401, "invalid_client");
}

#[tokio::test]
async fn introspection_is_for_confidential_clients() {
    let ctx = Ctx::new().await;
    let rs = ctx.confidential("resource server");
    let (user, t) = ctx
        .signed_in("ada@example.com", "openid email offline_access")
        .await;
    // A public client may not introspect.
    let r = ctx
        .post_form(
            "/oauth2/introspect",
            &[
                ("token", &t.str("access_token")),
                ("client_id", &ctx.app.client_id),
            ],
            None,
        )
        .await;
    assert_oauth_error(&r, 401, "invalid_client");
    // Nor anyone without credentials, nor with a wrong secret.
    let r = ctx
        .post_form("/oauth2/introspect", &[("token", "x")], None)
        .await;
    assert_oauth_error(&r, 401, "invalid_client");
    let r = ctx
        .post_form(
            "/oauth2/introspect",
            &[("token", "x")],
            Some((&rs.0.id, "no")),
        )
        .await;
    assert_oauth_error(&r, 401, "invalid_client");

    let r = ctx.introspect(&rs, &t.str("access_token")).await;
    let b = &r.body;
    assert_eq!(b["active"], true);
    assert_eq!(b["scope"], "openid email offline_access");
    assert_eq!(b["client_id"], ctx.app.client_id);
    assert_eq!(b["username"], user.username);
    assert_eq!(b["sub"], user.id);
    assert_eq!(b["iss"], ctx.app.issuer());
    assert_eq!(b["token_type"], "access_token");
    assert_eq!(b["token_use"], "access");
    assert!(b["exp"].as_i64().unwrap() > b["iat"].as_i64().unwrap());
    // The ID token is not an access token.
    assert_eq!(
        ctx.introspect(&rs, &t.str("id_token")).await.body["active"],
        false
    );
    // A refresh token: only its own client sees it active.
    assert_eq!(
        ctx.introspect(&rs, &t.str("refresh_token")).await.body,
        json!({"active": false})
    );
    let (web, web_secret) = ctx.confidential("web");
    let user2 = ctx.user("bob@example.com");
    let code = ctx.issue_code_directly(
        &web.id,
        &user2,
        "https://rp.example/cb",
        "openid offline_access",
        None,
        None,
        300,
    );
    let t2 = ctx
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://rp.example/cb"),
            ],
            Some((&web.id, &web_secret)),
        )
        .await;
    let r = ctx
        .introspect(&(web.clone(), web_secret.clone()), &t2.str("refresh_token"))
        .await;
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["token_type"], "refresh_token");
    assert_eq!(r.body["client_id"], web.id);
    assert_eq!(r.body["sub"], user2.id);
}

// ---------------------------------------------------------------------------------------
// CORS

#[tokio::test]
async fn cors_only_for_public_client_origins() {
    let ctx = Ctx::new().await;
    // A confidential client's origin is not a browser origin.
    let _ = ctx.confidential("web");
    let allowed = "http://127.0.0.1:8080";
    let preflight = |path: &'static str, origin: &'static str, method: &'static str| {
        let ctx = &ctx;
        async move {
            ctx.http
                .request(reqwest::Method::OPTIONS, ctx.app.url(path))
                .header("origin", origin)
                .header("access-control-request-method", method)
                .header("access-control-request-headers", "content-type")
                .send()
                .await
                .unwrap()
        }
    };
    for path in ["/oauth2/token", "/oauth2/revoke", "/oauth2/userInfo"] {
        let r = preflight(path, allowed, "POST").await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            allowed,
            "{path}"
        );
        assert!(
            r.headers()["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .contains("POST")
        );
        assert!(!r.headers().contains_key("access-control-allow-credentials"));
        for other in ["https://evil.example", "https://rp.example", "null"] {
            let r = preflight(path, other, "POST").await;
            assert!(
                !r.headers().contains_key("access-control-allow-origin"),
                "{path} from {other}"
            );
        }
    }
    let r = preflight("/oauth2/userInfo", allowed, "GET").await;
    assert_eq!(r.headers()["access-control-allow-origin"], allowed);
    let r = preflight("/oauth2/token", allowed, "DELETE").await;
    assert!(!r.headers().contains_key("access-control-allow-origin"));

    // Actual requests: the allowed origin is echoed, on errors too; others get nothing.
    for (origin, expect) in [(allowed, Some(allowed)), ("https://evil.example", None)] {
        let r = ctx
            .http
            .post(ctx.app.url("/oauth2/token"))
            .header("origin", origin)
            .form(&[("grant_type", "password")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            expect
        );
        assert!(!r.headers().contains_key("access-control-allow-credentials"));
    }
    let (_, t) = ctx.signed_in("ada@example.com", "openid").await;
    let r = ctx
        .http
        .get(ctx.app.url("/oauth2/userInfo"))
        .header("origin", allowed)
        .bearer_auth(t.str("access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], allowed);

    // Discovery and JWKS are public documents.
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ] {
        let r = ctx
            .http
            .get(ctx.app.url(path))
            .header("origin", "https://anyone.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        assert!(!r.headers().contains_key("access-control-allow-credentials"));
        let r = preflight(path, "https://anyone.example", "GET").await;
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
    }
}
