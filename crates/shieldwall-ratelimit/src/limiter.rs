//! `RateLimiter`: a policy over a store, as a guard.

use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use shieldwall_core::telemetry::{self, RateLimitCounters, RateOutcome, StoreKind};
use shieldwall_core::{
    Clock, Completion, Decision, Grant, Guard, LogThrottle, RequestView, Step, StoreError,
};
use shieldwall_errors::{ApiError, Rejection};

use crate::error::{RateLimitedKind, header_value};
use crate::headers::{self, ceil_secs};
use crate::{FailureMode, KeyBytes, MemoryStore, Policy, RateLimited, RateStore, Skip, Verdict};

/// A policy over the store it made for it: `check` decides, and as a
/// [`Guard`] it answers 429 `RATE_LIMITED` with `Retry-After`, and adds
/// `RateLimit-Policy` and `RateLimit` to every response of the route it
/// guards. It counts every request it sees: CORS preflights are answered by
/// the CORS layer in front of it (`shieldwall-cors`) and never reach it.
///
/// The limiter owns its policy: [`RateLimiter::memory`],
/// [`RateLimiter::redis`] and [`RateLimiter::builder`] make the store from
/// it, so the store counts exactly the quota the headers report.
///
/// Cheap to clone, and every clone shares one count: build it once and clone
/// it where it is used (into each actix-web worker, say), never once per
/// worker, which would give every worker a count of its own.
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
    /// `"name";r=`, the start of each `RateLimit` value.
    ratelimit_prefix: Box<[u8]>,
    /// `Retry-After` when the store is down and the policy fails closed.
    retry_when_down: HeaderValue,
    store: S,
    fallback: Option<MemoryStore>,
    store_log: LogThrottle,
    /// `shieldwall_rate_limit_decisions_total` of this policy.
    counters: RateLimitCounters,
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
    /// A limiter for `policy` on `store`, made for it. With
    /// [`FailureMode::Memory`], a memory store of the same policy
    /// (`memory_keys` keys, on `clock`) stands by.
    pub(crate) fn assemble(
        policy: Policy,
        store: S,
        memory_keys: NonZeroUsize,
        clock: Option<Arc<dyn Clock>>,
    ) -> Self {
        let fallback = (policy.on_store_error == FailureMode::Memory)
            .then(|| MemoryStore::new(&policy, memory_keys, clock));
        let down_for = u64::try_from(store.unavailable_for().as_nanos()).unwrap_or(u64::MAX);
        Self {
            inner: Arc::new(Inner {
                policy_header: headers::policy_value(&policy),
                ratelimit_prefix: headers::ratelimit_prefix(&policy),
                counters: RateLimitCounters::new(policy.name()),
                retry_when_down: header_value(&ceil_secs(down_for).max(1).to_string()),
                policy,
                store,
                fallback,
                store_log: LogThrottle::new(Duration::from_secs(10)),
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

    async fn answer(&self, key: &KeyBytes) -> Answer {
        let cost = self.inner.policy.cost.get();
        let result = self.inner.store.check(key, cost).await;
        self.settle(key, cost, result)
    }

    /// What the store's result comes to: counted, or what the policy's
    /// failure mode says when the store failed.
    fn settle(&self, key: &KeyBytes, cost: u32, result: Result<Verdict, StoreError>) -> Answer {
        match result {
            Ok(verdict) => {
                self.inner.counters.count(if verdict.allowed {
                    RateOutcome::Allowed
                } else {
                    RateOutcome::Limited
                });
                return Answer::Counted(verdict, Source::Store);
            }
            Err(error) => {
                self.inner.counters.count(RateOutcome::StoreError);
                telemetry::store_error(StoreKind::RateLimit);
                if self.inner.store_log.allow() {
                    tracing::error!(policy = %self.inner.policy.name, %error,
                        mode = ?self.inner.policy.on_store_error, "rate-limit store failed");
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
        let answer = self.answer(key).await;
        self.outcome(answer)
    }

    /// An answer as the headers to send, or the refusal.
    fn outcome(&self, answer: Answer) -> Result<(Verdict, http::HeaderMap, Source), RateLimited> {
        match answer {
            Answer::Counted(verdict, source) => {
                let headers = headers::headers(
                    &self.inner.policy,
                    &self.inner.policy_header,
                    &self.inner.ratelimit_prefix,
                    &verdict,
                );
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
                headers.insert(
                    http::header::RETRY_AFTER,
                    self.inner.retry_when_down.clone(),
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
    fn describe(&self) -> telemetry::GuardInfo<'_> {
        telemetry::GuardInfo::new("rate_limit").with_policy(&self.inner.policy.name)
    }

    type Input = KeyBytes;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<KeyBytes> {
        let Some(key) = self.inner.policy.key.key_of(request) else {
            return Step::Done(Decision::Reject(ApiError::internal(
                "rate limit: no key for this request (is the client address known?)",
            )));
        };
        // A memory store answers at once: the decision is made here, so
        // that the adapter has no future to box and no service to clone.
        let cost = self.inner.policy.cost.get();
        match self.inner.store.check_in_process(&key, cost) {
            Some(result) => {
                let answer = self.settle(&key, cost, result);
                Step::Done(self.decision(key, self.outcome(answer)))
            }
            None => Step::Decide(key),
        }
    }

    async fn decide(&self, key: KeyBytes) -> Decision {
        let counted = self.counted(&key).await;
        self.decision(key, counted)
    }
}

impl<S: RateStore> RateLimiter<S> {
    /// The guard's decision on a counted request: its headers, and the
    /// refund when a skip rule may give the count back.
    fn decision(
        &self,
        key: KeyBytes,
        counted: Result<(Verdict, http::HeaderMap, Source), RateLimited>,
    ) -> Decision {
        match counted {
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
