//! What the hosted pages tell the audit log: a user's own security change, done.

use actix_web::HttpRequest;

use super::Ctx;
use crate::audit::{self, Door, Event};
use crate::state::AppState;

/// Records that the user `user_id` did `action` (one of `audit`'s security actions) through
/// the hosted pages.
pub fn user_did(state: &AppState, ctx: &Ctx, req: &HttpRequest, action: &str, user_id: &str) {
    state.audit(
        Event::new(Door::Hosted, action, "success")
            .pool(ctx.pool_id())
            .actor(audit::user_actor(user_id))
            .target(user_id)
            .source(crate::http::client_ip(req)),
    );
}
