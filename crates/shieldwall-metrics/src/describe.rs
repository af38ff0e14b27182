//! Help text and units of every family, for exporters that show them.

use metrics::{Unit, describe_counter, describe_histogram};
use shieldwall_core::telemetry::{
    AUDIT_EVENTS_TOTAL, AUTH_FAILURES_TOTAL, BREAKER_TRANSITIONS_TOTAL, CACHE_LOOKUPS_TOTAL,
    JWKS_REFRESHES_TOTAL, RATE_LIMIT_DECISIONS_TOTAL, REQUEST_DURATION_SECONDS, REQUESTS_TOTAL,
    STORE_ERRORS_TOTAL,
};

/// Tells the installed recorder what each family means (Prometheus `# HELP`
/// lines). Call it once, after installing the recorder; counting works
/// without it.
pub fn describe() {
    describe_counter!(
        REQUESTS_TOTAL,
        Unit::Count,
        "Requests answered, by status code."
    );
    describe_histogram!(
        REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Time from a request's arrival to its answer's head leaving the stack."
    );
    describe_counter!(
        RATE_LIMIT_DECISIONS_TOTAL,
        Unit::Count,
        "Rate-limit decisions, by policy and outcome (allowed, limited, store_error)."
    );
    describe_counter!(
        AUTH_FAILURES_TOTAL,
        Unit::Count,
        "Authentication and authorization refusals, by public error code."
    );
    describe_counter!(
        AUDIT_EVENTS_TOTAL,
        Unit::Count,
        "Audit events, by what became of them (written, dropped, lost); each counted once."
    );
    describe_counter!(
        STORE_ERRORS_TOTAL,
        Unit::Count,
        "Store failures on the request path, by store."
    );
    describe_counter!(
        BREAKER_TRANSITIONS_TOTAL,
        Unit::Count,
        "Circuit-breaker state changes, by the state entered."
    );
    describe_counter!(
        JWKS_REFRESHES_TOTAL,
        Unit::Count,
        "JWKS fetches, by outcome."
    );
    describe_counter!(
        CACHE_LOOKUPS_TOTAL,
        Unit::Count,
        "Cache lookups (verified tokens, API key records), by cache and result."
    );
}
