//! AdminListUserAuthEvents and AdminUpdateAuthEventFeedback: a user's sign-ins, from the audit
//! log (`accounts::history`), with adaptive sign-in's score where the pool scored them (an
//! unscored one is `NoRisk`).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::history::{self, Door, Feedback, SignIn};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    user_pool_id: String,
    username: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub async fn list(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: ListRequest = wire::parse(body)?;
    // Cognito allows 0..=60; 0 (or nothing) is a default page. A page holds at most
    // `MAX_PAGE` events: more come with a NextToken, as Cognito's pages may.
    let limit = match r.max_results {
        None | Some(0) => history::MAX_PAGE,
        Some(n @ 1..=60) => n as u32,
        Some(_) => {
            return Err(CognitoError::invalid_parameter(
                "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60",
            ));
        }
    };
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    ctx.read(move |db| {
        let user = super::user(db, &entry, &r.username)?;
        let page = history::sign_ins(db, &entry.pool.id, &user.id, limit, r.next_token.as_deref())
            .map_err(|e| match e {
                crate::Error::Invalid(_) => {
                    CognitoError::invalid_parameter("Invalid pagination token.")
                }
                other => other.into(),
            })?;
        let mut out =
            json!({ "AuthEvents": page.events.iter().map(auth_event_type).collect::<Vec<_>>() });
        if let Some(next) = page.next {
            out["NextToken"] = json!(next);
        }
        Ok(out)
    })
    .await
}

/// Cognito's `AuthEventType`.
fn auth_event_type(e: &SignIn) -> Value {
    let door_name = match e.door {
        Door::Hosted => "Hosted sign-in page",
        Door::App => "App",
    };
    let mut risk = json!({
        "RiskDecision": "NoRisk",
        "RiskLevel": "Low",
        "CompromisedCredentialsDetected": false,
    });
    let mut context = json!({
        "IpAddress": e.source.clone().unwrap_or_default(),
        "DeviceName": door_name,
    });
    if let Some(r) = &e.risk {
        risk["RiskDecision"] = json!(r.decision);
        if let Some(level) = &r.level {
            risk["RiskLevel"] = json!(level);
        }
        context["IpAddress"] = json!(r.source);
        if let Some(d) = &r.device_name {
            context["DeviceName"] = json!(d);
        }
        if let Some(c) = &r.country {
            context["Country"] = json!(c);
        }
        if let Some(c) = &r.city {
            context["City"] = json!(c);
        }
    }
    let mut v = json!({
        "EventId": e.id,
        "EventType": "SignIn",
        "CreationDate": e.at,
        "EventResponse": if e.success { "Pass" } else { "Fail" },
        "EventRisk": risk,
        "ChallengeResponses": [],
        "EventContextData": context,
    });
    if let Some((value, at)) = e.feedback {
        v["EventFeedback"] = json!({
            "FeedbackValue": value.as_str(),
            "Provider": "Incognito",
            "FeedbackDate": at,
        });
    }
    v
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FeedbackRequest {
    user_pool_id: String,
    username: String,
    event_id: String,
    feedback_value: String,
}

pub async fn feedback(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: FeedbackRequest = wire::parse(body)?;
    let value = feedback_value(&r.feedback_value)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        let user = super::user(db, &entry, &r.username)?;
        give(db, &entry.pool, &user.id, &r.event_id, value, now)
    })
    .await
}

/// `FeedbackValue` (`Valid` | `Invalid`).
pub fn feedback_value(v: &str) -> Result<Feedback> {
    Feedback::parse(v).ok_or_else(|| {
        CognitoError::invalid_parameter(
            "1 validation error detected: Value at 'feedbackValue' failed to satisfy constraint: Member must satisfy enum value set: [Valid, Invalid]",
        )
    })
}

/// Gives the feedback; an event that is not this user's is `ResourceNotFoundException`.
pub fn give(
    db: &crate::store::Db,
    pool: &crate::pools::Pool,
    user_id: &str,
    event_id: &str,
    value: Feedback,
    now: i64,
) -> Result<Value> {
    history::give_feedback(db, pool, user_id, event_id, value, now).map_err(|e| match e {
        crate::Error::NotFound(_) => CognitoError::resource_not_found("Auth event not found."),
        other => other.into(),
    })?;
    Ok(json!({}))
}
