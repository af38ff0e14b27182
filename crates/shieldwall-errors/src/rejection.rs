//! The one trait through which every concern's rejection becomes an `ApiError`.

use std::borrow::Cow;
use std::error::Error as StdError;

use http::HeaderMap;

use crate::{ApiError, ErrorCode, FieldError};

/// A request-time rejection of a concern crate (a bad key, an expired token,
/// a rate limit).
///
/// Implementors are small error types with a stable code. Their `Display`
/// must never contain a secret or a submitted value: it is logged (as the
/// internal source of the [`ApiError`]) though never sent.
///
/// ```
/// use shieldwall_errors::{ApiError, ErrorCode, Rejection};
///
/// #[derive(Debug)]
/// struct KeyMissing;
/// impl std::fmt::Display for KeyMissing {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("no X-API-Key header")
///     }
/// }
/// impl std::error::Error for KeyMissing {}
/// impl Rejection for KeyMissing {
///     fn code(&self) -> ErrorCode {
///         ErrorCode::ApiKeyRequired
///     }
/// }
///
/// let err: ApiError = KeyMissing.into_api_error();
/// assert_eq!(err.status(), 401);
/// ```
pub trait Rejection: StdError + Send + Sync + Sized + 'static {
    /// The stable code (and so the status).
    fn code(&self) -> ErrorCode;

    /// A safe detail for the client.
    fn detail(&self) -> Option<Cow<'static, str>> {
        None
    }

    /// Extra response headers.
    fn headers(&self) -> HeaderMap {
        HeaderMap::new()
    }

    /// Field errors, for validation rejections.
    fn field_errors(&self) -> Vec<FieldError> {
        Vec::new()
    }

    /// The cause in one fixed lowercase word for the audit log, where one
    /// public code stands for several causes (see [`ApiError::with_reason`]).
    /// Never sent to the client.
    fn audit_reason(&self) -> Option<&'static str> {
        None
    }

    /// Converts into an [`ApiError`] whose internal source is `self`.
    fn into_api_error(self) -> ApiError {
        let mut err = ApiError::new(self.code())
            .with_headers(self.headers())
            .with_field_errors(self.field_errors());
        if let Some(detail) = self.detail() {
            err = err.with_detail(detail);
        }
        if let Some(reason) = self.audit_reason() {
            err = err.with_reason(reason);
        }
        err.with_source(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("rate limit reached for policy {policy}")]
    struct Limited {
        policy: &'static str,
    }

    impl Rejection for Limited {
        fn code(&self) -> ErrorCode {
            ErrorCode::RateLimited
        }
        fn detail(&self) -> Option<Cow<'static, str>> {
            Some("slow down".into())
        }
        fn headers(&self) -> HeaderMap {
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("7"),
            );
            headers
        }
    }

    #[test]
    fn a_rejection_converts_with_code_detail_headers_and_source() {
        let err = Limited { policy: "public" }.into_api_error();
        assert_eq!(err.code(), ErrorCode::RateLimited);
        assert_eq!(err.headers()[http::header::RETRY_AFTER], "7");
        assert_eq!(err.problem().detail.as_deref(), Some("slow down"));
        assert_eq!(
            err.internal_source().unwrap().to_string(),
            "rate limit reached for policy public"
        );
    }
}
