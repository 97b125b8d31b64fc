//! Cognito's user-pool shapes and the pool model: `CreateUserPool`/`UpdateUserPool` requests
//! become `PoolSettings` (validated by the core like every other door's), and a pool becomes
//! `UserPoolType` for DescribeUserPool. The one place that knows both spellings.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::Result;
use crate::pools::schema::{self, AttributeType, SchemaAttribute};
use crate::pools::{MfaMode, PasswordPolicy, Pool, PoolSettings, UsernameAttribute};

/// Which members a request may set: CreateUserPool sets everything, UpdateUserPool cannot
/// change the username model or the schema (as at Cognito).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

fn invalid(m: impl Into<String>) -> CognitoError {
    CognitoError::invalid_parameter(m)
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn object(v: Option<&Value>) -> Option<Value> {
    v.filter(|x| x.is_object()).cloned()
}

/// The settings a Create or Update request describes. For an update, `base` is the pool's
/// current settings: what Cognito's UpdateUserPool cannot change (username model, schema)
/// and Incognito's own settings (lifetimes, branding, mail overrides) are kept; every Cognito
/// member the request omits returns to its default, as Cognito does.
pub fn settings_from(body: &Value, mode: Mode, base: &PoolSettings) -> Result<PoolSettings> {
    let defaults = PoolSettings::default();
    let mut s = PoolSettings {
        username_attribute: base.username_attribute,
        required_attributes: base.required_attributes.clone(),
        schema: base.schema.clone(),
        alias_attributes: base.alias_attributes.clone(),
        case_sensitive_usernames: base.case_sensitive_usernames,
        pkce_required_for_confidential: base.pkce_required_for_confidential,
        id_token_ttl_secs: base.id_token_ttl_secs,
        access_token_ttl_secs: base.access_token_ttl_secs,
        refresh_token_ttl_secs: base.refresh_token_ttl_secs,
        confirm_code_ttl_secs: base.confirm_code_ttl_secs,
        reset_code_ttl_secs: base.reset_code_ttl_secs,
        remember_device_days: base.remember_device_days,
        branding: base.branding.clone(),
        email_overrides: base.email_overrides.clone(),
        // Tags have their own actions; UpdateUserPool replaces them only when it names them.
        tags: base.tags.clone(),
        ..defaults
    };
    if mode == Mode::Create {
        username_model(body, &mut s)?;
    }
    if let Some(p) = body.pointer("/Policies/PasswordPolicy") {
        s.password_policy = password_policy(p)?;
    }
    s.mfa = match body.get("MfaConfiguration").and_then(Value::as_str) {
        None | Some("OFF") => MfaMode::Off,
        Some("OPTIONAL") => MfaMode::Optional,
        Some("ON") => MfaMode::Required,
        Some(_) => return Err(invalid("MfaConfiguration: OFF, ON or OPTIONAL.")),
    };
    s.deletion_protection =
        body.get("DeletionProtection").and_then(Value::as_str) == Some("ACTIVE");
    if let Some(v) = body.get("AutoVerifiedAttributes") {
        s.auto_verified_attributes = str_list(Some(v));
    }
    if let Some(tags) = body.get("UserPoolTags").and_then(Value::as_object) {
        s.tags = tags
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect::<BTreeMap<_, _>>();
    }
    let admin = body.get("AdminCreateUserConfig");
    s.self_signup = !admin
        .and_then(|a| a.get("AllowAdminCreateUserOnly"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let r = &mut s.recorded;
    // The domain has its own actions.
    r.domain = base.recorded.domain.clone();
    r.custom_domain_config = base.recorded.custom_domain_config.clone();
    r.invite_message_template = object(admin.and_then(|a| a.get("InviteMessageTemplate")));
    r.unused_account_validity_days = admin
        .and_then(|a| a.get("UnusedAccountValidityDays"))
        .and_then(Value::as_i64);
    r.account_recovery_setting = object(body.get("AccountRecoverySetting"));
    r.verification_message_template = object(body.get("VerificationMessageTemplate"));
    r.user_attribute_update_settings = object(body.get("UserAttributeUpdateSettings"));
    r.email_configuration = object(body.get("EmailConfiguration"));
    r.sms_configuration = object(body.get("SmsConfiguration"));
    r.lambda_config = object(body.get("LambdaConfig"));
    if let Some(config) = &r.lambda_config {
        crate::triggers::check_lambda_config(config).map_err(invalid)?;
    }
    r.device_configuration = object(body.get("DeviceConfiguration"));
    r.user_pool_add_ons = object(body.get("UserPoolAddOns"));
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(String::from);
    r.email_verification_message = text("EmailVerificationMessage");
    r.email_verification_subject = text("EmailVerificationSubject");
    r.sms_verification_message = text("SmsVerificationMessage");
    r.sms_authentication_message = text("SmsAuthenticationMessage");
    r.user_pool_tier = text("UserPoolTier");
    Ok(s)
}

/// Incognito's extension `IncognitoWebhookSecret` beside `LambdaConfig`: a `whsec_` secret
/// sets the pool's own webhook secret, `""` removes it, absent keeps it. Never echoed.
pub fn webhook_secret_from(
    body: &Value,
    settings: &mut PoolSettings,
    sealer: &crate::keys::seal::Sealer,
) -> Result<()> {
    let secret = match body.get("IncognitoWebhookSecret") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(invalid("IncognitoWebhookSecret must be a string.")),
    };
    crate::triggers::set_pool_webhook_secret(settings, sealer, secret)
        .map_err(|e| invalid(format!("IncognitoWebhookSecret: {e}.")))
}

/// `UsernameAttributes`, `AliasAttributes`, `UsernameConfiguration` and `Schema` (Create only).
fn username_model(body: &Value, s: &mut PoolSettings) -> Result<()> {
    let username_attrs = str_list(body.get("UsernameAttributes"));
    s.username_attribute = match username_attrs.as_slice() {
        [] => UsernameAttribute::Username,
        [one] if one == "email" => UsernameAttribute::Email,
        _ => {
            return Err(invalid(
                "UsernameAttributes: only [\"email\"] is supported (phone numbers as usernames are not).",
            ));
        }
    };
    s.alias_attributes = str_list(body.get("AliasAttributes"));
    if !username_attrs.is_empty() && !s.alias_attributes.is_empty() {
        return Err(invalid(
            "UsernameAttributes and AliasAttributes cannot both be set.",
        ));
    }
    s.case_sensitive_usernames = body
        .pointer("/UsernameConfiguration/CaseSensitive")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    s.schema.clear();
    s.required_attributes.clear();
    for item in body
        .get("Schema")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let a = schema_attribute(item, false)?;
        if a.required {
            s.required_attributes.push(a.name.clone());
        }
        let default = schema::STANDARD
            .iter()
            .find(|(n, _)| *n == a.name)
            .map(|(n, t)| schema::standard(n, *t));
        // A standard attribute declared as Cognito describes it anyway needs no entry.
        let differs = default.is_none_or(|d| {
            SchemaAttribute {
                required: a.required,
                ..d
            } != a
        });
        if differs {
            s.schema.push(a);
        }
    }
    if s.username_attribute == UsernameAttribute::Email
        && !s.required_attributes.iter().any(|a| a == "email")
    {
        // The email is the username: it is always given.
        s.required_attributes.insert(0, "email".into());
    }
    Ok(())
}

fn password_policy(p: &Value) -> Result<PasswordPolicy> {
    let d = PasswordPolicy::default();
    let flag = |k: &str, default: bool| p.get(k).and_then(Value::as_bool).unwrap_or(default);
    let num = |k: &str, default: u32| {
        p.get(k)
            .and_then(Value::as_u64)
            .map_or(default, |n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    Ok(PasswordPolicy {
        minimum_length: num("MinimumLength", d.minimum_length),
        require_uppercase: flag("RequireUppercase", false),
        require_lowercase: flag("RequireLowercase", false),
        require_numbers: flag("RequireNumbers", false),
        require_symbols: flag("RequireSymbols", false),
        temporary_password_validity_days: num(
            "TemporaryPasswordValidityDays",
            d.temporary_password_validity_days,
        ),
        password_history_size: num("PasswordHistorySize", 0),
        refuse_common_passwords: flag("IncognitoRefuseCommonPasswords", d.refuse_common_passwords),
    })
}

/// One `SchemaAttributeType`. AddCustomAttributes names custom attributes without the
/// `custom:` prefix (`custom` = true adds it); CreateUserPool's Schema names a custom one
/// either way.
pub fn schema_attribute(v: &Value, custom: bool) -> Result<SchemaAttribute> {
    let raw = v
        .get("Name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Schema attribute: Name is required."))?;
    let name = if custom || (!schema::is_standard(raw) && !raw.starts_with("custom:")) {
        format!("custom:{}", raw.trim_start_matches("custom:"))
    } else {
        raw.to_string()
    };
    let standard_type = schema::STANDARD
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t);
    let data_type = match v.get("AttributeDataType").and_then(Value::as_str) {
        Some(t) => AttributeType::parse(t).ok_or_else(|| {
            invalid(format!(
                "{name}: AttributeDataType is String, Number, DateTime or Boolean."
            ))
        })?,
        None => standard_type.unwrap_or(AttributeType::String),
    };
    let base = match standard_type {
        Some(t) => schema::standard(&name, t),
        None => SchemaAttribute {
            name: name.clone(),
            data_type,
            ..SchemaAttribute::default()
        },
    };
    // Cognito carries the bounds as strings of digits.
    let bound = |path: &str| -> Result<Option<i64>> {
        match v.pointer(path) {
            None => Ok(None),
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| invalid(format!("{name}: {path} must be a number."))),
            Some(Value::Number(n)) => Ok(n.as_i64()),
            Some(_) => Err(invalid(format!("{name}: {path} must be a number."))),
        }
    };
    let len = |path: &str| -> Result<Option<u32>> {
        bound(path)?
            .map(|n| {
                u32::try_from(n).map_err(|_| invalid(format!("{name}: {path} is out of range.")))
            })
            .transpose()
    };
    let mut a = SchemaAttribute {
        data_type,
        mutable: v
            .get("Mutable")
            .and_then(Value::as_bool)
            .unwrap_or(base.mutable),
        required: v.get("Required").and_then(Value::as_bool).unwrap_or(false),
        developer_only: v
            .get("DeveloperOnlyAttribute")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..base
    };
    if let Some(n) = len("/StringAttributeConstraints/MinLength")? {
        a.min_length = Some(n);
    }
    if let Some(n) = len("/StringAttributeConstraints/MaxLength")? {
        a.max_length = Some(n);
    }
    if let Some(n) = bound("/NumberAttributeConstraints/MinValue")? {
        a.min_value = Some(n);
    }
    if let Some(n) = bound("/NumberAttributeConstraints/MaxValue")? {
        a.max_value = Some(n);
    }
    schema::check_declared(&a).map_err(CognitoError::from)?;
    Ok(a)
}

fn schema_attribute_type(a: &SchemaAttribute, required: bool) -> Value {
    let mut v = json!({
        "Name": a.name,
        "AttributeDataType": a.data_type.as_str(),
        "DeveloperOnlyAttribute": a.developer_only,
        "Mutable": a.mutable,
        "Required": required,
    });
    match a.data_type {
        AttributeType::String if a.min_length.is_some() || a.max_length.is_some() => {
            let mut c = Map::new();
            if let Some(n) = a.min_length {
                c.insert("MinLength".into(), json!(n.to_string()));
            }
            if let Some(n) = a.max_length {
                c.insert("MaxLength".into(), json!(n.to_string()));
            }
            v["StringAttributeConstraints"] = Value::Object(c);
        }
        AttributeType::Number if a.min_value.is_some() || a.max_value.is_some() => {
            let mut c = Map::new();
            if let Some(n) = a.min_value {
                c.insert("MinValue".into(), json!(n.to_string()));
            }
            if let Some(n) = a.max_value {
                c.insert("MaxValue".into(), json!(n.to_string()));
            }
            v["NumberAttributeConstraints"] = Value::Object(c);
        }
        _ => {}
    }
    v
}

/// Every attribute as DescribeUserPool lists it: the standard ones (declared or default),
/// then the custom ones.
pub fn schema_attributes(s: &PoolSettings) -> Vec<Value> {
    let required = |n: &str| n == "sub" || s.required_attributes.iter().any(|r| r == n);
    let mut out: Vec<Value> = schema::STANDARD
        .iter()
        .map(|(n, _)| {
            let a = s.attribute(n).expect("a standard attribute");
            schema_attribute_type(&a, required(n))
        })
        .collect();
    out.extend(
        s.schema
            .iter()
            .filter(|a| !schema::is_standard(&a.name))
            .map(|a| schema_attribute_type(a, false)),
    );
    out
}

pub fn arn(region: &str, account_id: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{region}:{account_id}:userpool/{pool_id}")
}

/// The region of a pool: the part of its id before `_`, as at Cognito.
pub fn region_of(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(r, _)| r)
}

/// Cognito's `UserPoolType`.
pub fn user_pool_type(pool: &Pool, account_id: &str, users: i64) -> Value {
    let s = &pool.settings;
    let p = &s.password_policy;
    let mut v = json!({
        "Id": pool.id,
        "Name": pool.name,
        "Arn": arn(region_of(&pool.id), account_id, &pool.id),
        "CreationDate": pool.created_at,
        "LastModifiedDate": pool.updated_at,
        "Policies": {"PasswordPolicy": {
            "MinimumLength": p.minimum_length,
            "RequireUppercase": p.require_uppercase,
            "RequireLowercase": p.require_lowercase,
            "RequireNumbers": p.require_numbers,
            "RequireSymbols": p.require_symbols,
            "PasswordHistorySize": p.password_history_size,
            "TemporaryPasswordValidityDays": p.temporary_password_validity_days,
            "IncognitoRefuseCommonPasswords": p.refuse_common_passwords,
        }},
        "DeletionProtection": if s.deletion_protection { "ACTIVE" } else { "INACTIVE" },
        "LambdaConfig": s.recorded.lambda_config.clone().unwrap_or_else(|| json!({})),
        "SchemaAttributes": schema_attributes(s),
        "AutoVerifiedAttributes": s.auto_verified_attributes,
        "MfaConfiguration": match s.mfa {
            MfaMode::Off => "OFF",
            MfaMode::Optional => "OPTIONAL",
            MfaMode::Required => "ON",
        },
        "EstimatedNumberOfUsers": users,
        "UserPoolTags": s.tags,
        "AdminCreateUserConfig": admin_create_user_config(s),
        "UsernameConfiguration": {"CaseSensitive": s.case_sensitive_usernames},
        "VerificationMessageTemplate": s.recorded.verification_message_template.clone()
            .unwrap_or_else(|| json!({"DefaultEmailOption": "CONFIRM_WITH_CODE"})),
        "EmailConfiguration": s.recorded.email_configuration.clone()
            .unwrap_or_else(|| json!({"EmailSendingAccount": "COGNITO_DEFAULT"})),
        "AccountRecoverySetting": s.recorded.account_recovery_setting.clone()
            .unwrap_or_else(|| json!({"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]})),
    });
    match s.username_attribute {
        UsernameAttribute::Email => v["UsernameAttributes"] = json!(["email"]),
        UsernameAttribute::Username if !s.alias_attributes.is_empty() => {
            v["AliasAttributes"] = json!(s.alias_attributes)
        }
        UsernameAttribute::Username => {}
    }
    let r = &s.recorded;
    for (key, value) in [
        (
            "UserAttributeUpdateSettings",
            &r.user_attribute_update_settings,
        ),
        ("SmsConfiguration", &r.sms_configuration),
        ("DeviceConfiguration", &r.device_configuration),
        ("UserPoolAddOns", &r.user_pool_add_ons),
    ] {
        if let Some(x) = value {
            v[key] = x.clone();
        }
    }
    for (key, value) in [
        ("EmailVerificationMessage", &r.email_verification_message),
        ("EmailVerificationSubject", &r.email_verification_subject),
        ("SmsVerificationMessage", &r.sms_verification_message),
        ("SmsAuthenticationMessage", &r.sms_authentication_message),
        ("UserPoolTier", &r.user_pool_tier),
    ] {
        if let Some(x) = value {
            v[key] = json!(x);
        }
    }
    // Incognito's extension: where users migrate from (never a secret).
    if let Some(m) = &s.migrate_from {
        v["IncognitoMigrateFrom"] = m.shown();
    }
    v
}

fn admin_create_user_config(s: &PoolSettings) -> Value {
    let mut v = json!({ "AllowAdminCreateUserOnly": !s.self_signup });
    if let Some(t) = &s.recorded.invite_message_template {
        v["InviteMessageTemplate"] = t.clone();
    }
    if let Some(d) = s.recorded.unused_account_validity_days {
        v["UnusedAccountValidityDays"] = json!(d);
    }
    v
}

/// Cognito's `UserPoolDescriptionType` (ListUserPools).
pub fn user_pool_description(pool: &Pool) -> Value {
    json!({
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": pool.settings.recorded.lambda_config.clone().unwrap_or_else(|| json!({})),
        "CreationDate": pool.created_at,
        "LastModifiedDate": pool.updated_at,
    })
}
