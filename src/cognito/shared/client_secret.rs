//! Client secrets at the Cognito door: the sealed copy, `SECRET_HASH`, a secret sent as such.

use crate::cognito::error::CognitoError;
use crate::keys::seal::Sealer;
use crate::pools::Client;
use crate::store::{self, Db};

use super::*;

/// The client's secret in the clear, from its sealed copy (only when it still matches the
/// hash the OAuth door checks).
pub fn client_secret(db: &Db, sealer: &Sealer, client: &Client) -> Result<Option<String>> {
    let Some(hash) = &client.secret_hash else {
        return Ok(None);
    };
    let Some(sealed) = store::cognito::client_secret_sealed(db, &client.id)? else {
        return Ok(None);
    };
    let secret = sealer.open(&sealed).map_err(|e| {
        tracing::error!(error = %e, "cannot open a client secret");
        CognitoError::internal()
    })?;
    Ok(crate::random::ct_eq(&crate::random::sha256_hex(&secret), hash).then_some(secret))
}

pub use crate::authn::secret_hash::secret_hash;

/// Checks `SECRET_HASH` for clients with a secret (public clients need none).
pub fn check_secret_hash(
    db: &Db,
    sealer: &Sealer,
    client: &Client,
    usernames: &[&str],
    presented: Option<&str>,
) -> Result<()> {
    if client.is_public() {
        return Ok(());
    }
    let fail = || {
        CognitoError::not_authorized(format!(
            "Unable to verify secret hash for client {}",
            client.id
        ))
    };
    let presented = presented.ok_or_else(fail)?;
    let secret = client_secret(db, sealer, client)?.ok_or_else(fail)?;
    let ok = usernames
        .iter()
        .any(|u| crate::random::ct_eq(&secret_hash(&secret, u, &client.id), presented));
    if ok { Ok(()) } else { Err(fail()) }
}

/// Checks a client secret sent as such (`GetTokensFromRefreshToken`, `RevokeToken`).
pub fn check_client_secret(client: &Client, presented: Option<&str>) -> Result<()> {
    if client.is_public() {
        return Ok(());
    }
    match presented {
        Some(s) if client.secret_matches(s) => Ok(()),
        _ => Err(CognitoError::not_authorized(format!(
            "Client {} is configured with secret but SECRET_HASH was not received",
            client.id
        ))),
    }
}

/// The user a code action names by username (ResendConfirmationCode, ForgotPassword,
/// ConfirmForgotPassword), once the client's `SECRET_HASH` over that username is right.
/// `None` for an unknown user: each action decides what an unknown user looks like.
pub fn user_for_code(
    db: &Db,
    sealer: &Sealer,
    client: &ClientRef,
    username: &str,
    secret_hash: Option<&str>,
) -> Result<Option<crate::accounts::User>> {
    check_secret_hash(db, sealer, &client.client, &[username], secret_hash)?;
    Ok(crate::accounts::service::find_by_login(
        db,
        &client.entry.pool,
        username,
    )?)
}
