#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

pub use shieldwall_core::*;
pub use shieldwall_errors::{ApiError, ErrorCode, FieldError, Problem, Rejection, http};

/// The error vocabulary (`shieldwall-errors`).
pub mod errors {
    pub use shieldwall_errors::*;
}

/// The axum 0.8 / tower adapter (`shieldwall-axum`, feature `axum`).
#[cfg(feature = "axum")]
pub mod axum {
    pub use shieldwall_axum::*;
}

/// The actix-web 4 adapter (`shieldwall-actix`, feature `actix`).
#[cfg(feature = "actix")]
pub mod actix {
    pub use shieldwall_actix::*;
}

/// Shared Redis plumbing (`shieldwall-redis`, feature `redis`).
#[cfg(feature = "redis")]
pub mod redis {
    pub use shieldwall_redis::*;
}

/// API keys (`shieldwall-keys`, feature `keys`).
#[cfg(feature = "keys")]
pub mod keys {
    pub use shieldwall_keys::*;
}

/// Validation (`shieldwall-validate`, feature `validate`).
#[cfg(feature = "validate")]
pub mod validate {
    pub use shieldwall_validate::*;
}

/// Sanitizing (`shieldwall-sanitize`, feature `sanitize`).
#[cfg(feature = "sanitize")]
pub mod sanitize {
    pub use shieldwall_sanitize::*;
}

/// Rate limits (`shieldwall-ratelimit`, feature `ratelimit`).
#[cfg(feature = "ratelimit")]
pub mod ratelimit {
    pub use shieldwall_ratelimit::*;
}

/// API versioning (`shieldwall-versioning`, feature `versioning`).
#[cfg(feature = "versioning")]
pub mod versioning {
    pub use shieldwall_versioning::*;
}

/// CORS (`shieldwall-cors`, feature `cors`).
#[cfg(feature = "cors")]
pub mod cors {
    pub use shieldwall_cors::*;
}

/// Security headers and HTTPS enforcement (`shieldwall-headers`, feature `headers`).
#[cfg(feature = "headers")]
pub mod headers {
    pub use shieldwall_headers::*;
}

/// JWT bearer tokens (`shieldwall-tokens`, feature `tokens`).
/// RFC 9421 request signatures (`shieldwall-signing`, feature `signing`).
#[cfg(feature = "signing")]
pub mod signing {
    pub use shieldwall_signing::*;
}

/// Audit events (`shieldwall-audit`, feature `audit`).
#[cfg(feature = "audit")]
pub mod audit {
    pub use shieldwall_audit::*;
}

/// JWT bearer tokens (`shieldwall-tokens`, feature `tokens`).
#[cfg(feature = "tokens")]
pub mod tokens {
    pub use shieldwall_tokens::*;
}

/// Metrics of every decision through the `metrics` facade (`shieldwall-metrics`, feature `metrics`).
#[cfg(feature = "metrics")]
pub mod metrics {
    pub use shieldwall_metrics::*;
}

/// OpenAPI 3.1 documentation of what the layers do (`shieldwall-openapi`, feature `openapi`).
#[cfg(feature = "openapi")]
pub mod openapi {
    pub use shieldwall_openapi::*;
}

/// The guard of a route that takes an API key or a bearer token, exactly one
/// (features `keys` and `tokens`): `ApiKeyGuard::new(keys).or(BearerGuard::new(verifier))`,
/// with [`CredentialGuard`] in scope. [`OneOf`] tells its answers; `.or_anonymous()` makes the
/// route optional ([`OrAnonymous`]).
#[cfg(all(feature = "keys", feature = "tokens"))]
pub type ApiKeyOrBearer<S, R> =
    OneOf<shieldwall_keys::ApiKeyGuard<S>, shieldwall_tokens::BearerGuard<R>>;

// The workspace README's framework examples are compiled as doctests here.
#[cfg(all(doctest, feature = "axum", feature = "actix"))]
#[doc = include_str!("../../../README.md")]
mod workspace_readme {}
