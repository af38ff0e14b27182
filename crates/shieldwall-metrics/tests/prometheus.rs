//! The Prometheus recorder renders what the request observer and the core
//! counters count, under the contract's names.
#![cfg(feature = "prometheus")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::Duration;

use shieldwall_core::telemetry::{
    BreakerState, CacheKind, RateLimitCounters, RateOutcome, StoreKind,
};
use shieldwall_core::{ErrorCode, RequestObserver, RequestSummary, telemetry};
use shieldwall_metrics::{Prometheus, RequestMetrics};

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[test]
fn every_family_renders_with_fixed_labels() {
    let prometheus = Prometheus::install().unwrap();
    // One recorder per process.
    assert!(Prometheus::install().is_err());

    let observer = RequestMetrics::new();
    let mut ok = RequestSummary::new("r1", "GET", 200);
    ok.latency = Duration::from_millis(3);
    observer.observe(&ok);
    observer.observe(&ok);
    let refused = RequestSummary::new("r2", "GET", 401);
    observer.observe(&refused);

    let limits = RateLimitCounters::new("public");
    limits.count(RateOutcome::Allowed);
    limits.count(RateOutcome::Limited);
    telemetry::store_error(StoreKind::Revocations);
    telemetry::breaker_transition(BreakerState::Open);
    telemetry::jwks_refresh(true);
    telemetry::cache_lookup(CacheKind::Tokens, false);
    telemetry::auth_failure(ErrorCode::InvalidToken);

    let text = prometheus.render();
    assert_eq!(
        value(&text, "shieldwall_requests_total{status=\"200\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "shieldwall_requests_total{status=\"401\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "shieldwall_request_duration_seconds_count"),
        Some(3.0)
    );
    // A true histogram: the 3 ms requests are in the 5 ms bucket, not the 2.5 ms one.
    assert_eq!(
        value(
            &text,
            "shieldwall_request_duration_seconds_bucket{le=\"0.005\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &text,
            "shieldwall_request_duration_seconds_bucket{le=\"0.0025\"}"
        ),
        Some(1.0),
        "the 0 ms request only"
    );
    assert_eq!(
        value(
            &text,
            "shieldwall_rate_limit_decisions_total{policy=\"public\",outcome=\"limited\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "shieldwall_store_errors_total{store=\"revocations\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "shieldwall_breaker_transitions_total{state=\"open\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "shieldwall_jwks_refreshes_total{outcome=\"ok\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "shieldwall_cache_lookups_total{cache=\"tokens\",result=\"miss\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "shieldwall_auth_failures_total{code=\"INVALID_TOKEN\"}"
        ),
        Some(1.0)
    );
    assert!(text.contains("# HELP shieldwall_requests_total"), "{text}");
    prometheus.upkeep();
}
