//! The notification "new sign-in to your account" and its one-click "this wasn't me" link.
//!
//! The link names the scored sign-in (its `sign_in_risk` row), expires after
//! `LINK_TTL_SECS` and is signed with the server's key (pool, row and expiry bound in); it is
//! used once (`store::risk::claim_link`). Following it shows a page; only its button (a POST)
//! marks the sign-in `Invalid` and signs the user out everywhere, so that mail scanners that
//! open links change nothing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::accounts::User;
use crate::mail::messages::{self, SignInDetails};
use crate::pools::Pool;
use crate::pools::risk::NotifyEmail;
use crate::store::Db;

/// How long the link in a notification works.
pub const LINK_TTL_SECS: i64 = 7 * 86_400;

fn link_mac(key: &[u8; 32], pool_id: &str, risk_id: i64, expires: i64) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    for part in [
        "risk-not-me-link",
        pool_id,
        &risk_id.to_string(),
        &expires.to_string(),
    ] {
        m.update(&(part.len() as u32).to_be_bytes());
        m.update(part.as_bytes());
    }
    m
}

/// The query of a link: `r=<row>&x=<expiry>&t=<mac>`.
pub fn link_query(key: &[u8; 32], pool_id: &str, risk_id: i64, expires: i64) -> String {
    let tag = hex::encode(
        link_mac(key, pool_id, risk_id, expires)
            .finalize()
            .into_bytes(),
    );
    format!("r={risk_id}&x={expires}&t={tag}")
}

/// Whether a link's parts are genuine and unexpired (use is checked when it is claimed).
pub fn check_link(
    key: &[u8; 32],
    pool_id: &str,
    risk_id: i64,
    expires: i64,
    tag: &str,
    now: i64,
) -> bool {
    let Ok(bytes) = hex::decode(tag) else {
        return false;
    };
    now <= expires
        && link_mac(key, pool_id, risk_id, expires)
            .verify_slice(&bytes)
            .is_ok()
}

/// What the mail says about the sign-in.
pub struct About<'a> {
    pub risk_id: i64,
    pub ip: &'a str,
    pub place: Option<String>,
    pub device: Option<&'a str>,
    pub at: i64,
}

/// Queues the notification for `user` (nothing without an e-mail address). `custom` is the
/// operator's NotifyConfiguration e-mail for the action, with Cognito's placeholders.
#[allow(clippy::too_many_arguments)]
pub fn send(
    db: &Db,
    key: &[u8; 32],
    public_url: &str,
    pool: &Pool,
    user: &User,
    about: &About<'_>,
    custom: Option<&NotifyEmail>,
    now: i64,
) -> crate::Result<()> {
    let Some(to) = user.email.as_deref() else {
        return Ok(());
    };
    let link = format!(
        "{public_url}/{}/not-me?{}",
        pool.id,
        link_query(key, &pool.id, about.risk_id, now + LINK_TTL_SECS)
    );
    let time = time::OffsetDateTime::from_unix_timestamp(about.at)
        .map(|t| {
            format!(
                "{}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default();
    let lang = user
        .attributes
        .get("locale")
        .map(String::as_str)
        .unwrap_or("en");
    let details = SignInDetails {
        time: &time,
        ip: about.ip,
        place: about.place.as_deref(),
        device: about.device,
    };
    let mut msg = messages::new_sign_in(lang, pool.display_name(), &details, &link);
    if let Some(c) = custom {
        let fill = |t: &str| {
            t.replace("{username}", &user.username)
                .replace("{ip-address}", about.ip)
                .replace("{city}", about.place.as_deref().unwrap_or(""))
                .replace("{country}", about.place.as_deref().unwrap_or(""))
                .replace("{login-time}", &time)
                .replace("{device-name}", about.device.unwrap_or(""))
                .replace("{one-click-link-invalid}", &link)
                .replace("{one-click-link-valid}", "")
        };
        if let Some(s) = &c.subject {
            msg.subject = fill(s);
        }
        if let Some(t) = &c.text_body {
            msg.text = fill(t);
        }
        if let Some(h) = &c.html_body {
            msg.html = fill(h);
        }
    }
    crate::mail::enqueue(db, Some(&pool.id), &msg.addressed_to(to), now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_bind_pool_row_and_expiry_and_expire() {
        let key = [9u8; 32];
        let q = link_query(&key, "p", 7, 100);
        let tag = q.rsplit("t=").next().unwrap();
        assert!(check_link(&key, "p", 7, 100, tag, 50));
        assert!(!check_link(&key, "p", 7, 100, tag, 101), "expired");
        assert!(!check_link(&key, "p", 8, 100, tag, 50));
        assert!(!check_link(&key, "q", 7, 100, tag, 50));
        assert!(!check_link(&key, "p", 7, 200, tag, 50));
        assert!(!check_link(&key, "p", 7, 100, "zz", 50));
    }
}
