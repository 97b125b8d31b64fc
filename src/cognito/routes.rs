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
    "AdminLinkProviderForUser",
    "AdminDisableProviderForUser",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "AdminUserGlobalSignOut",
    "AdminResetUserPassword",
    "AdminListUserAuthEvents",
    "AdminUpdateAuthEventFeedback",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
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
        "UpdateAuthEventFeedback" => a::update_auth_event_feedback::handle(ctx, body).await,
        other if ADMIN_ACTIONS.contains(&other) => a::admin::handle(other, ctx, body).await,
        other if a::control::ACTIONS.contains(&other) => {
            let answer = a::control::handle(other, ctx, body).await;
            // A pool changed here is seen by this instance's next request at once (other
            // instances and the CLI's changes follow the cache generation within a second).
            if answer.is_ok() {
                ctx.state.directory.invalidate();
            }
            answer
        }
        _ => return None,
    })
}

async fn dispatch(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let state = state.get_ref().clone();
    let origin = allowed_origin(&state, &req);
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
    if !json_content_type(req) {
        return Err(CognitoError::new(
            "UnknownOperationException",
            format!("The request's Content-Type must be {CONTENT_TYPE}."),
        ));
    }
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
    let (now, ip) = (state.now(), crate::http::client_ip(req));
    // Refused (too large) only once the caller is authenticated and the input checked.
    let evidence = super::context_data::evidence(&action, &json, ip, |a| {
        state.address_limiter.failures(a, now)
    });
    let mut ctx = Ctx {
        now,
        ip,
        evidence: crate::authn::risk::Evidence::from_address(ip),
        state,
    };
    let mut key = None;
    if ADMIN_ACTIONS.contains(&action.as_str()) || a::control::ACTIONS.contains(&action.as_str()) {
        let scope = super::sigv4::authenticate(&ctx, req, &body).await?;
        let authorized = scope.authorize(&ctx.state.config, &action, &json);
        key = Some(scope.access_key_id);
        if let Err(e) = authorized {
            let refused = Err(e);
            super::audit::record(&ctx.state, ctx.ip, &action, &json, key.as_deref(), &refused);
            return refused;
        }
    }
    // Cognito's input constraints, before any action looks at a user or a client.
    super::constraints::validate(&action, &json)?;
    ctx.evidence = evidence?;
    let result = match run(&action, &ctx, &json).await {
        Some(r) => r,
        None => {
            return Err(CognitoError::new(
                "UnknownOperationException",
                "Unknown operation.",
            ));
        }
    };
    super::audit::record(&ctx.state, ctx.ip, &action, &json, key.as_deref(), &result);
    result
}

/// `application/x-amz-json-1.1` (what the libraries and the SDKs send) or `-1.0`, parameters
/// and case aside.
fn json_content_type(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/x-amz-json-1.1" || m == "application/x-amz-json-1.0")
}

/// The request's `Origin` when the Cognito API answers it: any origin, as Cognito does (these
/// calls carry no cookies or other ambient credentials, and a pool made through Cognito's own
/// actions has no field for origins), unless `cognito_api_allowed_origins` lists some.
fn allowed_origin(state: &AppState, req: &HttpRequest) -> Option<String> {
    let origin = req.headers().get(header::ORIGIN)?.to_str().ok()?;
    if origin.len() > 512 {
        return None;
    }
    let listed = &state.config.cognito_api_allowed_origins;
    (listed.is_empty() || listed.iter().any(|o| o == origin)).then(|| origin.to_string())
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

/// A requested header the API accepts: the AWS ones and the few the libraries add.
fn allowed_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    name.starts_with("x-amz-")
        || name.starts_with("amz-sdk-")
        || matches!(
            name.as_str(),
            "content-type" | "cache-control" | "authorization"
        )
}

async fn preflight(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let method_ok = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        == Some("POST");
    // The requested headers when all are acceptable, else the fixed list (the browser then
    // refuses the one it misses).
    let requested = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.len() <= 1024 && h.split(',').all(allowed_header))
        .map(|h| format!("{ALLOW_HEADERS}, {}", h.to_ascii_lowercase()));
    match allowed_origin(&state, &req) {
        Some(origin) if method_ok => HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                requested.as_deref().unwrap_or(ALLOW_HEADERS),
            ))
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
