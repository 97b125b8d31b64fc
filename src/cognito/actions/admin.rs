//! The SigV4-signed admin actions.

use serde_json::Value;

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};

pub async fn handle(action: &str, _ctx: &Ctx, _body: &Value) -> Result<Value> {
    Err(CognitoError::new(
        "UnknownOperationException",
        format!("{action} is not implemented yet."),
    ))
}
