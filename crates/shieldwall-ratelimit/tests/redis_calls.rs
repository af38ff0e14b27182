//! Counted on a redis-server of the test's own (`INFO commandstats`): one
//! `EVALSHA` per decision and nothing else, and a flood from a client over
//! its limit costs Redis nothing until the client may pass again.
#![cfg(feature = "redis")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::HashMap;

use shieldwall_ratelimit::{Algorithm, KeyBytes, Policy, RateLimiter};
use shieldwall_redis::testing::OwnServer;
use shieldwall_redis::{Redis, RedisConfig};

fn key(tag: &str) -> KeyBytes {
    KeyBytes::new(tag.as_bytes())
}

async fn calls(redis: &Redis) -> HashMap<String, u64> {
    shieldwall_redis::testing::command_stats(redis)
        .await
        .unwrap()
        .into_iter()
        .filter(|(name, _)| name != "info")
        .map(|(name, stat)| (name, stat.calls))
        .collect()
}

/// Round trips: `EVALSHA` calls. The other commands counted are the ones the
/// script runs inside Redis (`TIME`, `GET`, `SET`, ...), which cost no round trip.
fn round_trips(before: &HashMap<String, u64>, after: &HashMap<String, u64>) -> u64 {
    const INSIDE_THE_SCRIPT: [&str; 7] =
        ["time", "get", "set", "psetex", "hmget", "hset", "pexpire"];
    let mut trips = 0;
    for (name, calls) in after {
        let delta = calls - before.get(name).copied().unwrap_or(0);
        if delta == 0 {
            continue;
        }
        if name == "evalsha" {
            trips = delta;
        } else {
            assert!(
                INSIDE_THE_SCRIPT.contains(&name.as_str()),
                "unexpected command {name} x{delta}"
            );
        }
    }
    trips
}

#[tokio::test]
async fn one_evalsha_per_decision_and_a_limited_flood_costs_nothing() {
    let server = OwnServer::start();
    let redis = Redis::connect(&RedisConfig::new(&server.url()).unwrap())
        .await
        .unwrap();
    // The windows are hours on Redis's clock (this machine's): a run that
    // straddled the turn of an hour would see a fresh window mid-flood.
    let into_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 3600;
    if into_hour > 3590 {
        tokio::time::sleep(std::time::Duration::from_secs(3601 - into_hour)).await;
    }
    for algorithm in [
        Algorithm::Gcra,
        Algorithm::SlidingWindow,
        Algorithm::FixedWindow,
    ] {
        let p = Policy::builder("calls", "50/1h".parse().unwrap())
            .algorithm(algorithm)
            .build()
            .unwrap();
        let limiter = RateLimiter::redis(p, redis.clone());
        // Load the script once (the first call may pay a NOSCRIPT and a SCRIPT LOAD).
        limiter.check(&key("warm")).await.unwrap();

        let before = calls(&redis).await;
        for i in 0..40 {
            limiter
                .check(&key(&format!("{algorithm:?}-{i}")))
                .await
                .unwrap();
        }
        assert_eq!(
            round_trips(&before, &calls(&redis).await),
            40,
            "{algorithm:?}"
        );

        // One client: 50 allowed, then refused; the refusals after the first come from memory.
        let flooder = key(&format!("{algorithm:?}-flood"));
        let before = calls(&redis).await;
        let mut allowed = 0;
        for _ in 0..10_000 {
            allowed += usize::from(limiter.check(&flooder).await.is_ok());
        }
        assert_eq!(allowed, 50);
        assert_eq!(
            round_trips(&before, &calls(&redis).await),
            51,
            "{algorithm:?}: 50 allowed + 1 refusal reached Redis, 9 949 refusals did not"
        );
    }
}
