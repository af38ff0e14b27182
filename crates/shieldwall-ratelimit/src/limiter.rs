//! `RateLimiter`: a policy over a store, as a guard.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use http::HeaderValue;
use shieldwall_core::{
    Clock, Completion, Decision, Grant, Guard, LogThrottle, RequestView, Step, SystemClock,
};
use shieldwall_errors::{ApiError, Rejection};

use crate::error::{RateLimitedKind, header_value};
use crate::headers::{self, ceil_secs};
use crate::{FailureMode, KeyBytes, MemoryStore, Policy, RateLimited, RateStore, Skip, Verdict};

/// Consecutive store failures that open the circuit.
const BREAKER_THRESHOLD: u32 = 5;
/// How long an open circuit keeps the store from being called.
const BREAKER_COOLDOWN: Duration = Duration::from_secs(2);

/// Stops calling a store that keeps failing: after 5 failures in a row, the
/// failure mode answers at once for 2 s, then one call tries the store again.
#[derive(Debug, Default)]
struct Breaker {
    failures: AtomicU32,
    open_until: AtomicU64,
}

impl Breaker {
    fn is_open(&self, now: u64) -> bool {
        now < self.open_until.load(Ordering::Acquire)
    }

    fn success(&self) {
        self.failures.store(0, Ordering::Release);
    }

    fn failure(&self, now: u64) {
        let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if failures >= BREAKER_THRESHOLD {
            let cooldown = u64::try_from(BREAKER_COOLDOWN.as_nanos()).unwrap_or(u64::MAX);
            self.open_until
                .store(now.saturating_add(cooldown), Ordering::Release);
            self.failures
                .store(BREAKER_THRESHOLD - 1, Ordering::Release);
        }
    }
}

/// A policy over a store: `check` decides, and as a [`Guard`] it answers 429
/// `RATE_LIMITED` with `Retry-After`, and adds `RateLimit-Policy` and
/// `RateLimit` to every response of the route it guards. It counts every
/// request it sees: CORS preflights are answered by the CORS layer in front
/// of it (`shieldwall-cors`) and never reach it. Cheap to clone.
pub struct RateLimiter<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for RateLimiter<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> std::fmt::Debug for RateLimiter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

struct Inner<S> {
    policy: Policy,
    policy_header: HeaderValue,
    store: S,
    fallback: Option<MemoryStore>,
    breaker: Breaker,
    store_log: LogThrottle,
    clock: Arc<dyn Clock>,
}

/// What a check found.
#[derive(Debug)]
enum Answer {
    Counted(Verdict, Source),
    Uncounted,
    StoreDown,
}

/// Which store counted a request: its refund goes back there, whatever
/// the breaker says by the time the response is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Store,
    Fallback,
}

impl<S: RateStore> RateLimiter<S> {
    /// A limiter for `policy` on `store`. With [`FailureMode::Memory`], a
    /// memory store of the same policy (100 000 keys) stands by.
    #[must_use]
    pub fn new(policy: Policy, store: S) -> Self {
        let fallback = (policy.on_store_error == FailureMode::Memory)
            .then(|| MemoryStore::new(&policy, 100_000));
        Self {
            inner: Arc::new(Inner {
                policy_header: headers::policy_value(&policy),
                policy,
                store,
                fallback,
                breaker: Breaker::default(),
                store_log: LogThrottle::new(Duration::from_secs(10)),
                clock: Arc::new(SystemClock::new()),
            }),
        }
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    fn now(&self) -> u64 {
        u64::try_from(self.inner.clock.monotonic().as_nanos()).unwrap_or(u64::MAX)
    }

    async fn answer(&self, key: &KeyBytes) -> Answer {
        let cost = self.inner.policy.cost.get();
        let now = self.now();
        if !self.inner.breaker.is_open(now) {
            match self.inner.store.check(key, cost).await {
                Ok(verdict) => {
                    self.inner.breaker.success();
                    return Answer::Counted(verdict, Source::Store);
                }
                Err(error) => {
                    self.inner.breaker.failure(now);
                    if self.inner.store_log.allow() {
                        tracing::error!(policy = %self.inner.policy.name, %error,
                            mode = ?self.inner.policy.on_store_error, "rate-limit store failed");
                    }
                }
            }
        }
        match (self.inner.policy.on_store_error, &self.inner.fallback) {
            (FailureMode::Memory, Some(fallback)) => match fallback.check_now(key.as_bytes(), cost)
            {
                Ok(verdict) => Answer::Counted(verdict, Source::Fallback),
                Err(_) => Answer::StoreDown,
            },
            (FailureMode::Open, _) => Answer::Uncounted,
            _ => Answer::StoreDown,
        }
    }

    /// Decides one request for `key`: `Ok` with the headers to add, or the
    /// rejection (429, or 503 when the store is down and the policy fails closed).
    pub async fn check(&self, key: &KeyBytes) -> Result<(Verdict, http::HeaderMap), RateLimited> {
        self.counted(key)
            .await
            .map(|(verdict, headers, _)| (verdict, headers))
    }

    /// [`RateLimiter::check`], saying which store counted the request.
    async fn counted(
        &self,
        key: &KeyBytes,
    ) -> Result<(Verdict, http::HeaderMap, Source), RateLimited> {
        match self.answer(key).await {
            Answer::Counted(verdict, source) => {
                let headers =
                    headers::headers(&self.inner.policy, &self.inner.policy_header, &verdict);
                if verdict.allowed {
                    Ok((verdict, headers, source))
                } else {
                    Err(RateLimited {
                        kind: RateLimitedKind::Limited,
                        headers,
                    })
                }
            }
            // Nothing counted, nothing to give back (the reservation's cost is 0).
            Answer::Uncounted => Ok((
                Verdict::pass(&self.inner.policy.quota),
                http::HeaderMap::new(),
                Source::Store,
            )),
            Answer::StoreDown => {
                let mut headers = http::HeaderMap::new();
                let cooldown = ceil_secs(u64::try_from(BREAKER_COOLDOWN.as_nanos()).unwrap_or(0));
                headers.insert(
                    http::header::RETRY_AFTER,
                    header_value(&cooldown.to_string()),
                );
                Err(RateLimited {
                    kind: RateLimitedKind::StoreDown,
                    headers,
                })
            }
        }
    }
}

impl<S: RateStore> Guard for RateLimiter<S> {
    type Input = KeyBytes;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<KeyBytes> {
        match self.inner.policy.key.key_of(request) {
            Some(key) => Step::Decide(key),
            None => Step::Done(Decision::Reject(ApiError::internal(
                "rate limit: no key for this request (is the client address known?)",
            ))),
        }
    }

    async fn decide(&self, key: KeyBytes) -> Decision {
        match self.counted(&key).await {
            Ok((verdict, headers, source)) => {
                let mut grant = Grant::new();
                grant.headers = headers;
                if let Some(skip) = self.inner.policy.skip
                    && verdict.reservation.cost > 0
                {
                    grant = grant.with_completion(Refund {
                        limiter: self.clone(),
                        key,
                        verdict,
                        skip,
                        source,
                    });
                }
                Decision::allow(grant)
            }
            Err(rejection) => Decision::Reject(rejection.into_api_error()),
        }
    }
}

/// Gives a request's count back when the skip rule says it does not count.
struct Refund<S> {
    limiter: RateLimiter<S>,
    key: KeyBytes,
    verdict: Verdict,
    skip: Skip,
    source: Source,
}

impl<S: RateStore> Completion for Refund<S> {
    fn complete(self: Box<Self>, status: u16) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let skipped = match self.skip {
            Skip::SuccessfulResponses => status < 400,
            Skip::FailedResponses => status >= 400,
        };
        Box::pin(async move {
            if !skipped {
                return;
            }
            let inner = &self.limiter.inner;
            let result = match (self.source, &inner.fallback) {
                (Source::Fallback, Some(fallback)) => {
                    fallback.refund_now(self.key.as_bytes(), self.verdict.reservation)
                }
                _ => {
                    inner
                        .store
                        .refund(&self.key, self.verdict.reservation)
                        .await
                }
            };
            if let Err(error) = result
                && inner.store_log.allow()
            {
                tracing::warn!(policy = %inner.policy.name, %error, "rate-limit refund failed; the request stays counted");
            }
        })
    }
}
