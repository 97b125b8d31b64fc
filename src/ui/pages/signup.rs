//! The sign-up page: the pool's required attributes and a password under its policy. Every
//! outcome leads to the same "check your email" page, so the form does not reveal which
//! emails are registered.

use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{
    Ctx, FieldErrors, Path, mail_queued, policy_hint, policy_message, see_other, with_csrf,
};
use crate::accounts::notices;
use crate::accounts::service::{MAX_ATTRIBUTE_LEN, normalize_email};
use crate::accounts::sign_up::{self, SignUp, SignUpOutcome};
use crate::http::pages::{self, Chrome};
use crate::i18n::{LOCALES, Tr, is_known_locale, suggested_locale};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::triggers::custom_message::{self, Context as CustomContext, Source as CustomSource};
use crate::triggers::pre_sign_up;
use crate::ui::csrf;

pub struct Field {
    pub id: String,
    pub name: String,
    pub label: String,
    pub value: String,
    pub is_locale: bool,
}

#[derive(Template)]
#[template(path = "ui/signup.html")]
struct SignUpPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    client_name: String,
    email: String,
    fields: Vec<Field>,
    locales: &'static [(&'static str, &'static str)],
    policy_hint: String,
    errors: FieldErrors,
    login_url: String,
}

fn label(tr: &'static Tr, attribute: &str) -> String {
    match attribute {
        "name" => tr.name.to_string(),
        "locale" => tr.locale.to_string(),
        other => other
            .strip_prefix("custom:")
            .unwrap_or(other)
            .replace('_', " "),
    }
}

/// The form fields for the pool's required attributes other than email.
fn fields(ctx: &Ctx, values: &dyn Fn(&str) -> String) -> Vec<Field> {
    ctx.entry
        .pool
        .settings
        .required_attributes
        .iter()
        .filter(|a| a.as_str() != "email")
        .map(|a| Field {
            id: format!("attr-{}", a.replace(':', "-")),
            name: a.clone(),
            label: label(ctx.tr, a),
            value: values(a),
            is_locale: a == "locale",
        })
        .collect()
}

fn page(
    ctx: &Ctx,
    csrf_token: String,
    client_name: String,
    email: String,
    fields: Vec<Field>,
    errors: FieldErrors,
) -> SignUpPage {
    SignUpPage {
        c: ctx.chrome(),
        action: ctx.link("signup"),
        csrf_token,
        client_name,
        email,
        fields,
        locales: LOCALES,
        policy_hint: policy_hint(ctx.tr, &ctx.entry.pool.settings.password_policy),
        errors,
        login_url: ctx.link("login"),
    }
}

/// The page's context, the name shown and the app client of the sign-in under way (if any).
async fn prologue(
    state: &AppState,
    path: &str,
    req: &HttpRequest,
) -> Result<(Ctx, String, Option<String>), HttpResponse> {
    let mut ctx = Ctx::load(state, path, req).await?;
    let (client_name, client_id) = match ctx.pending(state).await? {
        Some((_, client)) => (client.name, Some(client.id)),
        None => (ctx.entry.pool.display_name().to_string(), None),
    };
    if !ctx.entry.pool.settings.self_signup {
        let tr = ctx.tr;
        return Err(pages::error_page(
            StatusCode::FORBIDDEN,
            ctx.chrome(),
            tr.signup_title,
            tr.signup_disabled,
        ));
    }
    Ok((ctx, client_name, client_id))
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let (ctx, client_name, _) = or_respond!(prologue(&state, &path, &req).await);
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let locale = suggested_locale(accept.as_deref());
    let fields = fields(&ctx, &|a| {
        if a == "locale" {
            locale.to_string()
        } else {
            String::new()
        }
    });
    let token = csrf::issue(&req, state.config.is_https());
    let p = page(
        &ctx,
        token.value.clone(),
        client_name,
        String::new(),
        fields,
        FieldErrors::default(),
    );
    with_csrf(pages::render(StatusCode::OK, &p), token)
}

/// Validates the form; the per-field errors are the catalogue's sentences.
fn validate(ctx: &Ctx, f: &Params) -> Result<SignUp, FieldErrors> {
    let tr = ctx.tr;
    let mut errors = FieldErrors::default();
    let email = f.get("email").unwrap_or_default();
    if email.is_empty() {
        errors.add("email", tr.err_required);
    } else if normalize_email(email).is_err() {
        errors.add("email", tr.err_email_invalid);
    }
    let mut attributes = BTreeMap::new();
    for attr in ctx
        .entry
        .pool
        .settings
        .required_attributes
        .iter()
        .filter(|a| a.as_str() != "email")
    {
        let value = f.get(attr).unwrap_or_default().trim();
        if value.is_empty() {
            errors.add(attr, tr.err_required);
        } else if value.len() > MAX_ATTRIBUTE_LEN {
            errors.add(attr, tr.err_too_long);
        } else if attr == "locale" && !is_known_locale(value) {
            errors.add(attr, tr.err_locale);
        } else if value.chars().any(char::is_control) {
            errors.add(attr, tr.err_invalid_value);
        } else {
            attributes.insert(attr.clone(), value.to_string());
        }
    }
    let password = f.get("password").unwrap_or_default();
    if let Err(e) =
        crate::authn::password::check_policy(password, &ctx.entry.pool.settings.password_policy)
    {
        errors.add("password", policy_message(tr, e));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SignUp {
        username: None,
        email: email.to_string(),
        password: password.to_string(),
        attributes,
    })
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, client_name, client_id) = or_respond!(prologue(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    // The form again, as submitted, with `errors`.
    let again = |errors: FieldErrors| {
        let fields = fields(&ctx, &|a| f.get(a).unwrap_or_default().to_string());
        let p = page(
            &ctx,
            f.get("csrf_token").unwrap_or_default().to_string(),
            client_name,
            f.get("email").unwrap_or_default().to_string(),
            fields,
            errors,
        );
        pages::render(StatusCode::BAD_REQUEST, &p)
    };
    let request = match validate(&ctx, &f) {
        Ok(r) => r,
        Err(errors) => return again(errors),
    };
    let email = request.email.clone();
    let lang = request
        .attributes
        .get("locale")
        .cloned()
        .unwrap_or_else(|| ctx.tr.lang.to_string());
    let confirm_base = format!(
        "{}{}",
        state.public_url,
        ctx.link_with("confirm", "email", &email)
    );
    let (pool, now) = (ctx.entry.pool.clone(), state.now());
    let (sealer, store) = (state.sealer.clone(), state.store.clone());
    let triggers = state.triggers.clone();
    let context = pre_sign_up::Context {
        client_id,
        ..Default::default()
    };
    let result = crate::store::blocking(move || -> crate::Result<bool> {
        // The hash and the PreSignUp trigger first, outside the write transaction (see
        // `service::NewPassword`).
        let request = sign_up::prepare(&triggers, &pool, request, &context, now)?;
        // CustomMessage_SignUp, still before the transaction that issues the code.
        let custom = match request.user().status {
            crate::accounts::UserStatus::Unconfirmed => {
                let user = CustomContext::of(request.user(), context.client_id.as_deref(), None);
                custom_message::fire(&triggers, &pool, CustomSource::SignUp, &user)?
            }
            _ => None,
        };
        store.write_sync(|db| {
            let link = |code: &str| format!("{confirm_base}&code={code}");
            let (notice, confirmed) =
                match sign_up::sign_up(db, &pool, &sealer, request, &lang, link, now)? {
                    SignUpOutcome::Created(user, notice) => {
                        tracing::info!(pool = %pool.id, user = %user.id, "user signed up");
                        let confirmed = notice.is_none();
                        (notice, confirmed)
                    }
                    SignUpOutcome::ResentToUnconfirmed(notice) => (Some(notice), false),
                    SignUpOutcome::AlreadyConfirmed => (None, false),
                };
            if let Some(n) = notice {
                notices::deliver_custom(db, &pool, &n, custom.as_ref(), now)?;
            }
            Ok(confirmed)
        })
    })
    .await;
    match result {
        // Confirmed by the PreSignUp trigger: straight to sign-in.
        Ok(true) => see_other(&ctx.link("login")),
        Ok(false) => {
            mail_queued(&state);
            see_other(&ctx.link_with("confirm", "email", &email))
        }
        // The trigger's message, in the form (as Cognito's hosted UI shows it).
        Err(crate::Error::Trigger(e)) => {
            let mut errors = FieldErrors::default();
            errors.add("email", e.to_string());
            again(errors)
        }
        Err(crate::Error::Invalid(_)) | Err(crate::Error::AlreadyExists(_)) => {
            // A race with another sign-up of the same email: same answer as any other outcome.
            see_other(&ctx.link_with("confirm", "email", &email))
        }
        Err(e) => ctx.internal(e),
    }
}
