//! What shieldwall tells the outside about its decisions: spans for
//! `tracing` and counters for the `metrics` facade.
//!
//! Each decision is reported once, where it is made (the rate limiter
//! counts its decisions, the key manager its cache, the Redis breaker its
//! state changes), so both adapters report the same things. Nothing here
//! costs more than a relaxed atomic load when no `tracing` subscriber
//! listens and no `metrics` recorder is installed.
//!
//! Every label value is a fixed word chosen by the code or the
//! configuration (a policy name, an error code, a status): never a client's
//! key, token, address or path, so the number of series is bounded by
//! construction. `shieldwall-metrics` documents the names and exports them.

mod count;
mod names;
mod span;

pub use count::{
    AuditOutcome, BreakerState, CacheKind, RateLimitCounters, RateOutcome, RequestCounters,
    StoreKind, audit_events, auth_failure, breaker_transition, cache_lookup, is_auth_failure,
    jwks_refresh, store_error,
};
pub use names::{
    AUDIT_EVENTS_TOTAL, AUTH_FAILURES_TOTAL, BREAKER_TRANSITIONS_TOTAL, CACHE_LOOKUPS_TOTAL,
    JWKS_REFRESHES_TOTAL, RATE_LIMIT_DECISIONS_TOTAL, REQUEST_DURATION_SECONDS, REQUESTS_TOTAL,
    STORE_ERRORS_TOTAL,
};
pub use span::{GuardInfo, GuardSpan, record_answer, request_span};
