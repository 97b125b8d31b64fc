//! Bodies over the size limit: the pages answer 413 with the HTML error page in the pool's
//! look, the OAuth endpoints 413 with their JSON error, never actix's plain text.

use crate::helpers::{TestApp, spawn_app};

/// POSTs a 1 MB form to `path` of the pool; the status, content type and body.
async fn post_oversized(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> (u16, String, String) {
    let r = client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept-language", "de")
        .body(format!("csrf_token=x&username={}", "a".repeat(1024 * 1024)))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    (status, ct, r.text().await.unwrap())
}

#[tokio::test]
async fn oversized_form_posts_get_the_html_error_page() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for page in [
        "/login",
        "/oauth2/authorize",
        "/logout",
        "/signup",
        "/confirm/resend",
    ] {
        let (status, ct, body) = post_oversized(&app, &client, page).await;
        assert_eq!(status, 413, "{page}");
        assert!(ct.starts_with("text/html"), "{page}: {ct}");
        assert!(
            body.contains(r#"<link rel="stylesheet" href="/static/style.css">"#),
            "{page}: {body}"
        );
        assert!(
            body.contains("Zu viele Daten"),
            "{page}: in the asked language: {body}"
        );
    }
}

#[tokio::test]
async fn oversized_token_requests_get_oauth_json() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for endpoint in ["/oauth2/token", "/oauth2/revoke", "/oauth2/introspect"] {
        let (status, ct, body) = post_oversized(&app, &client, endpoint).await;
        assert_eq!(status, 413, "{endpoint}");
        assert!(ct.starts_with("application/json"), "{endpoint}: {ct}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], "invalid_request", "{endpoint}: {v}");
        assert!(v["error_description"].is_string(), "{v}");
    }
}
