//! Counters and histograms through the `metrics` facade.
//!
//! The keys are built once (statics, or once per rate limiter). What is
//! counted on every request (requests by status, latency, rate-limit
//! decisions, cache lookups) keeps the recorder's handle after its first
//! count, so that counting is one atomic add; rarer counts (failures,
//! breaker changes, refreshes) look their key up in the recorder each time.
//! A handle is taken from the recorder installed at the first count: a
//! recorder installed after shieldwall counted for the first time is not
//! told about those series (install it at start-up, as `metrics` asks).

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Counter, Histogram, Key, Label, Level, Metadata};
use shieldwall_errors::ErrorCode;

use super::names::{
    AUDIT_EVENTS_TOTAL, AUTH_FAILURES_TOTAL, BREAKER_TRANSITIONS_TOTAL, CACHE_LOOKUPS_TOTAL,
    JWKS_REFRESHES_TOTAL, RATE_LIMIT_DECISIONS_TOTAL, REQUEST_DURATION_SECONDS, REQUESTS_TOTAL,
    STORE_ERRORS_TOTAL,
};

/// Where the counts come from, for recorders that filter by target.
static METADATA: Metadata<'static> = Metadata::new("shieldwall", Level::INFO, None);

/// A key with fixed labels, built at compile time.
macro_rules! static_key {
    ($name:expr $(, $label:literal => $value:literal)*) => {{
        static LABELS: &[Label] = &[$(Label::from_static_parts($label, $value)),*];
        static KEY: Key = Key::from_static_parts($name, LABELS);
        &KEY
    }};
}

fn add(key: &Key) {
    metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(1));
}

/// A counter whose recorder handle is kept after its first count.
#[derive(Debug)]
pub(crate) struct HeldCounter {
    key: Key,
    handle: OnceLock<Counter>,
}

impl HeldCounter {
    pub(crate) const fn new(key: Key) -> Self {
        Self {
            key,
            handle: OnceLock::new(),
        }
    }

    pub(crate) fn increment(&self) {
        self.handle
            .get_or_init(|| {
                metrics::with_recorder(|recorder| recorder.register_counter(&self.key, &METADATA))
            })
            .increment(1);
    }
}

impl Clone for HeldCounter {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            handle: self.handle.clone(),
        }
    }
}

/// A counter with fixed labels, built at compile time, its handle kept.
macro_rules! held_counter {
    ($name:expr $(, $label:literal => $value:literal)*) => {{
        static LABELS: &[Label] = &[$(Label::from_static_parts($label, $value)),*];
        static COUNTER: HeldCounter = HeldCounter::new(Key::from_static_parts($name, LABELS));
        &COUNTER
    }};
}

/// A store on the request path.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// A rate limiter's counts.
    RateLimit,
    /// API keys.
    Keys,
    /// Revoked token ids.
    Revocations,
    /// Request-signing nonces.
    Nonces,
    /// Request-signing keys.
    SigningKeys,
    /// The audit sink.
    Audit,
    /// A token introspection endpoint (RFC 7662).
    Introspection,
}

/// Counts a failure of `store` on the request path.
pub fn store_error(store: StoreKind) {
    add(match store {
        StoreKind::RateLimit => static_key!(STORE_ERRORS_TOTAL, "store" => "rate_limit"),
        StoreKind::Keys => static_key!(STORE_ERRORS_TOTAL, "store" => "keys"),
        StoreKind::Revocations => static_key!(STORE_ERRORS_TOTAL, "store" => "revocations"),
        StoreKind::Nonces => static_key!(STORE_ERRORS_TOTAL, "store" => "nonces"),
        StoreKind::SigningKeys => static_key!(STORE_ERRORS_TOTAL, "store" => "signing_keys"),
        StoreKind::Audit => static_key!(STORE_ERRORS_TOTAL, "store" => "audit"),
        StoreKind::Introspection => static_key!(STORE_ERRORS_TOTAL, "store" => "introspection"),
    });
}

/// What became of audit events.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditOutcome {
    /// The sink wrote them.
    Written,
    /// The queue was full (or the writer had stopped): never queued.
    Dropped,
    /// The sink failed to write them, retries included.
    Lost,
}

/// Counts `count` audit events that ended as `outcome`.
pub fn audit_events(outcome: AuditOutcome, count: u64) {
    let key = match outcome {
        AuditOutcome::Written => static_key!(AUDIT_EVENTS_TOTAL, "outcome" => "written"),
        AuditOutcome::Dropped => static_key!(AUDIT_EVENTS_TOTAL, "outcome" => "dropped"),
        AuditOutcome::Lost => static_key!(AUDIT_EVENTS_TOTAL, "outcome" => "lost"),
    };
    metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(count));
}

/// Where a circuit breaker stands (`shieldwall-redis`'s, whose changes
/// [`breaker_transition`] counts).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go to the store.
    Closed,
    /// The store was unreachable or too slow for the threshold's number of
    /// calls in a row: every call fails at once, with no round trip, until
    /// the cool-down ends.
    Open,
    /// The cool-down has ended: the next call goes to the store as a probe
    /// (an answer closes the breaker, a failure opens it again); the others
    /// fail at once while it runs.
    HalfOpen,
}

/// Counts a breaker entering `state`.
pub fn breaker_transition(state: BreakerState) {
    add(match state {
        BreakerState::Closed => static_key!(BREAKER_TRANSITIONS_TOTAL, "state" => "closed"),
        BreakerState::Open => static_key!(BREAKER_TRANSITIONS_TOTAL, "state" => "open"),
        BreakerState::HalfOpen => static_key!(BREAKER_TRANSITIONS_TOTAL, "state" => "half_open"),
    });
}

/// Counts a JWKS fetch.
pub fn jwks_refresh(ok: bool) {
    add(if ok {
        static_key!(JWKS_REFRESHES_TOTAL, "outcome" => "ok")
    } else {
        static_key!(JWKS_REFRESHES_TOTAL, "outcome" => "error")
    });
}

/// A cache in front of a store or a verification.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheKind {
    /// Verified tokens.
    Tokens,
    /// API key records.
    Keys,
}

/// Counts a lookup in `cache`.
pub fn cache_lookup(cache: CacheKind, hit: bool) {
    match (cache, hit) {
        (CacheKind::Tokens, true) => {
            held_counter!(CACHE_LOOKUPS_TOTAL, "cache" => "tokens", "result" => "hit")
        }
        (CacheKind::Tokens, false) => {
            held_counter!(CACHE_LOOKUPS_TOTAL, "cache" => "tokens", "result" => "miss")
        }
        (CacheKind::Keys, true) => {
            held_counter!(CACHE_LOOKUPS_TOTAL, "cache" => "keys", "result" => "hit")
        }
        (CacheKind::Keys, false) => {
            held_counter!(CACHE_LOOKUPS_TOTAL, "cache" => "keys", "result" => "miss")
        }
    }
    .increment();
}

/// Whether `code` refuses a request for its credentials or their rights:
/// what [`auth_failure`] counts.
#[must_use]
pub fn is_auth_failure(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::ApiKeyRequired
            | ErrorCode::InvalidApiKey
            | ErrorCode::BearerTokenRequired
            | ErrorCode::InvalidToken
            | ErrorCode::TokenExpired
            | ErrorCode::TokenRevoked
            | ErrorCode::InvalidCredentials
            | ErrorCode::SignatureRequired
            | ErrorCode::InvalidSignature
            | ErrorCode::InsufficientScope
    )
}

/// Counts an authentication or authorization refusal by its public code
/// (an application's custom codes count under their own names, which are
/// compile-time constants).
pub fn auth_failure(code: ErrorCode) {
    let key = Key::from_parts(
        AUTH_FAILURES_TOTAL,
        vec![Label::from_static_parts("code", code.as_str())],
    );
    add(&key);
}

/// The statuses whose counters are kept (every other one is looked up).
const HELD_STATUSES: std::ops::RangeInclusive<u16> = 100..=599;

/// Counts finished requests (`shieldwall_requests_total{status}`) and
/// their latency (`shieldwall_request_duration_seconds`), with the handles
/// kept: one atomic add and one histogram sample per request.
#[derive(Debug)]
pub struct RequestCounters {
    by_status: Box<[OnceLock<Counter>]>,
    latency: OnceLock<Histogram>,
}

impl Default for RequestCounters {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestCounters {
    /// The counters (no handle is taken before the first request).
    #[must_use]
    pub fn new() -> Self {
        Self {
            by_status: HELD_STATUSES.map(|_| OnceLock::new()).collect(),
            latency: OnceLock::new(),
        }
    }

    /// Counts a finished request and its latency.
    pub fn finished(&self, status: u16, latency: Duration) {
        let register = || {
            // A status is one of at most 900 numbers the server chose.
            let key = Key::from_parts(
                REQUESTS_TOTAL,
                vec![Label::new("status", status.to_string())],
            );
            metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA))
        };
        let held = usize::from(status)
            .checked_sub(usize::from(*HELD_STATUSES.start()))
            .and_then(|index| self.by_status.get(index));
        match held {
            Some(slot) => slot.get_or_init(register).increment(1),
            None => register().increment(1),
        }
        self.latency
            .get_or_init(|| {
                metrics::with_recorder(|recorder| {
                    recorder.register_histogram(static_key!(REQUEST_DURATION_SECONDS), &METADATA)
                })
            })
            .record(latency.as_secs_f64());
    }
}

/// How a rate-limit decision came out. Each decision is counted once: when
/// the store failed it is `StoreError`, whatever the policy's failure mode
/// then did (503, let through, or counted in memory: those requests are
/// in `shieldwall_requests_total` by the status they got).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateOutcome {
    /// The store counted it under the quota.
    Allowed,
    /// The store counted it over the quota: 429.
    Limited,
    /// The store failed; the failure mode decided.
    StoreError,
}

/// The counters of one rate-limit policy, built when the limiter is.
#[derive(Clone, Debug)]
pub struct RateLimitCounters {
    allowed: HeldCounter,
    limited: HeldCounter,
    store_error: HeldCounter,
}

impl RateLimitCounters {
    /// The counters of the policy named `policy`.
    #[must_use]
    pub fn new(policy: &str) -> Self {
        let key = |outcome: &'static str| {
            HeldCounter::new(Key::from_parts(
                RATE_LIMIT_DECISIONS_TOTAL,
                vec![
                    Label::new("policy", policy.to_owned()),
                    Label::from_static_parts("outcome", outcome),
                ],
            ))
        };
        Self {
            allowed: key("allowed"),
            limited: key("limited"),
            store_error: key("store_error"),
        }
    }

    /// Counts one decision.
    pub fn count(&self, outcome: RateOutcome) {
        match outcome {
            RateOutcome::Allowed => &self.allowed,
            RateOutcome::Limited => &self.limited,
            RateOutcome::StoreError => &self.store_error,
        }
        .increment();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_are_the_credential_refusals() {
        assert!(is_auth_failure(ErrorCode::InvalidToken));
        assert!(is_auth_failure(ErrorCode::InsufficientScope));
        assert!(!is_auth_failure(ErrorCode::RateLimited));
        assert!(!is_auth_failure(ErrorCode::NotFound));
        assert!(!is_auth_failure(ErrorCode::ServiceUnavailable));
    }

    #[test]
    fn counting_without_a_recorder_does_nothing_and_never_panics() {
        store_error(StoreKind::Audit);
        audit_events(AuditOutcome::Lost, 3);
        breaker_transition(BreakerState::Open);
        jwks_refresh(false);
        cache_lookup(CacheKind::Keys, true);
        auth_failure(ErrorCode::InvalidApiKey);
        RequestCounters::new().finished(1000, Duration::from_millis(1));
        RequestCounters::new().finished(200, Duration::from_millis(1));
        RateLimitCounters::new("public").count(RateOutcome::Limited);
    }
}
