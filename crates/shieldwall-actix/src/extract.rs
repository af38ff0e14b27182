//! Extractors: `ClientIp`, `RequestId`, `Json`.

use std::future::{Future, Ready, ready};
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::ContentType;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder};
use bytes::BytesMut;
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shieldwall_core::{
    BodyPolicy, Principal, RequestContext, RequestView, Version, api_key_principal_of,
    body_too_large, body_unreadable, claims_of, path_not_found, principal_of,
};
use shieldwall_errors::ApiError;

use crate::ActixView;

/// The client address, after trusted-proxy resolution by [`Shieldwall`](crate::Shieldwall).
///
/// Rejects with 500 when the middleware is missing.
// Exhaustive on purpose: handlers destructure extractors (`ClientIp(ip)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(RequestContext::client_ip_of(&ActixView(request)).map(Self))
    }
}

/// The request id of this request (as sent back in `X-Request-Id`).
// Exhaustive on purpose: handlers destructure extractors (`ClientIp(ip)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub shieldwall_core::RequestId);

impl FromRequest for RequestId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            ActixView(request)
                .context()
                .map(|ctx| Self(ctx.request_id))
                .ok_or_else(|| {
                    ApiError::internal("request id unknown: wrap the app in Shieldwall")
                }),
        )
    }
}

/// A JSON body, read under the route's [`BodyPolicy`] (the one registered
/// with `app_data`, else the defaults): `application/json` (else 415), at
/// most its limit, 64 KiB by default (else 413), valid JSON within its depth
/// (else 400 `MALFORMED_REQUEST`), the right shape (else 400
/// `VALIDATION_FAILED` naming the field). Keys are read as data: the
/// policy's key rule is applied by `Valid<Json<T>>`. No error echoes the body
/// or serde's message.
///
/// As a response, serializes `T` as `application/json`.
// Exhaustive on purpose: handlers destructure extractors (`ClientIp(ip)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let rules = body_policy(request);
        let head = rules.check_head(&ActixView(request));
        let payload = payload.take();
        Box::pin(async move {
            head?;
            let body = read_limited(payload, rules.limit()).await?;
            rules.parse(&body).map(Self)
        })
    }
}

/// A JSON body that may be absent: `None` when the request has no body and
/// no `Content-Type`; otherwise the rules of [`Json`].
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let rules = body_policy(request);
        let head = rules.check_head_optional(&ActixView(request));
        let payload = payload.take();
        Box::pin(async move {
            let has_content_type = head?;
            let body = read_limited(payload, rules.limit()).await?;
            rules.parse_optional(has_content_type, &body).map(Self)
        })
    }
}

/// The route's body policy: the [`BodyPolicy`] registered with `app_data`,
/// else the defaults. The one place the extractors (`Json`, `OptionalJson`,
/// `Valid<Json<T>>`) read it.
pub(crate) fn body_policy(request: &HttpRequest) -> BodyPolicy {
    request
        .app_data::<BodyPolicy>()
        .copied()
        .unwrap_or_default()
}

/// The whole body, at most `limit` bytes (413 beyond, 400 when the
/// connection fails to deliver it).
pub(crate) async fn read_limited(mut payload: Payload, limit: usize) -> Result<BytesMut, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(body_unreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(body_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl<T: Serialize> Responder for Json<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => HttpResponse::Ok()
                .content_type(ContentType::json())
                .body(bytes),
            Err(err) => actix_web::ResponseError::error_response(&ApiError::internal(err)),
        }
    }
}

/// Path parameters. One that does not parse is 404 `NOT_FOUND`, the same on
/// both adapters.
// Exhaustive on purpose: handlers destructure extractors (`Path(id)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Path<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            request
                .match_info()
                .load::<T>()
                .map(Self)
                .map_err(path_not_found),
        )
    }
}

/// The principal the route's guard attached (500 if the route has no guard).
///
/// `Option<Authenticated>` is `None` when no guard attached one: the route
/// has no guard, or its guard let a request without credentials through
/// (`OrAnonymous`, for an optional-auth route). It reads only what a guard
/// attached and never parses a credential itself: on a route without a
/// guard, an `Authorization` header changes nothing, and on a route with
/// one, a bad credential is refused before the handler runs. (actix-web's
/// own `Option<T>` turns this extractor's only error, "no principal", into
/// `None`; axum's gives the same.)
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(principal_of(ActixView(request).principal()).map(Self))
    }
}

/// The verified token's claims as `T`. 401 `INVALID_TOKEN` when the claims
/// lack what `T` needs; 500 when the route has no bearer guard.
///
/// `Option<Claims<T>>` is `None` when no guard attached verified claims (no
/// guard, an anonymous request, an API key's principal) and when the claims
/// lack what `T` needs: actix-web's `Option<T>` turns every error into
/// `None`, and axum's is made to match
/// ([`optional_claims_of`](shieldwall_core::optional_claims_of)).
// Exhaustive on purpose: handlers destructure extractors.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Claims<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(claims_of(ActixView(request).principal().as_ref()).map(Self))
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

impl FromRequest for ApiKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(api_key_principal_of(ActixView(request).principal()).map(Self))
    }
}

/// The API version the route's versioning guard resolved
/// (`shieldwall-versioning`); 500 if no versioning guard covers the route.
// Exhaustive on purpose: handlers destructure extractors (`ApiVersion(v)`).
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiVersion(pub Version);

impl FromRequest for ApiVersion {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Version::attached_to(&ActixView(request)).map(Self))
    }
}
