//! Rejections at request time, and configuration errors.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, header::WWW_AUTHENTICATE};
use shieldwall_core::{ScopeError, Scopes};
use shieldwall_errors::{ErrorCode, Rejection};

/// Why a bearer token was refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenErrorKind {
    /// No `Authorization: Bearer` header.
    Missing,
    /// More than one `Authorization` header.
    Ambiguous,
    /// Not a well-formed compact JWS (length, parts, base64url, JSON, header).
    Malformed,
    /// The `alg` is not allowed, or not the algorithm of the chosen key.
    Algorithm,
    /// No configured key matches the `kid` (or no `kid` and several keys).
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// A claim is missing, of the wrong type, or not what is required.
    Claims,
    /// The token is not valid yet (`nbf`, or `iat` in the future).
    NotYetValid,
    /// The token has expired (`exp`, or older than the maximum age).
    Expired,
    /// The token was revoked.
    Revoked,
    /// The token lacks a scope the route requires.
    InsufficientScope,
    /// The revocation store could not be asked: fail closed.
    StoreUnavailable,
    /// The introspection endpoint says the token is not active (RFC 7662).
    Inactive,
}

impl TokenErrorKind {
    fn code(self) -> ErrorCode {
        match self {
            Self::Missing => ErrorCode::BearerTokenRequired,
            Self::Ambiguous => ErrorCode::MalformedRequest,
            Self::Malformed
            | Self::Algorithm
            | Self::UnknownKey
            | Self::Signature
            | Self::Claims
            | Self::NotYetValid
            | Self::Inactive => ErrorCode::InvalidToken,
            Self::Expired => ErrorCode::TokenExpired,
            Self::Revoked => ErrorCode::TokenRevoked,
            Self::InsufficientScope => ErrorCode::InsufficientScope,
            Self::StoreUnavailable => ErrorCode::ServiceUnavailable,
        }
    }

    /// The RFC 6750 `error` attribute, if any.
    fn bearer_error(self) -> Option<&'static str> {
        match self {
            Self::Missing | Self::StoreUnavailable => None,
            Self::Ambiguous => Some("invalid_request"),
            Self::InsufficientScope => Some("insufficient_scope"),
            _ => Some("invalid_token"),
        }
    }

    fn detail(self) -> Option<&'static str> {
        match self {
            Self::Missing => Some("send an access token as `Authorization: Bearer <token>`"),
            Self::Ambiguous => Some("send exactly one Authorization header"),
            Self::Expired => Some("the access token has expired"),
            Self::Revoked => Some("the access token has been revoked"),
            Self::InsufficientScope => Some("the access token lacks a scope this route requires"),
            _ => None,
        }
    }
}

/// A refused bearer token: a kind (which fixes the answer) and a reason for
/// the logs. Neither holds the token or a library's error text.
#[derive(Clone, Debug)]
pub struct TokenRejection {
    kind: TokenErrorKind,
    reason: &'static str,
    realm: Option<Arc<str>>,
    scope: Option<Scopes>,
    retry_after: Option<u64>,
}

impl TokenRejection {
    pub(crate) fn new(kind: TokenErrorKind, reason: &'static str) -> Self {
        Self {
            kind,
            reason,
            realm: None,
            scope: None,
            retry_after: None,
        }
    }

    /// A `Retry-After` of `seconds` (a store failure that says when to try again).
    #[cfg(feature = "introspection")]
    pub(crate) fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub(crate) fn with_realm(mut self, realm: Option<Arc<str>>) -> Self {
        self.realm = realm;
        self
    }

    /// The scopes to name in the challenge (none when empty).
    pub(crate) fn with_scope(mut self, scopes: Scopes) -> Self {
        self.scope = (!scopes.is_empty()).then_some(scopes);
        self
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> TokenErrorKind {
        self.kind
    }

    /// The reason, for logs.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The `WWW-Authenticate` value (RFC 6750): `Bearer` when no credentials
    /// were sent, `Bearer error="..."` otherwise; none for a store failure.
    #[must_use]
    pub fn www_authenticate(&self) -> Option<HeaderValue> {
        if self.kind == TokenErrorKind::StoreUnavailable {
            return None;
        }
        let mut params = Vec::new();
        if let Some(realm) = &self.realm {
            params.push(format!("realm=\"{realm}\""));
        }
        if let Some(error) = self.kind.bearer_error() {
            params.push(format!("error=\"{error}\""));
        }
        if let Some(scopes) = &self.scope {
            params.push(format!("scope=\"{}\"", scopes.as_str()));
        }
        let value = if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        };
        // Realm and scope are checked to be visible ASCII without quotes when configured.
        HeaderValue::from_str(&value).ok()
    }
}

impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bearer token refused ({:?}): {}", self.kind, self.reason)
    }
}

impl std::error::Error for TokenRejection {}

impl Rejection for TokenRejection {
    fn audit_reason(&self) -> Option<&'static str> {
        Some(match self.kind {
            TokenErrorKind::Missing => "token_missing",
            TokenErrorKind::Ambiguous => "ambiguous_credentials",
            TokenErrorKind::Malformed => "malformed_token",
            TokenErrorKind::Algorithm => "unsupported_algorithm",
            TokenErrorKind::UnknownKey => "unknown_key",
            TokenErrorKind::Signature => "bad_signature",
            TokenErrorKind::Claims => "invalid_claims",
            TokenErrorKind::NotYetValid => "not_yet_valid",
            TokenErrorKind::Expired => "token_expired",
            TokenErrorKind::Revoked => "token_revoked",
            TokenErrorKind::InsufficientScope => "insufficient_scope",
            TokenErrorKind::StoreUnavailable => "store_unavailable",
            TokenErrorKind::Inactive => "token_inactive",
        })
    }

    fn code(&self) -> ErrorCode {
        self.kind.code()
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        self.kind.detail().map(Cow::Borrowed)
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = self.www_authenticate() {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        headers
    }
}

/// A token configuration was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TokenConfigError {
    /// An HMAC secret shorter than the hash output.
    #[error("an {alg} secret must have at least {min} bytes, this one has {len}")]
    WeakSecret {
        /// The algorithm.
        alg: &'static str,
        /// The minimum length.
        min: usize,
        /// The given length.
        len: usize,
    },
    /// An RSA key shorter than 2048 bits.
    #[error("RSA keys must have at least 2048 bits, this one has {bits}")]
    WeakRsaKey {
        /// The key's size.
        bits: usize,
    },
    /// A key whose type does not fit the algorithm it is bound to.
    #[error("a {key} key cannot be used with {alg}")]
    WrongKeyType {
        /// The key type.
        key: &'static str,
        /// The algorithm.
        alg: &'static str,
    },
    /// Key material that does not parse.
    #[error("the {what} key cannot be read")]
    InvalidKey {
        /// Which key.
        what: &'static str,
    },
    /// Two keys with the same `kid`, or several keys not all named.
    #[error("{0}")]
    KeySet(&'static str),
    /// A `kid`, realm, issuer or audience that is empty, too long or holds
    /// characters it must not.
    #[error("invalid {0}")]
    InvalidValue(&'static str),
    /// No algorithm allowed, or a key bound to an algorithm not allowed.
    #[error("{0}")]
    Algorithms(&'static str),
    /// A JWKS that could not be fetched or read at start-up.
    #[error("the JWKS cannot be loaded: {0}")]
    Jwks(String),
    /// A required scope that is not a scope token, named.
    #[error(transparent)]
    Scope(#[from] ScopeError),
}
