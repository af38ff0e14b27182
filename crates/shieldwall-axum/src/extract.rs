//! Extractors: `ClientIp`, `RequestId`, `Json`.

use std::net::IpAddr;

use axum_core::body::Body;
use axum_core::extract::{FromRequest, FromRequestParts, Request};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shieldwall_core::{
    BodyPolicy, Principal, RequestContext, RequestView, Version, api_key_principal_of,
    body_too_large, body_unreadable, claims_of, path_not_found, principal_of,
};
use shieldwall_errors::ApiError;

/// The client address, after trusted-proxy resolution by [`ShieldwallLayer`](crate::ShieldwallLayer).
///
/// Rejects with 500 when the layer is missing or the server does not pass
/// the peer address (serve with `into_make_service_with_connect_info::<SocketAddr>()`).
// Exhaustive on purpose: handlers destructure extractors (`ClientIp(ip)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        RequestContext::client_ip_of(parts).map(Self)
    }
}

/// The request id of this request (as sent back in `X-Request-Id`).
// Exhaustive on purpose: handlers destructure extractors (`ClientIp(ip)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub shieldwall_core::RequestId);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .context()
            .map(|ctx| Self(ctx.request_id))
            .ok_or_else(|| ApiError::internal("request id unknown: install ShieldwallLayer"))
    }
}

/// A JSON body, read under the route's [`BodyPolicy`] (the one in the request
/// extensions, else the defaults): `application/json` (else 415), at most its
/// limit, 64 KiB by default (else 413), valid JSON within its depth (else 400
/// `MALFORMED_REQUEST`), the right shape (else 400 `VALIDATION_FAILED` naming
/// the field). Keys are read as data: the policy's key rule is applied by
/// `Valid<Json<T>>`. No error echoes the body or serde's message.
///
/// As a response, serializes `T` as `application/json`.
// Exhaustive on purpose: handlers destructure extractors (`ClientIp(ip)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let rules = body_policy(&parts);
        rules.check_head(&parts)?;
        let bytes = read_limited(body, rules.limit()).await?;
        rules.parse(&bytes).map(Self)
    }
}

/// A JSON body that may be absent: `None` when the request has no body and
/// no `Content-Type`; otherwise the rules of [`Json`].
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let rules = body_policy(&parts);
        let has_content_type = rules.check_head_optional(&parts)?;
        let bytes = read_limited(body, rules.limit()).await?;
        rules.parse_optional(has_content_type, &bytes).map(Self)
    }
}

/// The route's body policy: the [`BodyPolicy`] in the request extensions,
/// else the defaults. The one place the extractors (`Json`, `OptionalJson`,
/// `Valid<Json<T>>`) read it.
pub(crate) fn body_policy(parts: &Parts) -> BodyPolicy {
    parts
        .extensions
        .get::<BodyPolicy>()
        .copied()
        .unwrap_or_default()
}

/// The whole body, at most `limit` bytes (413 beyond, 400 when the
/// connection fails to deliver it).
pub(crate) async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(body_too_large(limit)),
        Err(err) => Err(body_unreadable(err)),
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => {
                let mut response = Response::new(Body::from(bytes));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            Err(err) => ApiError::internal(err).into_response(),
        }
    }
}

/// Path parameters. One that does not parse is 404 `NOT_FOUND` (the same on
/// both adapters; axum's own `Path` answers 400 with the parser's message).
// Exhaustive on purpose: handlers destructure extractors (`Path(id)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_not_found(rejection.body_text())),
        }
    }
}

/// The principal the route's guard attached (500 if the route has no guard).
///
/// `Option<Authenticated>` is `None` when no guard attached one: the route
/// has no guard, or its guard let a request without credentials through
/// (`OrAnonymous`, for an optional-auth route). It reads only what a guard
/// attached and never parses a credential itself: on a route without a
/// guard, an `Authorization` header changes nothing, and on a route with
/// one, a bad credential is refused before the handler runs.
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        principal_of(parts.principal()).map(Self)
    }
}

/// The verified token's claims as `T` (for example
/// `Claims<shieldwall_tokens::RegisteredClaims>` or your own struct).
/// 401 `INVALID_TOKEN` when the claims lack what `T` needs; 500 when the
/// route has no bearer guard.
///
/// `Option<Claims<T>>` is `None` when no guard attached verified claims (no
/// guard, an anonymous request, an API key's principal) and when the claims
/// lack what `T` needs, the same as on actix-web
/// ([`optional_claims_of`](shieldwall_core::optional_claims_of)).
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims<T>(pub T);

impl<T, S> FromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        claims_of(parts.principal().as_ref()).map(Self)
    }
}

/// The API key principal the route's guard attached: the key's owner as id,
/// its key id and its scopes (500 if the route has no API key guard).
///
/// `Option<ApiKey>` is `None` when no guard attached an API key's
/// principal: no guard, an anonymous request, or a bearer token's principal
/// on a route that takes either.
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        api_key_principal_of(parts.principal()).map(Self)
    }
}

/// The API version the route's versioning guard resolved
/// (`shieldwall-versioning`); 500 if no versioning guard covers the route.
// Exhaustive on purpose: handlers destructure extractors (`ApiVersion(v)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiVersion(pub Version);

impl<S: Send + Sync> FromRequestParts<S> for ApiVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Version::attached_to(parts).map(Self)
    }
}
