//! ListIdentityProviders: `ProviderDescription`s by name, MaxResults 1 to 60 a page.

use serde_json::Value;

use crate::cognito::shared::{Ctx, Result};
use crate::federation::providers;
use crate::store::federation::{self, IdentityProvider};
use crate::store::{Db, StoreError};

/// All of them: `super::list` pages by offset, like the other control-plane lists.
fn all(db: &Db, pool_id: &str) -> std::result::Result<Vec<IdentityProvider>, StoreError> {
    federation::list(db, pool_id, i64::MAX, "")
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    super::list(ctx, body, 60, "Providers", all, providers::summary).await
}
