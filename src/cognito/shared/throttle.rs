//! Sign-in throttling at the Cognito door: per login name (stored) and per address.

use crate::cognito::error::CognitoError;
use crate::store::Db;

use super::*;

/// Records a failed sign-in for the login name and the address.
pub fn record_failure(ctx: &Ctx, db: &Db, pool_id: &str, login: &str) -> Result<()> {
    crate::authn::throttle::record_failure(db, pool_id, &login.trim().to_lowercase(), ctx.now)?;
    ctx.state.address_limiter.record_failure(ctx.ip, ctx.now);
    Ok(())
}

/// Refuses a sign-in while the login name is locked out or the address is spraying.
pub fn check_throttle(ctx: &Ctx, db: &Db, pool_id: &str, login: &str) -> Result<()> {
    if ctx.state.address_limiter.is_blocked(ctx.ip, ctx.now) {
        return Err(CognitoError::new(
            "TooManyRequestsException",
            "Too many requests.",
        ));
    }
    if crate::authn::throttle::locked_for(db, pool_id, &login.trim().to_lowercase(), ctx.now)?
        .is_some()
    {
        return Err(CognitoError::not_authorized("Password attempts exceeded"));
    }
    Ok(())
}
