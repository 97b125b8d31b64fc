//! A pool's `migrate_from`: the Cognito-compatible user pool its users are leaving (AWS
//! Cognito, or another Incognito), asked for users this pool does not know yet
//! (`accounts::upstream`). Secrets are sealed at rest and never shown.
//!
//! Written as one string in every door (CLI, bootstrap file):
//! `endpoint=URL,user_pool_id=ID,client_id=ID[,client_secret=S][,admin_key_id=K,admin_secret=S]`.

use serde::{Deserialize, Serialize};

use crate::keys::seal::Sealer;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrateFrom {
    /// The upstream's Cognito API, e.g. `https://cognito-idp.eu-west-1.amazonaws.com`.
    pub endpoint: String,
    pub user_pool_id: String,
    /// An app client of the upstream pool with USER_PASSWORD_AUTH enabled.
    pub client_id: String,
    /// That client's secret, sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Admin credentials (AdminGetUser, ListUsers): the access key id ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_key_id: Option<String>,
    /// ... and its secret, sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_secret: Option<String>,
}

impl MigrateFrom {
    /// Parses the one-string form and seals its secrets. `old`: the value stored now, whose
    /// sealed secrets are kept when unchanged (the bootstrap file compares settings).
    pub fn parse(spec: &str, sealer: &Sealer, old: Option<&MigrateFrom>) -> Result<Self, String> {
        let mut fields = std::collections::BTreeMap::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected key=value"))?;
            if !matches!(
                k,
                "endpoint"
                    | "user_pool_id"
                    | "client_id"
                    | "client_secret"
                    | "admin_key_id"
                    | "admin_secret"
            ) {
                return Err(format!("unknown key {k:?}"));
            }
            if fields.insert(k, v.trim().to_string()).is_some() {
                return Err(format!("{k} given twice"));
            }
        }
        let mut take = |k: &str| fields.remove(k).filter(|v| !v.is_empty());
        let endpoint = take("endpoint").ok_or("endpoint is required")?;
        let user_pool_id = take("user_pool_id").ok_or("user_pool_id is required")?;
        let client_id = take("client_id").ok_or("client_id is required")?;
        let client_secret = take("client_secret");
        let admin_key_id = take("admin_key_id");
        let admin_secret = take("admin_secret");
        check_endpoint(&endpoint)?;
        let pool_id_ok = user_pool_id.len() <= 55
            && user_pool_id.split_once('_').is_some_and(|(region, rest)| {
                !region.is_empty()
                    && region
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !rest.is_empty()
                    && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !pool_id_ok {
            return Err("user_pool_id: expected region_id, e.g. eu-west-1_AbC123".into());
        }
        let word = |s: &str| {
            (1..=128).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+')
        };
        if !word(&client_id) {
            return Err("client_id: letters, digits, _ and + only".into());
        }
        if admin_key_id.is_some() != admin_secret.is_some() {
            return Err("admin_key_id and admin_secret go together".into());
        }
        if admin_key_id.as_deref().is_some_and(|k| !word(k)) {
            return Err("admin_key_id: letters, digits and _ only".into());
        }
        let reseal = |plain: Option<String>, old: Option<&String>| {
            plain.map(|p| match old {
                Some(o) if sealer.open(o).is_ok_and(|x| x == p) => o.clone(),
                _ => sealer.seal(&p),
            })
        };
        Ok(MigrateFrom {
            endpoint,
            user_pool_id,
            client_id,
            client_secret: reseal(client_secret, old.and_then(|o| o.client_secret.as_ref())),
            admin_key_id,
            admin_secret: reseal(admin_secret, old.and_then(|o| o.admin_secret.as_ref())),
        })
    }

    /// The region of the upstream pool (the part of its id before `_`), for SigV4.
    pub fn region(&self) -> &str {
        self.user_pool_id
            .split_once('_')
            .map_or("us-east-1", |(r, _)| r)
    }

    /// As DescribeUserPool and the CLI show it: never a secret, only whether one is set.
    pub fn shown(&self) -> serde_json::Value {
        serde_json::json!({
            "Endpoint": self.endpoint,
            "UserPoolId": self.user_pool_id,
            "ClientId": self.client_id,
            "ClientSecretSet": self.client_secret.is_some(),
            "AdminAccessKeyId": self.admin_key_id,
        })
    }
}

fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let url = url::Url::parse(endpoint).map_err(|_| "endpoint: not a URL".to_string())?;
    if !crate::triggers::target::https_or_loopback(&url) {
        return Err("endpoint: https:// (or http:// to loopback)".into());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("endpoint: no query, fragment or credentials".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seals_and_keeps_unchanged_secrets() {
        let sealer = Sealer::new(Some(&"k".repeat(43)));
        let spec = "endpoint=https://cognito-idp.eu-west-1.amazonaws.com,user_pool_id=eu-west-1_Ab1,client_id=abc,client_secret=s3cret,admin_key_id=AKIA1,admin_secret=x";
        let m = MigrateFrom::parse(spec, &sealer, None).unwrap();
        assert_eq!(m.region(), "eu-west-1");
        assert_ne!(m.client_secret.as_deref(), Some("s3cret"));
        assert_eq!(
            sealer.open(m.client_secret.as_ref().unwrap()).unwrap(),
            "s3cret"
        );
        let again = MigrateFrom::parse(spec, &sealer, Some(&m)).unwrap();
        assert_eq!(again, m);
        assert!(!m.shown().to_string().contains("s3cret"));
    }

    #[test]
    fn refuses_bad_specs() {
        let sealer = Sealer::new(None);
        for bad in [
            "",
            "endpoint=https://x,user_pool_id=eu-west-1_A",
            "endpoint=ftp://x,user_pool_id=eu-west-1_A,client_id=c",
            "endpoint=http://example.com,user_pool_id=eu-west-1_A,client_id=c",
            "endpoint=https://x,user_pool_id=nounderscore,client_id=c",
            "endpoint=https://x,user_pool_id=eu-west-1_A,client_id=c d",
            "endpoint=https://x,user_pool_id=eu-west-1_A,client_id=c,admin_key_id=K",
            "endpoint=https://x,user_pool_id=eu-west-1_A,client_id=c,colour=blue",
            "endpoint=https://x,endpoint=https://y,user_pool_id=eu-west-1_A,client_id=c",
        ] {
            assert!(MigrateFrom::parse(bad, &sealer, None).is_err(), "{bad}");
        }
        assert!(
            MigrateFrom::parse(
                "endpoint=http://127.0.0.1:9000,user_pool_id=local_A1,client_id=c",
                &sealer,
                None
            )
            .is_ok()
        );
    }
}
