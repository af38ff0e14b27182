//! On Redis: a revocation on one instance stops the key on another within a
//! second, the cache steps aside when its subscription is gone, and a
//! verification costs exactly one round trip without the cache and none on
//! a cache hit (counted with `INFO commandstats` on a server of its own).
#![cfg(feature = "redis")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use shieldwall_keys::{
    ApiKeys, KeyErrorKind, KeyFormat, NewKey, RedisKeyStore, RedisKeyStoreConfig,
};
use shieldwall_redis::testing::{self, OwnServer};
use shieldwall_redis::{Redis, RedisConfig};

async fn keys(config: &RedisConfig, cache: RedisKeyStoreConfig) -> ApiKeys<RedisKeyStore> {
    let store = RedisKeyStore::new(Redis::connect(config).await.unwrap(), cache);
    if cache.cache_ttl.is_some() {
        let started = Instant::now();
        while !store.cache_active() && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(store.cache_active(), "subscribed to invalidations");
    }
    ApiKeys::builder(store, KeyFormat::new("sk").unwrap())
        .flush_last_used_every(None)
        .build()
}

#[tokio::test]
async fn a_revocation_on_one_instance_stops_the_key_on_another_within_a_second() {
    let config = testing::config("keys-two-instances");
    // Long cache lifetimes: only the invalidation message can make it in time.
    let a = keys(
        &config,
        RedisKeyStoreConfig::cached_for(Duration::from_secs(300)),
    )
    .await;
    let b = keys(
        &config,
        RedisKeyStoreConfig::cached_for(Duration::from_secs(300)),
    )
    .await;
    let created = a
        .create(NewKey::new("u1", "ci", ["users:read"]))
        .await
        .unwrap();
    let created_key = created.key.reveal();
    assert!(
        b.verify(created_key.as_bytes()).await.is_ok(),
        "b has it cached now"
    );
    assert!(b.verify(created_key.as_bytes()).await.is_ok());

    let revoked_at = Instant::now();
    assert!(a.revoke("u1", &created.record.id).await.unwrap());
    loop {
        match b.verify(created_key.as_bytes()).await {
            Err(e) => {
                assert_eq!(e.kind(), KeyErrorKind::Invalid);
                break;
            }
            Ok(_) => {
                assert!(
                    revoked_at.elapsed() < Duration::from_secs(1),
                    "still accepted after 1 s"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    println!(
        "revocation seen by the other instance after {:?}",
        revoked_at.elapsed()
    );

    // A rotation's grace deadline reaches the other instance too.
    let second = a
        .create(NewKey::new("u1", "ci", ["users:read"]))
        .await
        .unwrap();
    let second_key = second.key.reveal();
    assert!(b.verify(second_key.as_bytes()).await.is_ok());
    a.rotate("u1", &second.record.id, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    let rotated_at = Instant::now();
    while b.verify(second_key.as_bytes()).await.is_ok() {
        assert!(
            rotated_at.elapsed() < Duration::from_secs(1),
            "old key accepted after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A server of the test's own, a handle on it, and a store with a cache of
/// 300 s on it, subscribed.
async fn cached_on_own_server() -> (OwnServer, Redis, ApiKeys<RedisKeyStore>) {
    let server = OwnServer::start();
    let config = RedisConfig::new(&server.url()).unwrap();
    let probe = Redis::connect(&config).await.unwrap();
    let cached = keys(
        &config,
        RedisKeyStoreConfig::cached_for(Duration::from_secs(300)),
    )
    .await;
    (server, probe, cached)
}

async fn stats(redis: &Redis) -> std::collections::HashMap<String, u64> {
    testing::command_stats(redis)
        .await
        .unwrap()
        .into_iter()
        .map(|(name, stat)| (name, stat.calls))
        .collect()
}

fn delta(
    before: &std::collections::HashMap<String, u64>,
    after: &std::collections::HashMap<String, u64>,
) -> Vec<(String, u64)> {
    let mut changed: Vec<(String, u64)> = after
        .iter()
        .map(|(name, calls)| (name.clone(), calls - before.get(name).copied().unwrap_or(0)))
        // `INFO` is the count itself; `PUBLISH`, the cached store's
        // heartbeat, is background work, once a second.
        .filter(|(name, calls)| *calls > 0 && name != "info" && name != "publish")
        .collect();
    changed.sort();
    changed
}

#[tokio::test]
async fn one_round_trip_per_verification_without_cache_none_on_a_cache_hit_none_for_junk() {
    let server = OwnServer::start();
    let config = RedisConfig::new(&server.url()).unwrap();
    let probe = Redis::connect(&config).await.unwrap();

    let uncached = keys(&config, RedisKeyStoreConfig::uncached()).await;
    let created = uncached
        .create(NewKey::new("u1", "ci", ["users:read"]))
        .await
        .unwrap();
    let created_key = created.key.reveal();
    let before = stats(&probe).await;
    for _ in 0..100 {
        uncached.verify(created_key.as_bytes()).await.unwrap();
    }
    assert_eq!(
        delta(&before, &stats(&probe).await),
        [("hgetall".to_owned(), 100)]
    );

    // Junk never reaches Redis.
    let before = stats(&probe).await;
    let (stranger, _) = uncached.format().generate();
    let mut bad_checksum = String::from_utf8(created_key.as_bytes().to_vec()).unwrap();
    // Another last character than the key's own (one key in 62 ends in `x`).
    let last = bad_checksum.pop();
    bad_checksum.push(if last == Some('x') { 'y' } else { 'x' });
    for junk in [&b"sk_nope"[..], bad_checksum.as_bytes(), b"", &[0xff; 64]] {
        assert_eq!(
            uncached.verify(junk).await.unwrap_err().kind(),
            KeyErrorKind::Malformed
        );
    }
    assert!(
        delta(&before, &stats(&probe).await).is_empty(),
        "malformed keys cost no store call"
    );
    // A well-formed stranger costs its one lookup.
    uncached.verify(stranger.expose()).await.unwrap_err();
    assert_eq!(
        delta(&before, &stats(&probe).await),
        [("hgetall".to_owned(), 1)]
    );

    let cached = keys(
        &config,
        RedisKeyStoreConfig::cached_for(Duration::from_secs(60)),
    )
    .await;
    let before = stats(&probe).await;
    for _ in 0..100 {
        cached.verify(created_key.as_bytes()).await.unwrap();
    }
    assert_eq!(
        delta(&before, &stats(&probe).await),
        [("hgetall".to_owned(), 1)],
        "one miss, then hits"
    );
}

#[tokio::test]
async fn without_its_subscription_the_cache_steps_aside() {
    let (_server, probe, cached) = cached_on_own_server().await;
    let created = cached
        .create(NewKey::new("u1", "ci", ["users:read"]))
        .await
        .unwrap();
    let created_key = created.key.reveal();
    cached.verify(created_key.as_bytes()).await.unwrap();

    // Drop every pub/sub connection: invalidations could be missed now.
    let _: i64 = probe
        .run(
            shieldwall_redis::redis::cmd("CLIENT")
                .arg("KILL")
                .arg("TYPE")
                .arg("pubsub"),
        )
        .await
        .unwrap();
    let started = Instant::now();
    while cached.store().cache_active() && started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Revoke behind the cache's back (straight in Redis, no message).
    let key = probe.key(&["apikey", &created.record.id]);
    let _: i64 = probe
        .run(
            shieldwall_redis::redis::cmd("HSET")
                .arg(&key)
                .arg("r")
                .arg("1"),
        )
        .await
        .unwrap();
    // Either the cache is off (the store is read) or it came back and was cleared: refused either way.
    assert_eq!(
        cached
            .verify(created_key.as_bytes())
            .await
            .unwrap_err()
            .kind(),
        KeyErrorKind::Invalid
    );
}

/// A subscription that hears nothing, not even the heartbeats, for 3 s
/// steps the cache aside (messages may be lost without the connection
/// closing), and it comes back once the beats are heard again.
#[tokio::test]
async fn a_silent_subscription_steps_the_cache_aside() {
    let (_server, probe, cached) = cached_on_own_server().await;
    // Every client's writes (a PUBLISH is one) wait for 6 s: no beat, no
    // invalidation reaches the subscriber, and its connection stays open.
    let _: String = probe
        .run(
            shieldwall_redis::redis::cmd("CLIENT")
                .arg("PAUSE")
                .arg(6000)
                .arg("WRITE"),
        )
        .await
        .unwrap();
    let paused = Instant::now();
    while cached.store().cache_active() && paused.elapsed() < Duration::from_secs(6) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let silent_after = paused.elapsed();
    assert!(
        silent_after < Duration::from_secs(6),
        "the cache stayed on through {silent_after:?} of silence"
    );
    assert!(
        silent_after >= Duration::from_secs(2),
        "stepped aside after {silent_after:?}, before 3 s of silence"
    );
    // Subscribing again is no proof: it stays off while nothing is heard.
    tokio::time::sleep(Duration::from_millis(5500).saturating_sub(paused.elapsed())).await;
    assert!(
        !cached.store().cache_active(),
        "back on while still nothing was heard"
    );
    // Once writes flow again, it hears its beats and is back.
    let started = Instant::now();
    while !cached.store().cache_active() && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cached.store().cache_active(), "the cache came back");
}

/// The key store behind an open breaker: Redis is back, but the store answers
/// at once and sends it nothing, and a verification is refused with 503 as
/// when Redis is down; after the cool-down the store asks Redis again.
#[tokio::test]
async fn an_open_breaker_answers_without_a_round_trip() {
    use shieldwall_keys::KeyStore;

    let mut rig = testing::BreakerRig::start().await;
    let store = RedisKeyStore::new(rig.redis.clone(), RedisKeyStoreConfig::uncached());
    let keys = ApiKeys::builder(store.clone(), KeyFormat::new("sk").unwrap())
        .flush_last_used_every(None)
        .build();
    let created = keys
        .create(NewKey::new("u1", "ci", ["users:read"]))
        .await
        .unwrap();
    let key = created.key.reveal();
    keys.verify(key.as_bytes()).await.unwrap();
    rig.open_breaker(|| store.find("missing")).await;
    for _ in 0..10 {
        let error = store.find("missing").await.unwrap_err();
        assert!(testing::circuit_open(&error), "{error:?}");
        let refused = keys.verify(key.as_bytes()).await.unwrap_err();
        assert_eq!(refused.kind(), KeyErrorKind::StoreUnavailable);
        use shieldwall_errors::Rejection;
        assert_eq!(refused.into_api_error().status(), 503);
    }
    assert_eq!(rig.commands_run().await, Default::default());
    assert!(rig.close_breaker(|| store.find("missing")).await.is_none());
}
