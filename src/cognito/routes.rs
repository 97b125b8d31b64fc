//! `POST /` (and its CORS preflight): the X-Amz-Target → action table. Every answer is JSON,
//! errors included; nothing here panics on input.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde_json::Value;

use super::actions as a;
use super::error::{CONTENT_TYPE, CognitoError};
use super::shared::{Ctx, Result};
use super::wire::MAX_BODY;
use crate::state::AppState;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// Headers the client libraries and the AWS SDKs send.
const ALLOW_HEADERS: &str = "content-type, x-amz-target, x-amz-user-agent, cache-control, \
     authorization, x-amz-date, x-amz-security-token, x-amz-content-sha256, \
     amz-sdk-invocation-id, amz-sdk-request";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::post().to(dispatch))
        .route("/", web::method(Method::OPTIONS).to(preflight));
}

/// Actions signed with AWS Signature V4 (developer credentials, not end users).
const ADMIN_ACTIONS: &[&str] = &[
    "AdminCreateUser",
    "AdminGetUser",
    "AdminDeleteUser",
    "AdminSetUserPassword",
    "AdminConfirmSignUp",
    "AdminUpdateUserAttributes",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "AdminUserGlobalSignOut",
    "AdminResetUserPassword",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "CreateGroup",
    "ListGroups",
    "ListUsers",
    "ListUsersInGroup",
];

/// The action table. `None`: no such action.
async fn run(action: &str, ctx: &Ctx, body: &Value) -> Option<Result<Value>> {
    Some(match action {
        "SignUp" => a::sign_up::handle(ctx, body).await,
        "ConfirmSignUp" => a::confirm_sign_up::handle(ctx, body).await,
        "ResendConfirmationCode" => a::resend_confirmation_code::handle(ctx, body).await,
        "InitiateAuth" => a::initiate_auth::handle(ctx, body).await,
        "RespondToAuthChallenge" => a::respond_to_auth_challenge::handle(ctx, body).await,
        "GetTokensFromRefreshToken" => a::get_tokens_from_refresh_token::handle(ctx, body).await,
        "ForgotPassword" => a::forgot_password::handle(ctx, body).await,
        "ConfirmForgotPassword" => a::confirm_forgot_password::handle(ctx, body).await,
        "GetUser" => a::get_user::handle(ctx, body).await,
        "UpdateUserAttributes" => a::update_user_attributes::handle(ctx, body).await,
        "GetUserAttributeVerificationCode" => {
            a::get_user_attribute_verification_code::handle(ctx, body).await
        }
        "VerifyUserAttribute" => a::verify_user_attribute::handle(ctx, body).await,
        "ChangePassword" => a::change_password::handle(ctx, body).await,
        "DeleteUser" => a::delete_user::handle(ctx, body).await,
        "GlobalSignOut" => a::global_sign_out::handle(ctx, body).await,
        "RevokeToken" => a::revoke_token::handle(ctx, body).await,
        "AssociateSoftwareToken" => a::associate_software_token::handle(ctx, body).await,
        "VerifySoftwareToken" => a::verify_software_token::handle(ctx, body).await,
        "SetUserMFAPreference" => a::set_user_mfa_preference::handle(ctx, body).await,
        other if ADMIN_ACTIONS.contains(&other) => a::admin::handle(other, ctx, body).await,
        other if a::control::ACTIONS.contains(&other) => a::control::handle(other, ctx, body).await,
        _ => return None,
    })
}

async fn dispatch(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let state = state.get_ref().clone();
    let origin = allowed_origin(&state, &req).await;
    let mut resp = match handle(state, &req, payload).await {
        Ok(v) => HttpResponse::Ok()
            .insert_header(crate::http::NO_STORE)
            .insert_header(crate::http::NO_CACHE)
            .content_type(CONTENT_TYPE)
            .body(v.to_string()),
        Err(e) => {
            if e.status() == StatusCode::BAD_REQUEST {
                tracing::debug!(error = %e.name, "Cognito API request refused");
            }
            e.error_response()
        }
    };
    apply_cors(&mut resp, origin.as_deref());
    resp
}

async fn handle(state: AppState, req: &HttpRequest, payload: web::Payload) -> Result<Value> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let action = target
        .strip_prefix(TARGET_PREFIX)
        .filter(|a| !a.is_empty() && a.len() <= 64 && a.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| CognitoError::new("UnknownOperationException", "Unknown operation."))?
        .to_string();
    let body = match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return Err(CognitoError::serialization(
                "The request body is too large.",
            ));
        }
        Err(_) => return Err(CognitoError::serialization("Cannot read the request body.")),
    };
    let json: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| CognitoError::serialization("The request body is not valid JSON."))?
    };
    if !json.is_object() {
        return Err(CognitoError::serialization(
            "The request body must be a JSON object.",
        ));
    }
    let ctx = Ctx {
        now: state.now(),
        ip: crate::http::client_ip(req),
        state,
    };
    if ADMIN_ACTIONS.contains(&action.as_str()) || a::control::ACTIONS.contains(&action.as_str()) {
        super::sigv4::authenticate(&ctx, req, &body).await?;
    }
    match run(&action, &ctx, &json).await {
        Some(r) => r,
        None => Err(CognitoError::new(
            "UnknownOperationException",
            "Unknown operation.",
        )),
    }
}

/// The request's `Origin` when a client of this server allows it: the origin of one of its
/// redirect URIs or one of its `allowed_origins`. Never reflected otherwise.
async fn allowed_origin(state: &AppState, req: &HttpRequest) -> Option<String> {
    let origin = req
        .headers()
        .get(header::ORIGIN)?
        .to_str()
        .ok()?
        .to_string();
    if origin.len() > 512 || origin == "null" {
        return None;
    }
    let settings = state
        .store
        .read(crate::store::cognito::all_client_settings)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "cannot read client origins"))
        .ok()?;
    let allowed = settings.iter().any(|s| {
        serde_json::from_str::<crate::pools::ClientSettings>(s).is_ok_and(|cs| {
            cs.allowed_origins.contains(&origin)
                || cs.redirect_uris.iter().any(|u| {
                    url::Url::parse(u).is_ok_and(|u| {
                        matches!(u.scheme(), "http" | "https")
                            && u.origin().ascii_serialization() == origin
                    })
                })
        })
    });
    allowed.then_some(origin)
}

fn apply_cors(resp: &mut HttpResponse, origin: Option<&str>) {
    let headers = resp.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-amzn-errortype, x-amzn-requestid"),
        );
    }
}

async fn preflight(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let method_ok = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        == Some("POST");
    match allowed_origin(&state, &req).await {
        Some(origin) if method_ok => HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((header::VARY, "Origin"))
            .finish(),
        _ => {
            let mut r =
                CognitoError::new("AccessDeniedException", "Cross-origin request not allowed.")
                    .error_response();
            *r.status_mut() = StatusCode::FORBIDDEN;
            r.headers_mut()
                .append(header::VARY, HeaderValue::from_static("Origin"));
            r
        }
    }
}
