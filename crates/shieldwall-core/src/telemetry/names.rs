//! The metric names: a contract (DEMO_API.md lists the first five).

/// Requests answered, by `status` (the numeric status code).
pub const REQUESTS_TOTAL: &str = "shieldwall_requests_total";
/// How long requests took, in seconds, up to the head of the answer (histogram).
pub const REQUEST_DURATION_SECONDS: &str = "shieldwall_request_duration_seconds";
/// Rate-limit decisions, by `policy` and `outcome` (`allowed`, `limited`, `store_error`).
pub const RATE_LIMIT_DECISIONS_TOTAL: &str = "shieldwall_rate_limit_decisions_total";
/// Refusals of authentication or authorization, by `code` (`INVALID_TOKEN`, ...).
pub const AUTH_FAILURES_TOTAL: &str = "shieldwall_auth_failures_total";
/// Store failures on the request path, by `store` (`rate_limit`, `keys`,
/// `revocations`, `nonces`, `signing_keys`, `audit`).
pub const STORE_ERRORS_TOTAL: &str = "shieldwall_store_errors_total";
/// Circuit-breaker state changes, by the `state` entered (`open`, `half_open`, `closed`).
pub const BREAKER_TRANSITIONS_TOTAL: &str = "shieldwall_breaker_transitions_total";
/// JWKS fetches, by `outcome` (`ok`, `error`).
pub const JWKS_REFRESHES_TOTAL: &str = "shieldwall_jwks_refreshes_total";
/// Cache lookups, by `cache` (`tokens`, `keys`) and `result` (`hit`, `miss`).
pub const CACHE_LOOKUPS_TOTAL: &str = "shieldwall_cache_lookups_total";
/// Audit events, by what became of them (`written` by the sink, `dropped`
/// when the queue was full, `lost` when the sink failed): every event
/// observed is counted exactly once, eventually.
pub const AUDIT_EVENTS_TOTAL: &str = "shieldwall_audit_events_total";
