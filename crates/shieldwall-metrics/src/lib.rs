#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod describe;
mod observer;
#[cfg(feature = "prometheus")]
mod prometheus;

pub use describe::describe;
pub use observer::RequestMetrics;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub use prometheus::{CONTENT_TYPE, Prometheus, PrometheusError};
/// The metric names (a contract: dashboards and alerts use them).
pub use shieldwall_core::telemetry::{
    AUTH_FAILURES_TOTAL, BREAKER_TRANSITIONS_TOTAL, CACHE_LOOKUPS_TOTAL, JWKS_REFRESHES_TOTAL,
    RATE_LIMIT_DECISIONS_TOTAL, REQUEST_DURATION_SECONDS, REQUESTS_TOTAL, STORE_ERRORS_TOTAL,
};

/// The `metrics` facade this crate counts through, re-exported so that a
/// program installs its recorder against the same version.
pub use metrics;
