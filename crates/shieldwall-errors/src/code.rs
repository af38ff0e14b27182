//! The stable machine codes every rejection carries.

use http::StatusCode;

use crate::CustomCode;

/// A stable, machine-readable error code.
///
/// Each code has one HTTP status and one short title; both are fixed so that
/// clients can rely on them. The string form ([`ErrorCode::as_str`]) is the
/// `code` member of every problem+json body and never changes once released.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: a field broke a rule or has the wrong JSON type.
    ValidationFailed,
    /// 400: the body is not valid JSON or not an object, or the credentials are ambiguous.
    MalformedRequest,
    /// 401: no API key was sent.
    ApiKeyRequired,
    /// 401: the API key is wrong, revoked, expired or malformed.
    InvalidApiKey,
    /// 401: no bearer token was sent.
    BearerTokenRequired,
    /// 401: the bearer token failed verification.
    InvalidToken,
    /// 401: the bearer token verified but has expired.
    TokenExpired,
    /// 401: the bearer token verified but was revoked.
    TokenRevoked,
    /// 401: a login with a wrong email or password.
    InvalidCredentials,
    /// 401: the route requires a request signature and none was sent.
    SignatureRequired,
    /// 401: the request signature failed verification.
    InvalidSignature,
    /// 403: the principal lacks a scope the route requires.
    InsufficientScope,
    /// 403: the request did not arrive over HTTPS.
    HttpsRequired,
    /// 403: a CORS request from an origin, or asking for a method or header, that is not allowed.
    CorsForbidden,
    /// 404: no such resource.
    NotFound,
    /// 404: the path names an API version this service does not serve.
    UnsupportedVersion,
    /// 405: the path exists but not for this method.
    MethodNotAllowed,
    /// 413: the body is larger than the route accepts.
    PayloadTooLarge,
    /// 415: the route takes JSON and the request is not `application/json`.
    UnsupportedMediaType,
    /// 429: a rate limit was reached.
    RateLimited,
    /// 500: anything unexpected.
    InternalError,
    /// 503: a store needed for a fail-closed decision is unavailable.
    ServiceUnavailable,
    /// An application's own code, status and title ([`CustomCode`]).
    Custom(CustomCode),
}

impl ErrorCode {
    /// Every code of shieldwall's own, in the order of the table in the
    /// documentation (applications add theirs with [`CustomCode`]).
    pub const ALL: [Self; 22] = [
        Self::ValidationFailed,
        Self::MalformedRequest,
        Self::ApiKeyRequired,
        Self::InvalidApiKey,
        Self::BearerTokenRequired,
        Self::InvalidToken,
        Self::TokenExpired,
        Self::TokenRevoked,
        Self::InvalidCredentials,
        Self::SignatureRequired,
        Self::InvalidSignature,
        Self::InsufficientScope,
        Self::HttpsRequired,
        Self::CorsForbidden,
        Self::NotFound,
        Self::UnsupportedVersion,
        Self::MethodNotAllowed,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::InternalError,
        Self::ServiceUnavailable,
    ];

    /// The stable `SCREAMING_SNAKE_CASE` string, as sent in the `code` member.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed => "VALIDATION_FAILED",
            Self::MalformedRequest => "MALFORMED_REQUEST",
            Self::ApiKeyRequired => "API_KEY_REQUIRED",
            Self::InvalidApiKey => "INVALID_API_KEY",
            Self::BearerTokenRequired => "BEARER_TOKEN_REQUIRED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::TokenRevoked => "TOKEN_REVOKED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::SignatureRequired => "SIGNATURE_REQUIRED",
            Self::InvalidSignature => "INVALID_SIGNATURE",
            Self::InsufficientScope => "INSUFFICIENT_SCOPE",
            Self::HttpsRequired => "HTTPS_REQUIRED",
            Self::CorsForbidden => "CORS_FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::UnsupportedVersion => "UNSUPPORTED_VERSION",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::RateLimited => "RATE_LIMITED",
            Self::InternalError => "INTERNAL_ERROR",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::Custom(custom) => custom.as_str(),
        }
    }

    /// The HTTP status every response with this code has.
    #[must_use]
    pub const fn status(self) -> StatusCode {
        match self {
            Self::ValidationFailed | Self::MalformedRequest => StatusCode::BAD_REQUEST,
            Self::ApiKeyRequired
            | Self::InvalidApiKey
            | Self::BearerTokenRequired
            | Self::InvalidToken
            | Self::TokenExpired
            | Self::TokenRevoked
            | Self::InvalidCredentials
            | Self::SignatureRequired
            | Self::InvalidSignature => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::HttpsRequired | Self::CorsForbidden => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound | Self::UnsupportedVersion => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Custom(custom) => custom.status(),
        }
    }

    /// A short, fixed, human-readable summary (the problem's `title`).
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::ValidationFailed => "Validation failed",
            Self::MalformedRequest => "Malformed request",
            Self::ApiKeyRequired => "API key required",
            Self::InvalidApiKey => "Invalid API key",
            Self::BearerTokenRequired => "Bearer token required",
            Self::InvalidToken => "Invalid token",
            Self::TokenExpired => "Token expired",
            Self::TokenRevoked => "Token revoked",
            Self::InvalidCredentials => "Invalid credentials",
            Self::SignatureRequired => "Signature required",
            Self::InvalidSignature => "Invalid signature",
            Self::InsufficientScope => "Insufficient scope",
            Self::HttpsRequired => "HTTPS required",
            Self::CorsForbidden => "CORS request forbidden",
            Self::NotFound => "Not found",
            Self::UnsupportedVersion => "Unsupported API version",
            Self::MethodNotAllowed => "Method not allowed",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::RateLimited => "Too many requests",
            Self::InternalError => "Internal server error",
            Self::ServiceUnavailable => "Service unavailable",
            Self::Custom(custom) => custom.title(),
        }
    }

    /// Looks one of shieldwall's own codes up by its string form.
    #[must_use]
    pub fn from_str_opt(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The code a bare framework error response of this status stands for, when
    /// shieldwall replaces such a body with problem+json.
    #[must_use]
    pub fn for_status(status: StatusCode) -> Option<Self> {
        Some(match status.as_u16() {
            400 => Self::MalformedRequest,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            // 422 is how frameworks report a body of the wrong shape; it becomes 400.
            422 => Self::ValidationFailed,
            429 => Self::RateLimited,
            503 => Self::ServiceUnavailable,
            500..=599 => Self::InternalError,
            _ => return None,
        })
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_screaming_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{code}"
            );
            assert_eq!(ErrorCode::from_str_opt(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_str_opt("NOPE"), None);
    }

    #[test]
    fn status_of_every_code_matches_the_contract() {
        let table: &[(ErrorCode, u16)] = &[
            (ErrorCode::ValidationFailed, 400),
            (ErrorCode::MalformedRequest, 400),
            (ErrorCode::ApiKeyRequired, 401),
            (ErrorCode::InvalidApiKey, 401),
            (ErrorCode::BearerTokenRequired, 401),
            (ErrorCode::InvalidToken, 401),
            (ErrorCode::TokenExpired, 401),
            (ErrorCode::TokenRevoked, 401),
            (ErrorCode::InvalidCredentials, 401),
            (ErrorCode::SignatureRequired, 401),
            (ErrorCode::InvalidSignature, 401),
            (ErrorCode::InsufficientScope, 403),
            (ErrorCode::HttpsRequired, 403),
            (ErrorCode::CorsForbidden, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::UnsupportedVersion, 404),
            (ErrorCode::MethodNotAllowed, 405),
            (ErrorCode::PayloadTooLarge, 413),
            (ErrorCode::UnsupportedMediaType, 415),
            (ErrorCode::RateLimited, 429),
            (ErrorCode::InternalError, 500),
            (ErrorCode::ServiceUnavailable, 503),
        ];
        assert_eq!(table.len(), ErrorCode::ALL.len());
        for (code, status) in table {
            assert_eq!(code.status().as_u16(), *status, "{code}");
        }
    }

    #[test]
    fn bare_statuses_map_to_codes() {
        assert_eq!(
            ErrorCode::for_status(StatusCode::NOT_FOUND),
            Some(ErrorCode::NotFound)
        );
        assert_eq!(
            ErrorCode::for_status(StatusCode::BAD_GATEWAY),
            Some(ErrorCode::InternalError)
        );
        assert_eq!(
            ErrorCode::for_status(StatusCode::UNPROCESSABLE_ENTITY),
            Some(ErrorCode::ValidationFailed)
        );
        assert_eq!(ErrorCode::for_status(StatusCode::CONFLICT), None);
        assert_eq!(ErrorCode::for_status(StatusCode::OK), None);
    }
}
