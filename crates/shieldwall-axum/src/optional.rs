//! `Option<Authenticated>`, `Option<ApiKey>`, `Option<Claims<T>>`: optional authentication.
//!
//! Each reads only what a guard attached to the request (it never parses a
//! credential itself) and is `None` when no guard attached that principal.
//! The rules are `shieldwall-core`'s, the same as actix-web's `Option<T>`
//! of the same extractors gives: see the workspace's parity suite.

use axum_core::extract::OptionalFromRequestParts;
use http::request::Parts;
use serde::de::DeserializeOwned;
use shieldwall_core::{RequestView, api_key_principal, optional_claims_of};

use crate::{ApiKey, Authenticated, Claims};

/// `None` when no guard attached a principal: the route has no guard, or
/// its guard (`OrAnonymous`) let a request without credentials through.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Authenticated {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.principal().map(Self))
    }
}

/// `None` when no guard attached an API key's principal: no guard, an
/// anonymous request, or a bearer token's principal on a route that takes
/// either.
impl<S: Send + Sync> OptionalFromRequestParts<S> for ApiKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(api_key_principal(parts.principal()).map(Self))
    }
}

/// `None` when no guard attached verified claims, and when they lack what
/// `T` needs (as on actix-web, whose `Option<T>` cannot tell the two apart):
/// see [`optional_claims_of`].
impl<T, S> OptionalFromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(optional_claims_of(parts.principal().as_ref()).map(Self))
    }
}
