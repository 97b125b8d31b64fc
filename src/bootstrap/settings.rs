//! The declarations' settings as the pool and client models take them (defaults for what a
//! file omits).

use super::file::{ClientDecl, PoolDecl};
use crate::pools::clients::normalize_auth_flow;
use crate::pools::{ClientSettings, OAuthFlow, PoolSettings};
use crate::{Error, Result};

pub(super) fn pool_settings(decl: &PoolDecl) -> Result<PoolSettings> {
    let d = PoolSettings::default();
    let mut lambda_config = None;
    for (name, target) in decl.triggers.iter().flatten() {
        crate::triggers::set_target(&mut lambda_config, name, Some(target))
            .map_err(Error::Invalid)?;
    }
    Ok(PoolSettings {
        username_attribute: decl.username_attribute.unwrap_or(d.username_attribute),
        required_attributes: decl
            .required_attributes
            .clone()
            .unwrap_or(d.required_attributes),
        self_signup: decl.self_signup.unwrap_or(d.self_signup),
        password_policy: decl.password_policy.clone().unwrap_or(d.password_policy),
        mfa: decl.mfa.unwrap_or(d.mfa),
        pkce_required_for_confidential: decl
            .pkce_required_for_confidential
            .unwrap_or(d.pkce_required_for_confidential),
        id_token_ttl_secs: decl.id_token_ttl_secs.unwrap_or(d.id_token_ttl_secs),
        access_token_ttl_secs: decl
            .access_token_ttl_secs
            .unwrap_or(d.access_token_ttl_secs),
        refresh_token_ttl_secs: decl
            .refresh_token_ttl_secs
            .unwrap_or(d.refresh_token_ttl_secs),
        confirm_code_ttl_secs: decl
            .confirm_code_ttl_secs
            .unwrap_or(d.confirm_code_ttl_secs),
        reset_code_ttl_secs: decl.reset_code_ttl_secs.unwrap_or(d.reset_code_ttl_secs),
        branding: decl.branding.clone().unwrap_or_default(),
        remember_device_days: decl.remember_device_days.unwrap_or(d.remember_device_days),
        email_mfa: decl.email_mfa.unwrap_or(d.email_mfa),
        schema: decl.attribute.clone(),
        deletion_protection: decl.deletion_protection.unwrap_or(d.deletion_protection),
        tags: decl.tags.clone().unwrap_or_default(),
        recorded: crate::pools::RecordedSettings {
            lambda_config,
            ..d.recorded.clone()
        },
        ..d
    })
}

pub(super) fn client_settings(decl: &ClientDecl) -> Result<ClientSettings> {
    let mut s = ClientSettings {
        redirect_uris: decl.redirect_uris.clone(),
        logout_uris: decl.logout_uris.clone(),
        id_token_ttl_secs: decl.id_token_ttl_secs,
        access_token_ttl_secs: decl.access_token_ttl_secs,
        refresh_token_ttl_secs: decl.refresh_token_ttl_secs,
        read_attributes: dedup(decl.read_attributes.iter().cloned()),
        write_attributes: dedup(decl.write_attributes.iter().cloned()),
        supported_identity_providers: dedup(decl.supported_identity_providers.iter().cloned()),
        ..ClientSettings::default()
    };
    if let Some(flows) = &decl.flows {
        let mut parsed: Vec<OAuthFlow> = Vec::new();
        for f in flows {
            let flow = f
                .parse::<OAuthFlow>()
                .map_err(|e| Error::invalid(format!("flow {f:?}: {e}")))?;
            if !parsed.contains(&flow) {
                parsed.push(flow);
            }
        }
        s.flows = parsed;
    }
    if let Some(scopes) = &decl.scopes {
        s.scopes = dedup(scopes.iter().cloned());
    }
    if let Some(flows) = &decl.auth_flows {
        s.auth_flows = dedup(flows.iter().map(|f| normalize_auth_flow(f)));
    }
    if let Some(v) = decl.always_issue_refresh_token {
        s.always_issue_refresh_token = v;
    }
    if let Some(v) = decl.rotate_refresh_tokens {
        s.rotate_refresh_tokens = v;
    }
    if let Some(v) = decl.first_party {
        s.first_party = v;
    }
    if let Some(v) = decl.prevent_user_existence_errors {
        s.prevent_user_existence_errors = v;
    }
    if !decl.allowed_origins.is_empty() {
        tracing::warn!(
            client = %decl.name,
            "allowed_origins has no effect any more; the server-wide cognito_api_allowed_origins setting restricts CORS of the Cognito API"
        );
    }
    if decl.secret.is_none() && s.flows.contains(&OAuthFlow::ClientCredentials) {
        return Err(Error::invalid(
            "flows: client_credentials needs a confidential client (set `secret`)",
        ));
    }
    Ok(s)
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}
