//! A small relying party that signs in through Incognito with the `openidconnect` crate:
//! authorization code + PKCE, ID token validation, refresh, and RP-initiated logout.
//!
//! Run the server (`cargo run --release -- serve`), then, with the issuer and client id it
//! printed:
//!
//! ```sh
//! ISSUER=http://127.0.0.1:9229/local_XXXXXXXXX CLIENT_ID=xxxxxxxxxxxxxxxxxxxxxxxxxx \
//!   cargo run --example relying_party
//! ```
//!
//! and open http://127.0.0.1:8080/. Optional: CLIENT_SECRET (confidential clients),
//! LISTEN (default 127.0.0.1:8080).

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, Scope, TokenResponse,
};

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Pending {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
}

#[derive(Clone, Default)]
struct Signed {
    id_token: String,
    refresh_token: Option<String>,
    claims: String,
}

struct Rp {
    client: Client,
    http: openidconnect::reqwest::Client,
    issuer: String,
    client_id: String,
    base: String,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Signed>>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(body: &str) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Example relying party</title></head><body>{body}</body></html>"
    ))
}

fn session_id(req: &HttpRequest) -> Option<String> {
    req.cookie("rp_session").map(|c| c.value().to_string())
}

async fn index(rp: web::Data<Rp>, req: HttpRequest) -> HttpResponse {
    let signed = session_id(&req).and_then(|id| rp.sessions.lock().unwrap().get(&id).cloned());
    match signed {
        None => page(
            "<h1>Example relying party</h1><p><a id=login href=/login>Sign in with Incognito</a></p>",
        ),
        Some(s) => page(&format!(
            "<h1>Signed in</h1><p>ID token claims:</p><pre id=claims>{}</pre><p><a id=refresh href=/refresh>Refresh tokens</a> · <a id=logout href=/logout>Log out</a></p>",
            escape(&s.claims)
        )),
    }
}

async fn login(rp: web::Data<Rp>) -> HttpResponse {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = rp
        .client
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
    rp.pending
        .lock()
        .unwrap()
        .insert(state.secret().clone(), Pending { verifier, nonce });
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .finish()
}

async fn callback(rp: web::Data<Rp>, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    if let Some(e) = q.get("error") {
        return page(&format!("<h1>Sign-in failed</h1><p>{}</p>", escape(e)));
    }
    if q.get("iss") != Some(&rp.issuer) {
        return page("<h1>Sign-in failed</h1><p>The response's iss does not match the issuer.</p>");
    }
    let (Some(code), Some(state)) = (q.get("code"), q.get("state")) else {
        return page("<h1>Missing code or state</h1>");
    };
    let Some(pending) = rp.pending.lock().unwrap().remove(state) else {
        return page("<h1>Unknown or reused state</h1>");
    };
    let exchange = match rp
        .client
        .exchange_code(AuthorizationCode::new(code.clone()))
    {
        Ok(r) => {
            r.set_pkce_verifier(pending.verifier)
                .request_async(&rp.http)
                .await
        }
        Err(e) => {
            return page(&format!(
                "<h1>Configuration error</h1><p>{}</p>",
                escape(&e.to_string())
            ));
        }
    };
    let tokens = match exchange {
        Ok(t) => t,
        Err(e) => {
            return page(&format!(
                "<h1>Token exchange failed</h1><p>{}</p>",
                escape(&e.to_string())
            ));
        }
    };
    let Some(id_token) = tokens.id_token() else {
        return page("<h1>No ID token</h1>");
    };
    let claims = match id_token.claims(&rp.client.id_token_verifier(), &pending.nonce) {
        Ok(c) => serde_json::to_string_pretty(c).unwrap_or_default(),
        Err(e) => {
            return page(&format!(
                "<h1>Invalid ID token</h1><p>{}</p>",
                escape(&e.to_string())
            ));
        }
    };
    let sid = CsrfToken::new_random().secret().clone();
    rp.sessions.lock().unwrap().insert(
        sid.clone(),
        Signed {
            id_token: id_token.to_string(),
            refresh_token: tokens.refresh_token().map(|r| r.secret().clone()),
            claims,
        },
    );
    HttpResponse::Found()
        .cookie(
            Cookie::build("rp_session", sid)
                .path("/")
                .http_only(true)
                .finish(),
        )
        .insert_header((header::LOCATION, "/"))
        .finish()
}

async fn refresh(rp: web::Data<Rp>, req: HttpRequest) -> HttpResponse {
    let Some(sid) = session_id(&req) else {
        return page("<h1>Not signed in</h1>");
    };
    let Some(current) = rp.sessions.lock().unwrap().get(&sid).cloned() else {
        return page("<h1>Not signed in</h1>");
    };
    let Some(rt) = current.refresh_token.clone() else {
        return page("<h1>No refresh token was issued</h1>");
    };
    let result = match rp.client.exchange_refresh_token(&RefreshToken::new(rt)) {
        Ok(r) => r.request_async(&rp.http).await,
        Err(e) => {
            return page(&format!(
                "<h1>Configuration error</h1><p>{}</p>",
                escape(&e.to_string())
            ));
        }
    };
    match result {
        Ok(tokens) => {
            let mut s = current;
            if let Some(r) = tokens.refresh_token() {
                s.refresh_token = Some(r.secret().clone());
            }
            if let Some(id) = tokens.id_token() {
                s.id_token = id.to_string();
            }
            rp.sessions.lock().unwrap().insert(sid, s);
            HttpResponse::Found()
                .insert_header((header::LOCATION, "/"))
                .finish()
        }
        Err(e) => page(&format!(
            "<h1>Refresh failed</h1><p>{}</p>",
            escape(&e.to_string())
        )),
    }
}

async fn logout(rp: web::Data<Rp>, req: HttpRequest) -> HttpResponse {
    let hint = session_id(&req)
        .and_then(|sid| rp.sessions.lock().unwrap().remove(&sid))
        .map(|s| s.id_token);
    let mut url = url::Url::parse(&format!("{}/logout", rp.issuer)).expect("issuer is a URL");
    url.query_pairs_mut()
        .append_pair("client_id", &rp.client_id)
        .append_pair("post_logout_redirect_uri", &format!("{}/", rp.base));
    if let Some(h) = hint {
        url.query_pairs_mut().append_pair("id_token_hint", &h);
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .finish()
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = std::env::var("ISSUER").map_err(|_| "set ISSUER to the pool's issuer URL")?;
    let client_id = std::env::var("CLIENT_ID").map_err(|_| "set CLIENT_ID to the app client id")?;
    let secret = std::env::var("CLIENT_SECRET").ok().map(ClientSecret::new);
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let base = format!("http://{listen}");
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()?;
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone())?, &http).await?;
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(client_id.clone()), secret)
            .set_redirect_uri(RedirectUrl::new(format!("{base}/callback"))?);
    let rp = web::Data::new(Rp {
        client,
        http,
        issuer,
        client_id,
        base,
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
    });
    println!("Example relying party on http://{listen}/");
    HttpServer::new(move || {
        App::new()
            .app_data(rp.clone())
            .route("/", web::get().to(index))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/refresh", web::get().to(refresh))
            .route("/logout", web::get().to(logout))
    })
    .bind(listen)?
    .run()
    .await?;
    Ok(())
}
