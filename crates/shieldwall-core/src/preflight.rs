//! The one rule for "this is a CORS preflight".

use crate::RequestView;

/// Whether `request` is a CORS preflight (Fetch standard): `OPTIONS` with
/// an `Origin` and an `Access-Control-Request-Method` header.
///
/// The CORS layer answers every preflight before any other guard runs, so
/// that no guard (authentication, rate limits) ever sees one: this is the
/// one place the rule is written.
///
/// ```
/// let preflight = http::Request::options("/api/v1/users")
///     .header("origin", "https://myapp.com")
///     .header("access-control-request-method", "POST")
///     .body(())
///     .unwrap();
/// assert!(shieldwall_core::is_cors_preflight(&preflight));
/// let plain = http::Request::options("/api/v1/users").body(()).unwrap();
/// assert!(!shieldwall_core::is_cors_preflight(&plain));
/// ```
#[must_use]
pub fn is_cors_preflight<R: RequestView + ?Sized>(request: &R) -> bool {
    request.method() == "OPTIONS"
        && request.header_values("origin").next().is_some()
        && request
            .header_values("access-control-request-method")
            .next()
            .is_some()
}
