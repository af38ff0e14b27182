//! On Redis (the real `redis-server` of `SHIELDWALL_TEST_REDIS_URL`): a
//! nonce used through one verifier instance is refused by another on the
//! same prefix, kept for the window and margin, keys are shared, and a
//! Redis that is down fails closed with 503.
#![cfg(feature = "redis")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::time::Duration;

use common::*;
use shieldwall_core::{Secret, SystemClock};
use shieldwall_errors::ErrorCode;
use shieldwall_redis::testing::{self, OwnServer};
use shieldwall_redis::{Redis, RedisConfig, redis};
use shieldwall_signing::{
    MemoryKeyResolver, Reason, RedisKeyResolver, RedisNonceStore, SignaturePolicy, Signer,
    VerificationKey, Verifier,
};

async fn instance(config: &RedisConfig) -> Verifier<MemoryKeyResolver, RedisNonceStore> {
    let redis = Redis::connect(config).await.unwrap();
    Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        keys(),
        RedisNonceStore::new(redis),
    )
}

fn now_signer() -> Signer {
    Signer::hmac_sha256("hmac-1", Secret::from(HMAC_SECRET.to_vec())).unwrap()
}

/// Where a suite runs: the test server or the test Redis Cluster.
type Target = fn(&str) -> RedisConfig;

#[tokio::test]
async fn a_nonce_used_on_one_instance_is_refused_on_another() {
    nonce_refused_on_another(testing::config).await;
}

#[tokio::test]
async fn a_nonce_used_on_one_instance_is_refused_on_another_on_a_cluster() {
    nonce_refused_on_another(testing::cluster_config).await;
}

async fn nonce_refused_on_another(target: Target) {
    let config = target("signing-replay");
    let a = instance(&config).await;
    let b = instance(&config).await;
    let request = signed(&now_signer());
    let replay = request.clone();
    assert!(a.verify(&request, BODY).await.is_ok());
    let err = b.verify(&replay, BODY).await.unwrap_err();
    assert_eq!(err.reason(), Reason::NonceReplayed);
    assert_eq!(
        a.verify(&replay, BODY).await.unwrap_err().reason(),
        Reason::NonceReplayed
    );
    // Another request, with its own nonce, passes on either.
    assert!(b.verify(&signed(&now_signer()), BODY).await.is_ok());
    // Another prefix is another application: it does not share nonces.
    let elsewhere = instance(&target("signing-replay-other")).await;
    assert!(elsewhere.verify(&replay, BODY).await.is_ok());
}

#[tokio::test]
async fn concurrent_replays_let_exactly_one_through() {
    exactly_one_of_concurrent_replays(testing::config).await;
}

#[tokio::test]
async fn concurrent_replays_let_exactly_one_through_on_a_cluster() {
    exactly_one_of_concurrent_replays(testing::cluster_config).await;
}

async fn exactly_one_of_concurrent_replays(target: Target) {
    let config = target("signing-race");
    let a = std::sync::Arc::new(instance(&config).await);
    let b = instance(&config).await;
    let request = signed(&now_signer());
    // On two tasks (so the futures must be `Send`), as two instances would.
    let (copy, first) = (request.clone(), std::sync::Arc::clone(&a));
    let x = tokio::spawn(async move { first.verify(&copy, BODY).await });
    let y = b.verify(&request, BODY).await;
    let x = x.await.unwrap();
    assert_eq!(
        usize::from(x.is_ok()) + usize::from(y.is_ok()),
        1,
        "{x:?} {y:?}"
    );
}

#[tokio::test]
async fn the_nonce_lives_for_the_window_and_the_clock_skew_margin() {
    let config = testing::config("signing-ttl");
    let verifier = instance(&config).await;
    let redis = Redis::connect(&config).await.unwrap();
    let request = signed(&now_signer());
    verifier.verify(&request, BODY).await.unwrap();
    let mut keys = redis::cmd("KEYS");
    keys.arg(format!("{}:sig-nonce:*", redis.prefix()));
    let found: Vec<String> = redis.run(&keys).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with(&format!("{}:sig-nonce:hmac-1:", redis.prefix())));
    let mut pttl = redis::cmd("PTTL");
    pttl.arg(&found[0]);
    let ttl: i64 = redis.run(&pttl).await.unwrap();
    // created + 300 s window + 30 s margin, from (about) now.
    assert!((325_000..=330_000).contains(&ttl), "{ttl}");
}

#[tokio::test]
async fn keys_on_redis_are_shared_bound_to_their_algorithm_and_removable() {
    keys_shared_bound_and_removable(testing::config).await;
}

#[tokio::test]
async fn keys_on_a_cluster_are_shared_bound_to_their_algorithm_and_removable() {
    keys_shared_bound_and_removable(testing::cluster_config).await;
}

async fn keys_shared_bound_and_removable(target: Target) {
    let config = target("signing-keys");
    let redis = Redis::connect(&config).await.unwrap();
    let resolver = RedisKeyResolver::new(redis.clone());
    let ed = Signer::ed25519("ed-1", Secret::from(ED25519_SEED.to_vec())).unwrap();
    resolver
        .insert(
            &VerificationKey::hmac_sha256("hmac-1", "alice", Secret::from(HMAC_SECRET.to_vec()))
                .unwrap(),
        )
        .await
        .unwrap();
    resolver
        .insert(
            &VerificationKey::ed25519("ed-1", "alice", &ed.ed25519_public_key().unwrap()).unwrap(),
        )
        .await
        .unwrap();
    let verifier = Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        RedisKeyResolver::new(Redis::connect(&config).await.unwrap()),
        RedisNonceStore::new(redis.clone()),
    )
    .clock(SystemClock::new());
    let verified = verifier.verify(&signed(&now_signer()), BODY).await.unwrap();
    assert_eq!(
        (verified.key_id.as_str(), verified.owner.as_str()),
        ("hmac-1", "alice")
    );
    assert!(verifier.verify(&signed(&ed), BODY).await.is_ok());

    // An Ed25519 signature naming the HMAC key is refused.
    let confused = Signer::ed25519("hmac-1", Secret::from(ED25519_SEED.to_vec())).unwrap();
    assert_eq!(
        verifier
            .verify(&signed(&confused), BODY)
            .await
            .unwrap_err()
            .reason(),
        Reason::WrongAlgorithm
    );

    // Removed: unknown from now on, on every instance.
    assert!(resolver.remove("hmac-1").await.unwrap());
    assert!(!resolver.remove("hmac-1").await.unwrap());
    assert_eq!(
        verifier
            .verify(&signed(&now_signer()), BODY)
            .await
            .unwrap_err()
            .reason(),
        Reason::UnknownKey
    );

    // A corrupt record fails closed.
    let mut hset = redis::cmd("HSET");
    hset.arg(redis.key(&["signing-key", "broken"]))
        .arg("alg")
        .arg("rot13");
    let _: i64 = redis.run(&hset).await.unwrap();
    let broken = Signer::hmac_sha256("broken", Secret::from(HMAC_SECRET.to_vec())).unwrap();
    let err = verifier.verify(&signed(&broken), BODY).await.unwrap_err();
    assert_eq!(err.reason(), Reason::KeyStoreUnavailable);
    assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
}

#[tokio::test]
async fn a_redis_that_is_down_fails_closed_with_503() {
    let mut server = OwnServer::start();
    let config = RedisConfig::new(&server.url())
        .unwrap()
        .command_timeout(Duration::from_millis(200))
        .unwrap();
    let redis = Redis::connect(&config).await.unwrap();
    let verifier = Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        keys(),
        RedisNonceStore::new(redis.clone()),
    );
    assert!(verifier.verify(&signed(&now_signer()), BODY).await.is_ok());
    server.kill();
    let err = verifier
        .verify(&signed(&now_signer()), BODY)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::NonceStoreUnavailable);
    assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
    let on_redis_keys = Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        RedisKeyResolver::new(redis),
        nonces(&clock()),
    );
    let err = on_redis_keys
        .verify(&signed(&now_signer()), BODY)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::KeyStoreUnavailable);
}

/// The key resolver and the nonce store behind an open breaker: Redis is
/// back, but both answer at once and send it nothing, and the verifier
/// refuses with 503 as when Redis is down; after the cool-down they ask
/// Redis again.
#[tokio::test]
async fn an_open_breaker_answers_without_a_round_trip() {
    use shieldwall_signing::{KeyResolver, NonceStore};

    let mut rig = testing::BreakerRig::start().await;
    let nonces = RedisNonceStore::new(rig.redis.clone());
    let resolver = RedisKeyResolver::new(rig.redis.clone());
    let on_redis_nonces = Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        keys(),
        nonces.clone(),
    );
    let on_redis_keys = Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        resolver.clone(),
        common::nonces(&clock()),
    );
    let ttl = Duration::from_secs(60);
    rig.open_breaker(|| resolver.resolve("hmac-1")).await;
    for i in 0..10 {
        let error = resolver.resolve("hmac-1").await.unwrap_err();
        assert!(testing::circuit_open(&error), "{error:?}");
        let nonce = format!("nonce-{i:012}");
        let error = nonces
            .remember_nonce("hmac-1", &nonce, ttl)
            .await
            .unwrap_err();
        assert!(testing::circuit_open(&error), "{error:?}");
        let err = on_redis_nonces
            .verify(&signed(&now_signer()), BODY)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), Reason::NonceStoreUnavailable);
        assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
        let err = on_redis_keys
            .verify(&signed(&now_signer()), BODY)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), Reason::KeyStoreUnavailable);
    }
    assert_eq!(rig.commands_run().await, Default::default());
    assert!(
        rig.close_breaker(|| resolver.resolve("hmac-1"))
            .await
            .is_none()
    );
    assert!(
        nonces
            .remember_nonce("hmac-1", "nonce-after-000", ttl)
            .await
            .unwrap()
    );
}
