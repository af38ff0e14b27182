//! What protects one operation, and the refusals that protection can answer.

use std::collections::BTreeMap;

use shieldwall_errors::ErrorCode;
use utoipa::openapi::security::SecurityRequirement;

use crate::components::{API_KEY_SCHEME, BEARER_SCHEME};
use crate::responses::{Cause, Refusal};
use crate::{OpenApiConfigError, headers, scope};

/// The layers in front of one operation, stated once: what
/// [`Protection::apply`] documents on it (the security requirement, the
/// refusals those layers can answer with their headers, the signature
/// request headers).
///
/// Each setter describes one layer; none enforces anything. State exactly
/// the layers the route has: the document is as accurate as this value.
///
/// | setter | the layer | adds |
/// |---|---|---|
/// | [`api_key`](Self::api_key) | `ApiKeyGuard` | security `api_key`; 400, 401, 403 (with scopes), 503 |
/// | [`bearer`](Self::bearer) | `BearerGuard` | security `bearer`; 400, 401, 403 (with scopes), 503, each with `WWW-Authenticate` |
/// | both | `ApiKeyOrBearer` (`OneOf`) | either scheme |
/// | [`rate_limited`](Self::rate_limited) | `RateLimiter` | 429 with `Retry-After`, 503 with `Retry-After`; `RateLimit` and `RateLimit-Policy` on every response |
/// | [`json_body`](Self::json_body) | the adapters' `Json` / `Valid<Json<T>>` | 400, 413, 415 |
/// | [`validated_query`](Self::validated_query) | `ValidQuery<T>` | 400 |
/// | [`signed`](Self::signed) | `SignatureGuard` (RFC 9421) | the `Signature`, `Signature-Input`, `Content-Digest` request headers; 401, 413, 503 |
///
/// Every response of the operation gets `X-Request-Id` (the outermost
/// layer, `ShieldwallLayer` / `Shieldwall`, sends it on every answer).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Protection {
    api_key: Option<Vec<String>>,
    bearer: Option<Vec<String>>,
    rate_limited: bool,
    json_body: bool,
    validated_query: bool,
    signed: bool,
}

impl Protection {
    /// No layer: a public operation (`security: []`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An API key in `X-API-Key` holding every one of `scopes` (none: any
    /// valid key). A scope that is not an RFC 6749 scope token is
    /// [`OpenApiConfigError::Scope`].
    pub fn api_key<I, S>(mut self, scopes: I) -> Result<Self, OpenApiConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.api_key = Some(scope::scopes(scopes)?);
        Ok(self)
    }

    /// A bearer token holding every one of `scopes` (none: any valid
    /// token). With [`api_key`](Self::api_key) too, either one is accepted.
    pub fn bearer<I, S>(mut self, scopes: I) -> Result<Self, OpenApiConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bearer = Some(scope::scopes(scopes)?);
        Ok(self)
    }

    /// One or more rate limits count this operation.
    #[must_use]
    pub fn rate_limited(mut self) -> Self {
        self.rate_limited = true;
        self
    }

    /// The operation reads a JSON body under a body policy.
    #[must_use]
    pub fn json_body(mut self) -> Self {
        self.json_body = true;
        self
    }

    /// The operation reads a validated query string.
    #[must_use]
    pub fn validated_query(mut self) -> Self {
        self.validated_query = true;
        self
    }

    /// The request must carry an RFC 9421 signature over its body (with
    /// an RFC 9530 `Content-Digest`).
    #[must_use]
    pub fn signed(mut self) -> Self {
        self.signed = true;
        self
    }

    /// Whether a rate limit counts the operation.
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.rate_limited
    }

    /// Whether the request must be signed.
    #[must_use]
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    /// The operation's security requirements, alternatives: one per
    /// scheme, each with its scopes; none for a public operation.
    #[must_use]
    pub fn security(&self) -> Vec<SecurityRequirement> {
        let mut security = Vec::new();
        if let Some(scopes) = &self.api_key {
            security.push(SecurityRequirement::new(API_KEY_SCHEME, scopes.clone()));
        }
        if let Some(scopes) = &self.bearer {
            security.push(SecurityRequirement::new(BEARER_SCHEME, scopes.clone()));
        }
        security
    }

    /// The statuses of the refusals these layers can answer, ascending.
    #[must_use]
    pub fn statuses(&self) -> Vec<u16> {
        self.by_status().into_keys().collect()
    }

    /// The refusals, by status, ascending, each with its headers.
    pub(crate) fn refusals(&self) -> Vec<Refusal> {
        self.by_status()
            .into_iter()
            .map(|(status, causes)| Refusal {
                status,
                causes,
                headers: self.headers_of(status),
            })
            .collect()
    }

    /// The headers a refusal of `status` sends, besides `X-Request-Id`.
    fn headers_of(&self, status: u16) -> Vec<(&'static str, utoipa::openapi::header::Header)> {
        let mut sent = Vec::new();
        if status == 429 {
            sent.push((headers::RETRY_AFTER, headers::retry_after_limited()));
        }
        if status == 503 && self.rate_limited {
            sent.push((headers::RETRY_AFTER, headers::retry_after_down()));
        }
        let bearer_scoped = self.bearer.as_ref().is_some_and(|s| !s.is_empty());
        if self.bearer.is_some() && (status == 400 || status == 401)
            || bearer_scoped && status == 403
        {
            sent.push((headers::WWW_AUTHENTICATE, headers::www_authenticate(status)));
        }
        sent
    }

    fn by_status(&self) -> BTreeMap<u16, Vec<Cause>> {
        let mut by_status: BTreeMap<u16, Vec<Cause>> = BTreeMap::new();
        for (code, cause) in self.causes() {
            by_status
                .entry(code.status().as_u16())
                .or_default()
                .push((code, cause));
        }
        by_status
    }

    /// Every refusal of every stated layer, outermost first.
    fn causes(&self) -> Vec<Cause> {
        let mut causes: Vec<Cause> = Vec::new();
        let mut add = |code, cause: &str| causes.push((code, cause.to_owned()));
        if self.rate_limited {
            add(
                ErrorCode::RateLimited,
                "a rate limit was reached; retry after `Retry-After` seconds",
            );
            add(
                ErrorCode::ServiceUnavailable,
                "a rate limit's store is down and its policy fails closed",
            );
        }
        if let Some(scopes) = &self.api_key {
            add(
                ErrorCode::MalformedRequest,
                "`X-API-Key` was sent more than once",
            );
            add(ErrorCode::ApiKeyRequired, "no `X-API-Key` was sent");
            add(
                ErrorCode::InvalidApiKey,
                "the key is wrong, revoked, expired or malformed",
            );
            if !scopes.is_empty() {
                add(
                    ErrorCode::InsufficientScope,
                    &format!("the key lacks a scope of {}", list(scopes)),
                );
            }
            add(ErrorCode::ServiceUnavailable, "the key store is down");
        }
        if let Some(scopes) = &self.bearer {
            add(
                ErrorCode::MalformedRequest,
                "`Authorization` was sent more than once",
            );
            add(ErrorCode::BearerTokenRequired, "no bearer token was sent");
            add(ErrorCode::InvalidToken, "the token failed verification");
            add(
                ErrorCode::TokenExpired,
                "the token verified but has expired",
            );
            add(
                ErrorCode::TokenRevoked,
                "the token verified but was revoked",
            );
            if !scopes.is_empty() {
                add(
                    ErrorCode::InsufficientScope,
                    &format!("the token lacks a scope of {}", list(scopes)),
                );
            }
            add(
                ErrorCode::ServiceUnavailable,
                "the revocation store is down",
            );
        }
        if self.signed {
            add(
                ErrorCode::SignatureRequired,
                "the request carries no RFC 9421 signature",
            );
            add(
                ErrorCode::InvalidSignature,
                "the signature, its covered components, its key, its time, its nonce (seen \
                 before) or the `Content-Digest` did not verify",
            );
            add(
                ErrorCode::PayloadTooLarge,
                "the body is over the limit the signature check reads",
            );
            add(ErrorCode::ServiceUnavailable, "the nonce store is down");
        }
        if self.json_body {
            add(
                ErrorCode::UnsupportedMediaType,
                "the body is not sent as `application/json`",
            );
            add(
                ErrorCode::PayloadTooLarge,
                "the body is over the route's limit",
            );
            add(
                ErrorCode::MalformedRequest,
                "the body is not valid JSON, not an object, has duplicate keys, is nested too \
                 deep or is not UTF-8",
            );
            add(
                ErrorCode::ValidationFailed,
                "a field broke a rule or has the wrong JSON type; `errors` lists each",
            );
        }
        if self.validated_query {
            add(
                ErrorCode::ValidationFailed,
                "a query parameter broke a rule; `errors` lists each",
            );
        }
        causes
    }
}

/// `` `a`, `b` `` for the scopes.
fn list(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|scope| format!("`{scope}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
