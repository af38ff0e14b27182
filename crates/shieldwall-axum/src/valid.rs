//! Validating extractors: `Valid<Json<T>>`, `ValidQuery<T>`, `ValidPath<T>`.
//! What they check and how they answer is shieldwall-validate's; this file
//! only reads the request.

use axum::extract::RawPathParams;
use axum_core::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;
use shieldwall_core::path_not_found;
use shieldwall_errors::ApiError;
use shieldwall_validate::{Sanitize, Validate, parse_body, parse_path, parse_query};

use crate::Json;
use crate::extract::{body_policy, read_limited};

/// A value that passed validation and cleaning: `Valid<Json<T>>` reads a
/// JSON body under the route's [`BodyPolicy`](shieldwall_core::BodyPolicy)
/// (the one in the request extensions, else the defaults: the same value
/// [`Json`] reads), its key rule included, validates it with `T`'s
/// `validator` rules, cleans it with its [`Sanitize`] impl and validates
/// again if cleaning changed it. Every refusal is problem+json (400, 413,
/// 415) naming fields by their JSON names, never echoing a value.
// Exhaustive on purpose: handlers destructure extractors (`Valid(Json(body))`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Valid<T>(pub T);

impl<T, S> FromRequest<S> for Valid<Json<T>>
where
    T: DeserializeOwned + Validate + Sanitize,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let policy = body_policy(&parts);
        policy.check_head(&parts)?;
        let bytes = read_limited(body, policy.limit()).await?;
        parse_body(&policy, &bytes).map(|value| Self(Json(value)))
    }
}

/// A query string read into `T` (values coerced to the field types, serde
/// defaults applied), validated and cleaned; see
/// [`shieldwall_validate::parse_query`].
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ValidQuery<T>
where
    T: DeserializeOwned + Validate + Sanitize,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query()).map(Self)
    }
}

/// Path parameters read into `T`, validated and cleaned: a value of the
/// wrong type is 404, one that breaks a rule 400; see
/// [`shieldwall_validate::parse_path`].
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ValidPath<T>
where
    T: DeserializeOwned + Validate + Sanitize,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|rejection| path_not_found(rejection.body_text()))?;
        let params: Vec<(&str, &str)> = raw.iter().collect();
        parse_path(&params).map(Self)
    }
}
