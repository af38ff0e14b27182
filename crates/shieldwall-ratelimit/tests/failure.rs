//! When the store fails: closed (503 with Retry-After), open (uncounted), or
//! a local memory fallback with the same quota; against a real redis-server
//! that is killed mid-run, and with the breaker and the fallback on a manual
//! clock. And the skip rules' refunds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::num::NonZeroUsize;
use std::time::Duration;

use futures_util::FutureExt;
use shieldwall_core::{Decision, Guard, ManualClock, Perimeter, Step};
use shieldwall_errors::Rejection;
use shieldwall_ratelimit::{Algorithm, FailureMode, KeyBytes, Policy, RateLimiter, RateStore};

fn key(tag: &str) -> KeyBytes {
    KeyBytes::new(tag.as_bytes())
}

fn request(method: &str, peer: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut builder = http::Request::builder().method(method).uri("/api/x");
    for (n, v) in headers {
        builder = builder.header(*n, *v);
    }
    let mut req = builder.body(()).unwrap();
    let ctx = Perimeter::new().begin(&req, Some(peer.parse().unwrap()));
    req.extensions_mut().insert(ctx);
    req
}

fn decide<S: RateStore>(limiter: &RateLimiter<S>, req: &http::Request<()>) -> Decision {
    match limiter.extract(req) {
        Step::Decide(key) => limiter.decide(key).now_or_never().unwrap(),
        Step::Done(decision) => decision,
    }
}

/// A memory store decides in this process: the limiter answers at
/// `extract` (no future for the adapter to box), counting and refusing as
/// `decide` does; a Redis store's decision waits for `decide`.
#[test]
fn a_memory_limit_is_answered_at_once() {
    let p = Policy::builder("p", "2/1h".parse().unwrap())
        .build()
        .unwrap();
    let limiter = RateLimiter::memory(p);
    let req = request("GET", "192.0.2.7:1", &[]);
    let at_once = |req: &http::Request<()>| match limiter.extract(req) {
        Step::Done(decision) => decision,
        Step::Decide(_) => panic!("a memory store must be answered at once"),
    };
    for remaining in ["1", "0"] {
        match at_once(&req) {
            Decision::Continue(grant) => {
                let value = grant.headers["ratelimit"].to_str().unwrap();
                assert!(
                    value.starts_with(&format!("\"p\";r={remaining};t=")),
                    "{value}"
                );
                assert!(grant.headers.contains_key("ratelimit-policy"));
            }
            other => panic!("within the quota: {other:?}"),
        }
    }
    match at_once(&req) {
        Decision::Reject(error) => {
            assert_eq!(error.status(), 429);
            assert!(error.headers().contains_key("retry-after"));
        }
        other => panic!("over the quota: {other:?}"),
    }
}

#[test]
fn preflight_shaped_requests_are_counted_like_any_other() {
    // The CORS layer answers real preflights before the limiter; one that
    // reaches it (no CORS layer) must not be a way around the limit.
    let p = Policy::builder("p", "1/1h".parse().unwrap())
        .build()
        .unwrap();
    let limiter = RateLimiter::memory(p);
    let preflight = request(
        "OPTIONS",
        "192.0.2.1:1",
        &[
            ("origin", "https://a.example"),
            ("access-control-request-method", "POST"),
        ],
    );
    assert!(matches!(
        decide(&limiter, &preflight),
        Decision::Continue(_)
    ));
    assert!(matches!(decide(&limiter, &preflight), Decision::Reject(_)));
    assert!(matches!(
        decide(&limiter, &request("GET", "192.0.2.1:1", &[])),
        Decision::Reject(_)
    ));
}

#[test]
fn a_spoofed_forwarded_for_from_an_untrusted_peer_shares_the_peers_bucket() {
    let p = Policy::builder("p", "2/1h".parse().unwrap())
        .build()
        .unwrap();
    let limiter = RateLimiter::memory(p);
    let outcomes: Vec<bool> = (0..5)
        .map(|i| {
            let fake = format!("10.0.0.{i}");
            matches!(
                decide(
                    &limiter,
                    &request("GET", "203.0.113.9:1", &[("x-forwarded-for", &fake)])
                ),
                Decision::Continue(_)
            )
        })
        .collect();
    assert_eq!(outcomes, [true, true, false, false, false]);
}

#[test]
fn count_only_failures_gives_successes_back_and_never_lets_concurrent_failures_past() {
    let p = Policy::builder("login", "3/1h".parse().unwrap())
        .count_only_failures()
        .build()
        .unwrap();
    let limiter = RateLimiter::memory(p);
    let req = request("POST", "192.0.2.1:1", &[]);
    // Ten successful logins: each is counted on arrival and given back.
    for _ in 0..10 {
        let Decision::Continue(grant) = decide(&limiter, &req) else {
            panic!("refused a success")
        };
        grant
            .completion
            .unwrap()
            .complete(200)
            .now_or_never()
            .unwrap();
    }
    // Three in flight at once (not yet answered): the fourth is refused.
    let in_flight: Vec<_> = (0..3)
        .map(|_| match decide(&limiter, &req) {
            Decision::Continue(grant) => grant,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(matches!(decide(&limiter, &req), Decision::Reject(_)));
    for grant in in_flight {
        grant
            .completion
            .unwrap()
            .complete(401)
            .now_or_never()
            .unwrap();
    }
    assert!(
        matches!(decide(&limiter, &req), Decision::Reject(e) if e.code().as_str() == "RATE_LIMITED")
    );
}

#[test]
fn the_memory_store_runs_on_the_injected_clock() {
    let p = Policy::builder("p", "2/1m".parse().unwrap())
        .algorithm(Algorithm::FixedWindow)
        .build()
        .unwrap();
    let clock = ManualClock::at_unix_seconds(600);
    let limiter = RateLimiter::builder(p).clock(clock.clone()).memory();
    let k = key("c");
    let check = || limiter.check(&k).now_or_never().unwrap();
    assert!(check().is_ok());
    assert!(check().is_ok());
    let refused = check().unwrap_err().into_api_error();
    assert_eq!(refused.headers()["retry-after"], "60");
    clock.advance(Duration::from_secs(59));
    assert!(check().is_err());
    clock.advance(Duration::from_secs(1));
    assert!(check().is_ok(), "a new window on the manual clock");
}

#[test]
fn memory_keys_bounds_the_memory_store() {
    let p = Policy::builder("p", "1/1h".parse().unwrap())
        .build()
        .unwrap();
    let limiter = RateLimiter::builder(p)
        .memory_keys(NonZeroUsize::new(64).unwrap())
        .memory();
    let allowed = (0..10_000_u32)
        .filter(|i| {
            limiter
                .check(&key(&i.to_string()))
                .now_or_never()
                .unwrap()
                .is_ok()
        })
        .count();
    // 64 shards: at most twice the bound of own keys, plus one shared count each.
    assert!(limiter.store().len() <= 3 * 64, "{}", limiter.store().len());
    assert!(allowed <= 3 * 64, "{allowed} of 10 000 sprayed keys passed");
}

#[cfg(feature = "redis")]
mod on_redis {
    use super::*;
    use shieldwall_ratelimit::RedisStore;
    use shieldwall_redis::testing::{BreakerRig, OwnServer, circuit_open};
    use shieldwall_redis::{BreakerState, Redis, RedisConfig};

    async fn limiter(mode: FailureMode, server: &OwnServer) -> RateLimiter<RedisStore> {
        let config = RedisConfig::new(&server.url())
            .unwrap()
            .command_timeout(Duration::from_millis(200))
            .unwrap();
        let p = Policy::builder("p", "3/1h".parse().unwrap())
            .algorithm(Algorithm::Gcra)
            .on_store_error(mode)
            .build()
            .unwrap();
        RateLimiter::redis(p, Redis::connect(&config).await.unwrap())
    }

    #[tokio::test]
    async fn closed_open_and_memory_when_redis_dies() {
        let mut server = OwnServer::start();
        let closed = limiter(FailureMode::Closed, &server).await;
        let open = limiter(FailureMode::Open, &server).await;
        let memory = limiter(FailureMode::Memory, &server).await;
        let k = key("c");
        assert!(closed.check(&k).await.is_ok());
        server.kill();

        for _ in 0..3 {
            let refused = closed.check(&k).await.unwrap_err();
            assert!(refused.is_store_down());
            let api = refused.into_api_error();
            assert_eq!(api.status(), 503);
            assert_eq!(api.headers()["retry-after"], "2", "the breaker's cool-down");
            assert!(api.headers().get("ratelimit").is_none());
        }
        for _ in 0..10 {
            assert!(
                open.check(&k).await.is_ok(),
                "fail open lets requests through uncounted"
            );
        }
        let outcomes: Vec<bool> = futures_util::future::join_all((0..5).map(|_| memory.check(&k)))
            .await
            .iter()
            .map(Result::is_ok)
            .collect();
        assert_eq!(
            outcomes.iter().filter(|ok| **ok).count(),
            3,
            "the memory fallback keeps the quota"
        );
    }

    /// The Redis store behind an open breaker: Redis is back, but the store
    /// answers at once and sends it nothing; the limiter fails closed with
    /// 503 and `Retry-After`, until the cool-down ends.
    #[tokio::test]
    async fn an_open_breaker_answers_without_a_round_trip() {
        let mut rig = BreakerRig::start().await;
        let p = Policy::builder("p", "3/1h".parse().unwrap())
            .build()
            .unwrap();
        let limiter = RateLimiter::redis(p, rig.redis.clone());
        let k = key("c");
        let check = || limiter.store().check(&k, 1);
        rig.open_breaker(check).await;
        for _ in 0..10 {
            let error = check().await.unwrap_err();
            assert!(circuit_open(&error), "{error:?}");
            let refused = limiter.check(&k).await.unwrap_err();
            assert!(refused.is_store_down());
            assert_eq!(refused.into_api_error().headers()["retry-after"], "2");
        }
        assert_eq!(rig.commands_run().await, Default::default());
        let verdict = rig.close_breaker(check).await;
        assert!(verdict.allowed);
    }

    /// The fallback and the breaker, each on a manual clock: Redis dies, the
    /// breaker opens; the fallback counts the quota, refills when its clock
    /// says so and holds no more keys than `memory_keys`; Redis is asked
    /// nothing until the breaker's cool-down ends, and then counts again.
    #[tokio::test]
    async fn the_memory_fallback_and_the_breaker_on_manual_clocks() {
        let mut rig = BreakerRig::start().await;
        let p = Policy::builder("p", "2/1m".parse().unwrap())
            .on_store_error(FailureMode::Memory)
            .build()
            .unwrap();
        let clock = ManualClock::at_unix_seconds(600);
        let limiter = RateLimiter::builder(p)
            .clock(clock.clone())
            .memory_keys(NonZeroUsize::new(64).unwrap())
            .redis(rig.redis.clone());
        let k = key("c");
        assert!(limiter.check(&k).await.is_ok(), "counted on Redis");
        rig.open_breaker(|| limiter.store().check(&k, 1)).await;

        // The fallback has seen nothing of Redis's count: the whole quota.
        assert!(limiter.check(&k).await.is_ok());
        assert!(limiter.check(&k).await.is_ok());
        let refused = limiter.check(&k).await.unwrap_err();
        assert!(!refused.is_store_down(), "429 from the fallback, not 503");
        assert_eq!(refused.into_api_error().headers()["retry-after"], "30");
        clock.advance(Duration::from_secs(30));
        assert!(limiter.check(&k).await.is_ok(), "refilled on its clock");
        assert!(limiter.check(&k).await.is_err());
        // Keys sprayed at the fallback: bounded by `memory_keys` (64 shards,
        // twice the bound of own keys, then one shared count each).
        let sprayed = (0..10_000_u32)
            .filter(|i| {
                limiter
                    .check(&key(&format!("spray-{i}")))
                    .now_or_never()
                    .is_some_and(|r| r.is_ok())
            })
            .count();
        assert!(sprayed <= 2 * 3 * 64, "{sprayed} of 10 000 passed");
        assert_eq!(rig.redis.breaker_state(), BreakerState::Open);
        assert_eq!(rig.commands_run().await, Default::default());

        // After the breaker's cool-down, Redis counts again (a fresh server:
        // the probe is its first count of `c`).
        rig.close_breaker(|| limiter.store().check(&k, 1)).await;
        assert!(limiter.check(&k).await.is_ok());
        assert!(limiter.check(&k).await.is_err(), "Redis's count: 2 of 2");
    }
}
