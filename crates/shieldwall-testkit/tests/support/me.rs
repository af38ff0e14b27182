//! The `/me` route the identity-provider adapter tests share: one handler
//! per framework over the same extractors (`Authenticated`, `Claims<T>`),
//! answering who was identified, with which scopes and tenant.

use serde_json::json;
use shieldwall_core::Principal;

/// The one custom claim the handlers read.
#[derive(serde::Deserialize)]
pub(crate) struct TenantClaims {
    pub(crate) tenant: String,
}

/// What `/me` answers.
pub(crate) fn who(principal: &Principal, tenant: Option<String>) -> serde_json::Value {
    json!({ "id": principal.id(), "scopes": principal.scopes(), "tenant": tenant })
}

/// `Bearer <token>`.
pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `/me` on axum.
pub(crate) async fn axum_me(
    shieldwall_axum::Authenticated(principal): shieldwall_axum::Authenticated,
    claims: Option<shieldwall_axum::Claims<TenantClaims>>,
) -> shieldwall_axum::Json<serde_json::Value> {
    shieldwall_axum::Json(who(
        &principal,
        claims.map(|shieldwall_axum::Claims(c)| c.tenant),
    ))
}

/// `/me` on actix-web.
pub(crate) async fn actix_me(
    shieldwall_actix::Authenticated(principal): shieldwall_actix::Authenticated,
    claims: Option<shieldwall_actix::Claims<TenantClaims>>,
) -> shieldwall_actix::Json<serde_json::Value> {
    shieldwall_actix::Json(who(
        &principal,
        claims.map(|shieldwall_actix::Claims(c)| c.tenant),
    ))
}
