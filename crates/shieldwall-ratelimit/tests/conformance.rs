//! One behaviour suite for every store and algorithm: memory, and Redis (the
//! real `redis-server` the test command started). Real time, short windows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::Duration;

use shieldwall_ratelimit::{Algorithm, KeyBytes, Policy, RateLimiter, RateStore};

fn key(tag: &str) -> KeyBytes {
    KeyBytes::new(tag.as_bytes())
}

fn policy(name: &str, quota: &str, algorithm: Algorithm) -> Policy {
    Policy::builder(name, quota.parse().unwrap())
        .algorithm(algorithm)
        .build()
        .unwrap()
}

/// What every store must do for `algorithm` with a quota of 3 per 2 s.
async fn conformance<S: RateStore>(limiter: RateLimiter<S>, tag: &str) {
    let a = key(&format!("{tag}-a"));
    let b = key(&format!("{tag}-b"));
    let mut allowed = 0;
    for i in 0..5 {
        match limiter.check(&a).await {
            Ok((verdict, headers)) => {
                allowed += 1;
                assert_eq!(
                    verdict.remaining,
                    3 - i - 1,
                    "remaining after {} requests",
                    i + 1
                );
                assert_eq!(
                    headers["ratelimit-policy"],
                    format!("\"{}\";q=3;w=2", limiter.policy().name())
                );
                assert_eq!(
                    headers["ratelimit"]
                        .to_str()
                        .unwrap()
                        .split(';')
                        .nth(1)
                        .unwrap(),
                    format!("r={}", 2 - i)
                );
                assert!(headers.get("retry-after").is_none());
            }
            Err(refused) => {
                assert!(!refused.is_store_down());
                use shieldwall_errors::Rejection;
                let api = refused.into_api_error();
                assert_eq!(api.status(), 429);
                let retry: u64 = api.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                // Up to two windows: the sliding window waits for the previous window's weight to fall.
                assert!((1..=4).contains(&retry), "Retry-After {retry}");
                assert!(
                    api.headers()["ratelimit"]
                        .to_str()
                        .unwrap()
                        .contains(";r=0;")
                );
            }
        }
    }
    assert_eq!(allowed, 3, "exactly the quota");
    // Another key has its own quota.
    assert!(limiter.check(&b).await.is_ok());
    // Retry-After is never too early: after waiting it, a request passes.
    let refused = limiter.check(&a).await.unwrap_err();
    use shieldwall_errors::Rejection;
    let wait: u64 = refused.into_api_error().headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(50)).await;
    assert!(limiter.check(&a).await.is_ok(), "allowed after Retry-After");
}

#[tokio::test]
async fn memory_store_conforms_for_every_algorithm() {
    let runs = [
        Algorithm::Gcra,
        Algorithm::SlidingWindow,
        Algorithm::FixedWindow,
    ]
    .map(|algorithm| {
        let p = policy("conf", "3/2s", algorithm);
        tokio::spawn(conformance(RateLimiter::memory(p), "mem"))
    });
    for run in runs {
        run.await.unwrap();
    }
}

async fn exactly_n_of_100_concurrent<S: RateStore>(limiter: RateLimiter<S>, tag: &str) {
    let k = key(tag);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let limiter = limiter.clone();
            let k = k.clone();
            tokio::spawn(async move { limiter.check(&k).await.is_ok() })
        })
        .collect();
    let mut allowed = 0;
    for task in tasks {
        allowed += usize::from(task.await.unwrap());
    }
    assert_eq!(allowed, 7, "{tag}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_100_concurrent_requests_lets_exactly_n_through_in_memory() {
    for algorithm in [
        Algorithm::Gcra,
        Algorithm::SlidingWindow,
        Algorithm::FixedWindow,
    ] {
        let p = policy("burst", "7/1h", algorithm);
        exactly_n_of_100_concurrent(RateLimiter::memory(p), &format!("mem-{algorithm:?}")).await;
    }
}

#[tokio::test]
async fn policies_with_one_key_count_apart() {
    let public = policy("public", "1/1h", Algorithm::Gcra);
    let auth = policy("auth", "1/1h", Algorithm::Gcra);
    let (public, auth) = (RateLimiter::memory(public), RateLimiter::memory(auth));
    let k = key("same-client");
    assert!(public.check(&k).await.is_ok());
    assert!(
        auth.check(&k).await.is_ok(),
        "another policy, another quota"
    );
    assert!(public.check(&k).await.is_err());
}

#[cfg(feature = "redis")]
mod on_redis {
    use super::*;
    use shieldwall_redis::{Redis, RedisConfig, testing};

    /// Where a suite runs: the test server or the test Redis Cluster.
    type Target = fn(&str) -> RedisConfig;

    async fn redis(target: Target, name: &str) -> Redis {
        Redis::connect(&target(name)).await.unwrap()
    }

    /// Waits until a fixed window of `window` on Redis's clock (this machine's:
    /// the server runs here) has just begun, so that the suite's few quick
    /// requests fall in one window rather than straddling a boundary.
    async fn at_window_start(window: Duration) {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let into = since_epoch.as_nanos() % window.as_nanos();
        let left = window - Duration::from_nanos(u64::try_from(into).unwrap());
        tokio::time::sleep(left + Duration::from_millis(20)).await;
    }

    #[tokio::test]
    async fn redis_store_conforms_for_every_algorithm() {
        conforms_for_every_algorithm(testing::config).await;
    }

    #[tokio::test]
    async fn redis_store_conforms_for_every_algorithm_on_a_cluster() {
        conforms_for_every_algorithm(testing::cluster_config).await;
    }

    async fn conforms_for_every_algorithm(target: Target) {
        at_window_start(Duration::from_secs(2)).await;
        let mut runs = Vec::new();
        for algorithm in [
            Algorithm::Gcra,
            Algorithm::SlidingWindow,
            Algorithm::FixedWindow,
        ] {
            let p = policy("conf", "3/2s", algorithm);
            let redis = redis(target, &format!("rl-conf-{algorithm:?}")).await;
            runs.push(tokio::spawn(conformance(
                RateLimiter::redis(p, redis),
                "redis",
            )));
        }
        for run in runs {
            run.await.unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_100_concurrent_requests_lets_exactly_n_through_on_redis() {
        exactly_n_of_a_burst(testing::config).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_100_concurrent_requests_lets_exactly_n_through_on_a_cluster() {
        exactly_n_of_a_burst(testing::cluster_config).await;
    }

    async fn exactly_n_of_a_burst(target: Target) {
        for algorithm in [
            Algorithm::Gcra,
            Algorithm::SlidingWindow,
            Algorithm::FixedWindow,
        ] {
            let p = policy("burst", "7/1h", algorithm);
            let redis = redis(target, &format!("rl-burst-{algorithm:?}")).await;
            exactly_n_of_100_concurrent(
                RateLimiter::redis(p, redis),
                &format!("redis-{algorithm:?}"),
            )
            .await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_instances_share_one_quota() {
        instances_share_one_quota(testing::config).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_instances_share_one_quota_on_a_cluster() {
        instances_share_one_quota(testing::cluster_config).await;
    }

    async fn instances_share_one_quota(target: Target) {
        let config = target("rl-shared");
        let p = policy("shared", "10/1h", Algorithm::Gcra);
        let a = RateLimiter::redis(p.clone(), Redis::connect(&config).await.unwrap());
        let b = RateLimiter::redis(p, Redis::connect(&config).await.unwrap());
        let k = key("client");
        let mut allowed = 0;
        for i in 0..30 {
            let limiter = if i % 2 == 0 { &a } else { &b };
            allowed += usize::from(limiter.check(&k).await.is_ok());
        }
        assert_eq!(allowed, 10);
    }
}
