//! When the store fails: closed (503 with Retry-After), open (uncounted), or
//! a local memory fallback with the same quota; against a real redis-server
//! that is killed mid-run. And the skip rules' refunds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::sync::Arc;

use futures_util::FutureExt;
use shieldwall_core::{Decision, Guard, Perimeter, Step};
use shieldwall_errors::Rejection;
use shieldwall_ratelimit::{
    Algorithm, FailureMode, KeyBytes, KeyStrategy, MemoryStore, Policy, RateLimiter, RateStore,
};

fn key(tag: &str) -> KeyBytes {
    let tag = tag.to_owned();
    KeyStrategy::Custom(
        Arc::new(move |_: &shieldwall_ratelimit::KeyInput<'_>| Some(tag.clone())),
        Default::default(),
    )
    .key_of(&http::Request::builder().body(()).unwrap())
    .unwrap()
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

#[test]
fn preflight_shaped_requests_are_counted_like_any_other() {
    // The CORS layer answers real preflights before the limiter; one that
    // reaches it (no CORS layer) must not be a way around the limit.
    let p = Policy::builder("p", "1/1h".parse().unwrap())
        .build()
        .unwrap();
    let limiter = RateLimiter::new(p.clone(), MemoryStore::new(&p, 10));
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
    let limiter = RateLimiter::new(p.clone(), MemoryStore::new(&p, 10));
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
    let limiter = RateLimiter::new(p.clone(), MemoryStore::new(&p, 10));
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

#[cfg(feature = "redis")]
mod on_redis {
    use super::*;
    use shieldwall_ratelimit::RedisStore;
    use shieldwall_redis::testing::OwnServer;
    use shieldwall_redis::{Redis, RedisConfig};

    async fn limiter(mode: FailureMode, server: &OwnServer) -> RateLimiter<RedisStore> {
        let config = RedisConfig::new(&server.url())
            .unwrap()
            .command_timeout(std::time::Duration::from_millis(200))
            .unwrap();
        let p = Policy::builder("p", "3/1h".parse().unwrap())
            .algorithm(Algorithm::Gcra)
            .on_store_error(mode)
            .build()
            .unwrap();
        RateLimiter::new(
            p.clone(),
            RedisStore::new(Redis::connect(&config).await.unwrap(), &p),
        )
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
            assert!(api.headers().get("retry-after").is_some());
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
}
