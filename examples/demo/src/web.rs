//! The browser-facing policies of DEMO_API.md: CORS and the security headers.

use std::time::Duration;

use shieldwall_cors::{CorsConfigError, CorsPolicy};
use shieldwall_headers::{HeadersConfigError, SecurityHeaders};
use shieldwall_versioning::{VersionConfigError, VersionPolicy};

use crate::DemoConfig;

/// CORS as DEMO_API.md has it: the configured origins exactly, credentials,
/// the five methods, the credential and signature request headers, the
/// paging, request-id and rate-limit answer headers, a day of max age.
pub(crate) fn cors(config: &DemoConfig) -> Result<CorsPolicy, CorsConfigError> {
    CorsPolicy::builder()
        .allow_origins(config.cors_origins.iter().cloned())
        .allow_methods(["GET", "POST", "PUT", "DELETE", "PATCH"])
        .allow_headers([
            "Content-Type",
            "Authorization",
            "X-API-Key",
            "Signature",
            "Signature-Input",
            "Content-Digest",
        ])
        .expose_headers([
            "X-Total-Count",
            "X-Page-Count",
            "X-Request-Id",
            "RateLimit",
            "RateLimit-Policy",
            "Retry-After",
        ])
        .allow_credentials()
        .max_age(Duration::from_secs(86_400))
        .build()
}

/// The JSON-API headers (`Cache-Control: no-store` under `/api`, HSTS over
/// HTTPS) and, with `SHIELDWALL_REQUIRE_HTTPS=true`, 403 over plain HTTP.
pub(crate) fn security_headers(config: &DemoConfig) -> Result<SecurityHeaders, HeadersConfigError> {
    SecurityHeaders::json_api()
        .no_store_under("/api")
        .https_required(config.require_https)
        .build()
}

/// `/api/v1/...` is current; any other `/api/vN/...` is 404
/// `UNSUPPORTED_VERSION`. A segment that is not spelled `v` + digits is no
/// version: the router answers it (404 `NOT_FOUND`).
pub(crate) fn versions() -> Result<VersionPolicy, VersionConfigError> {
    VersionPolicy::from_path("/api")
        .supports(crate::CURRENT_VERSION)
        .build()
}
