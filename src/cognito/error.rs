//! The one place where core errors become Cognito's error responses: HTTP 400 (500 only for
//! `InternalErrorException`) with `{"__type": "<Name>", "message": "..."}` and the same name in
//! `x-amzn-errortype`. Internal detail is logged, never sent.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::http::{NO_CACHE, NO_STORE};

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

#[derive(Debug, Clone)]
pub struct CognitoError {
    /// Exception name, e.g. `NotAuthorizedException`.
    pub name: &'static str,
    pub message: String,
}

impl CognitoError {
    pub fn new(name: &'static str, message: impl Into<String>) -> CognitoError {
        CognitoError {
            name,
            message: message.into(),
        }
    }
    pub fn not_authorized(m: impl Into<String>) -> CognitoError {
        CognitoError::new("NotAuthorizedException", m)
    }
    /// Wrong password, unknown user (with PreventUserExistenceErrors), bad SRP proof.
    pub fn bad_credentials() -> CognitoError {
        CognitoError::not_authorized("Incorrect username or password.")
    }
    pub fn invalid_parameter(m: impl Into<String>) -> CognitoError {
        CognitoError::new("InvalidParameterException", m)
    }
    pub fn serialization(m: impl Into<String>) -> CognitoError {
        CognitoError::new("SerializationException", m)
    }
    pub fn resource_not_found(m: impl Into<String>) -> CognitoError {
        CognitoError::new("ResourceNotFoundException", m)
    }
    pub fn user_not_found() -> CognitoError {
        CognitoError::new("UserNotFoundException", "User does not exist.")
    }
    pub fn code_mismatch() -> CognitoError {
        CognitoError::new(
            "CodeMismatchException",
            "Invalid verification code provided, please try again.",
        )
    }
    pub fn expired_code() -> CognitoError {
        CognitoError::new(
            "ExpiredCodeException",
            "Invalid code provided, please request a code again.",
        )
    }
    pub fn invalid_password(m: impl Into<String>) -> CognitoError {
        CognitoError::new("InvalidPasswordException", m)
    }
    pub fn invalid_token() -> CognitoError {
        CognitoError::not_authorized("Invalid Access Token")
    }
    pub fn limit_exceeded(m: impl Into<String>) -> CognitoError {
        CognitoError::new("LimitExceededException", m)
    }
    pub fn internal() -> CognitoError {
        CognitoError::new("InternalErrorException", "An internal error occurred.")
    }

    pub fn status(&self) -> StatusCode {
        if self.name == "InternalErrorException" {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        }
    }
}

impl std::fmt::Display for CognitoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl ResponseError for CognitoError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status())
            .insert_header(NO_STORE)
            .insert_header(NO_CACHE)
            .insert_header(("x-amzn-errortype", self.name))
            .content_type(CONTENT_TYPE)
            .body(json!({ "__type": self.name, "message": self.message }).to_string())
    }
}

impl From<crate::Error> for CognitoError {
    fn from(e: crate::Error) -> CognitoError {
        match e {
            crate::Error::Invalid(what) => {
                CognitoError::invalid_parameter(format!("Invalid {what}."))
            }
            crate::Error::NotFound(what) => {
                CognitoError::resource_not_found(format!("{what} does not exist."))
            }
            crate::Error::AlreadyExists(_) => CognitoError::new(
                "UsernameExistsException",
                "An account with the given username or email already exists.",
            ),
            crate::Error::NotAuthorized => CognitoError::not_authorized("Not authorized."),
            crate::Error::Trigger(e) => e.into(),
            other => {
                tracing::error!(error = %other, "internal error in the Cognito API");
                CognitoError::internal()
            }
        }
    }
}

impl From<crate::store::StoreError> for CognitoError {
    fn from(e: crate::store::StoreError) -> CognitoError {
        crate::Error::from(e).into()
    }
}

impl From<crate::tokens::TokenError> for CognitoError {
    fn from(e: crate::tokens::TokenError) -> CognitoError {
        match e {
            crate::tokens::TokenError::Invalid("revoked") => {
                CognitoError::not_authorized("Access Token has been revoked")
            }
            crate::tokens::TokenError::Invalid(_) => CognitoError::invalid_token(),
            crate::tokens::TokenError::Core(e) => e.into(),
        }
    }
}

impl From<crate::authn::password::PolicyError> for CognitoError {
    fn from(e: crate::authn::password::PolicyError) -> CognitoError {
        CognitoError::invalid_password(format!("Password does not conform to policy: {e}"))
    }
}

impl From<crate::accounts::codes::CodeError> for CognitoError {
    fn from(e: crate::accounts::codes::CodeError) -> CognitoError {
        use crate::accounts::codes::CodeError;
        match e {
            CodeError::Mismatch | CodeError::Malformed => CognitoError::code_mismatch(),
            CodeError::Expired => CognitoError::expired_code(),
            CodeError::TooManyAttempts => CognitoError::new(
                "TooManyFailedAttemptsException",
                "Too many failed attempts; request a new code.",
            ),
        }
    }
}

impl From<crate::triggers::TriggerError> for CognitoError {
    fn from(e: crate::triggers::TriggerError) -> CognitoError {
        use crate::triggers::TriggerError;
        let name = match e {
            TriggerError::Rejected { .. } => "UserLambdaValidationException",
            TriggerError::Failed { .. } => "UnexpectedLambdaException",
            TriggerError::InvalidResponse { .. } => "InvalidLambdaResponseException",
        };
        CognitoError::new(name, e.to_string())
    }
}

impl From<crate::triggers::auth_challenge::ChallengeError> for CognitoError {
    fn from(e: crate::triggers::auth_challenge::ChallengeError) -> CognitoError {
        use crate::triggers::auth_challenge::ChallengeError;
        match e {
            ChallengeError::Trigger(e) => e.into(),
            ChallengeError::NotConfigured => CognitoError::invalid_parameter(e.to_string()),
        }
    }
}

/// Cognito's answer to a sign-in of a RESET_REQUIRED user.
pub fn password_reset_required() -> CognitoError {
    CognitoError::new(
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )
}

/// Adaptive sign-in blocked a sign-in (Cognito's answer when its risk response is BLOCK).
pub fn risk_blocked() -> CognitoError {
    CognitoError::not_authorized("Unable to login because of security reasons.")
}

impl From<crate::authn::flow::LoginError> for CognitoError {
    fn from(e: crate::authn::flow::LoginError) -> CognitoError {
        use crate::authn::flow::LoginError;
        match e {
            LoginError::InvalidCredentials => CognitoError::bad_credentials(),
            LoginError::UnknownUser => CognitoError::user_not_found(),
            LoginError::Trigger(e) => e.into(),
            LoginError::Throttled(_) => CognitoError::not_authorized("Password attempts exceeded"),
            LoginError::NotConfirmed => {
                CognitoError::new("UserNotConfirmedException", "User is not confirmed.")
            }
            // Handled by the caller (a challenge, not an error).
            LoginError::NewPasswordRequired(_) => CognitoError::bad_credentials(),
            LoginError::ResetRequired => password_reset_required(),
            LoginError::RiskBlocked => risk_blocked(),
            LoginError::Internal(e) => e.into(),
        }
    }
}
