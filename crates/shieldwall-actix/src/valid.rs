//! Validating extractors: `Valid<Json<T>>`, `ValidQuery<T>`, `ValidPath<T>`.
//! What they check and how they answer is shieldwall-validate's; this file
//! only reads the request.

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use shieldwall_errors::ApiError;
use shieldwall_validate::{Sanitize, Validate, parse_body, parse_path, parse_query};

use crate::ActixView;
use crate::Json;
use crate::extract::{body_policy, read_limited};

/// A value that passed validation and cleaning: `Valid<Json<T>>` reads a
/// JSON body under the route's [`BodyPolicy`](shieldwall_core::BodyPolicy)
/// (the one registered with `app_data`, else the defaults: the same value
/// [`Json`] reads), its key rule included, validates it with `T`'s
/// `validator` rules, cleans it with its [`Sanitize`] impl and validates
/// again if cleaning changed it. Every refusal is problem+json (400, 413,
/// 415) naming fields by their JSON names, never echoing a value.
// Exhaustive on purpose: handlers destructure extractors (`Valid(Json(body))`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Valid<T>(pub T);

impl<T> FromRequest for Valid<Json<T>>
where
    T: DeserializeOwned + Validate + Sanitize + 'static,
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let policy = body_policy(request);
        let head = policy.check_head(&ActixView(request));
        let payload = payload.take();
        Box::pin(async move {
            head?;
            let body = read_limited(payload, policy.limit()).await?;
            parse_body(&policy, &body).map(|value| Self(Json(value)))
        })
    }
}

/// A query string read into `T` (values coerced to the field types, serde
/// defaults applied), validated and cleaned; see
/// [`shieldwall_validate::parse_query`].
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidQuery<T>(pub T);

impl<T> FromRequest for ValidQuery<T>
where
    T: DeserializeOwned + Validate + Sanitize,
{
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let query = Some(request.query_string()).filter(|q| !q.is_empty());
        ready(parse_query(query).map(Self))
    }
}

/// Path parameters read into `T`, validated and cleaned: a value of the
/// wrong type is 404, one that breaks a rule 400; see
/// [`shieldwall_validate::parse_path`].
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidPath<T>(pub T);

impl<T> FromRequest for ValidPath<T>
where
    T: DeserializeOwned + Validate + Sanitize,
{
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let params: Vec<(&str, &str)> = request.match_info().iter().collect();
        ready(parse_path(&params).map(Self))
    }
}
