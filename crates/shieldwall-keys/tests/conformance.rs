//! One behaviour suite for every key store and the manager over it: memory,
//! and Redis (the real `redis-server` the test command started).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::Duration;

use shieldwall_core::{Clock, ManualClock};
use shieldwall_errors::Rejection;
use shieldwall_keys::{ApiKeys, KeyErrorKind, KeyFormat, KeyStore, MemoryKeyStore, NewKey};

fn new_key(owner: &str) -> NewKey {
    NewKey::new(owner, "ci", ["users:read", "users:write"])
}

/// What every store must do, through the manager.
async fn conformance<S: KeyStore>(keys: ApiKeys<S>, clock: &ManualClock, tag: &str) {
    let owner = format!("{tag}-owner");
    let other = format!("{tag}-other");

    // Create, verify, the principal carries owner, key id and scopes.
    let created = keys.create(new_key(&owner)).await.unwrap();
    let created_key = created.key.reveal();
    let record = keys.verify(created_key.as_bytes()).await.unwrap();
    assert_eq!(record.id, created.record.id);
    let principal = record.principal();
    assert_eq!(principal.id(), owner);
    assert_eq!(principal.key_id(), Some(created.record.id.as_str()));
    assert_eq!(principal.scopes(), ["users:read", "users:write"]);
    assert!(record.revoked_at.is_none());

    // The store never holds the key: nothing in the record spells it.
    let text = std::str::from_utf8(created_key.as_bytes()).unwrap();
    assert!(!format!("{:?}", keys.store().find(&record.id).await.unwrap()).contains(&text[16..]));

    // A wrong secret with a valid checksum is refused like an unknown id.
    let (stranger, _) = keys.format().generate();
    assert_eq!(
        keys.verify(stranger.expose()).await.unwrap_err().kind(),
        KeyErrorKind::Invalid
    );

    // Listing is per owner, newest first.
    clock.advance(Duration::from_secs(1));
    let second = keys.create(new_key(&owner)).await.unwrap();
    let second_key = second.key.reveal();
    keys.create(new_key(&other)).await.unwrap();
    let listed: Vec<String> = keys
        .list(&owner)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(
        listed,
        [second.record.id.clone(), created.record.id.clone()]
    );
    assert!(
        keys.list(&format!("{tag}-nobody"))
            .await
            .unwrap()
            .is_empty()
    );

    // Another owner cannot revoke it; the owner can; revoked is invalid.
    assert!(!keys.revoke(&other, &created.record.id).await.unwrap());
    assert!(!keys.revoke(&owner, "000000000000").await.unwrap());
    assert!(keys.verify(created_key.as_bytes()).await.is_ok());
    assert!(keys.revoke(&owner, &created.record.id).await.unwrap());
    let refused = keys.verify(created_key.as_bytes()).await.unwrap_err();
    assert_eq!(refused.kind(), KeyErrorKind::Invalid);
    // One answer for the client; the audit log tells the cause.
    assert_eq!(refused.audit_reason(), Some("key_revoked"));
    assert_eq!(
        refused.clone().into_api_error().reason(),
        Some("key_revoked")
    );
    let revoked = keys
        .store()
        .find(&created.record.id)
        .await
        .unwrap()
        .unwrap();
    assert!(revoked.revoked_at.is_some());

    // Expiry.
    let short = keys
        .create(new_key(&owner).expires_in(Duration::from_secs(60)))
        .await
        .unwrap();
    let short_key = short.key.reveal();
    assert!(keys.verify(short_key.as_bytes()).await.is_ok());
    clock.advance(Duration::from_secs(61));
    let refused = keys.verify(short_key.as_bytes()).await.unwrap_err();
    assert_eq!(refused.kind(), KeyErrorKind::Invalid);
    assert_eq!(refused.audit_reason(), Some("key_expired"));

    // Rotation: a new key at once, the old one until the grace deadline.
    let rotated = keys
        .rotate(&owner, &second.record.id, Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let rotated_key = rotated.key.reveal();
    assert_ne!(rotated.record.id, second.record.id);
    assert_eq!(rotated.record.scopes, second.record.scopes);
    assert!(keys.verify(rotated_key.as_bytes()).await.is_ok());
    assert!(
        keys.verify(second_key.as_bytes()).await.is_ok(),
        "the old key works during the grace period"
    );
    clock.advance(Duration::from_secs(31));
    assert_eq!(
        keys.verify(second_key.as_bytes()).await.unwrap_err().kind(),
        KeyErrorKind::Invalid
    );
    assert!(keys.verify(rotated_key.as_bytes()).await.is_ok());
    assert!(
        keys.rotate(&other, &rotated.record.id, Duration::ZERO)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        keys.rotate(&owner, &created.record.id, Duration::ZERO)
            .await
            .unwrap()
            .is_none(),
        "a revoked key does not rotate"
    );

    // Last use: recorded in memory, written in one batch.
    let now = clock.now();
    for _ in 0..50 {
        keys.verify(rotated_key.as_bytes()).await.unwrap();
    }
    assert!(
        keys.store()
            .find(&rotated.record.id)
            .await
            .unwrap()
            .unwrap()
            .last_used_at
            .is_none()
    );
    keys.flush_last_used().await.unwrap();
    let used = keys
        .store()
        .find(&rotated.record.id)
        .await
        .unwrap()
        .unwrap()
        .last_used_at
        .unwrap();
    let millis =
        |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    assert_eq!(millis(used), millis(now));

    // Odd owners and ids are stored and found intact.
    let odd = format!("{tag}-owner:{{with}}%odd chars");
    let odd_key = keys.create(new_key(&odd)).await.unwrap();
    let odd_text = odd_key.key.reveal();
    assert_eq!(keys.verify(odd_text.as_bytes()).await.unwrap().owner, odd);
    assert_eq!(keys.list(&odd).await.unwrap().len(), 1);
}

fn manager<S: KeyStore>(store: S, clock: &ManualClock) -> ApiKeys<S> {
    ApiKeys::builder(store, KeyFormat::new("sk_test").unwrap())
        .clock(clock.clone())
        .flush_last_used_every(None)
        .build()
}

#[tokio::test]
async fn memory_store_conforms() {
    let clock = ManualClock::at_unix_seconds(1_800_000_000);
    let store = MemoryKeyStore::new();
    conformance(manager(store, &clock), &clock, "mem").await;
}

#[tokio::test]
async fn last_use_is_written_once_per_flush_never_per_request() {
    let clock = ManualClock::at_unix_seconds(1_800_000_000);
    let keys = manager(MemoryKeyStore::new(), &clock);
    let created = keys.create(new_key("u")).await.unwrap();
    let created_key = created.key.reveal();
    for _ in 0..1000 {
        keys.verify(created_key.as_bytes()).await.unwrap();
    }
    assert_eq!(keys.store().last_used_batches(), 0);
    keys.flush_last_used().await.unwrap();
    keys.flush_last_used().await.unwrap(); // nothing pending: no write
    assert_eq!(keys.store().last_used_batches(), 1);
}

#[cfg(feature = "redis")]
mod on_redis {
    use super::*;
    use shieldwall_keys::{RedisKeyStore, RedisKeyStoreConfig};
    use shieldwall_redis::{Redis, testing};

    use shieldwall_redis::RedisConfig;

    /// Where a suite runs: the test server or the test Redis Cluster.
    type Target = fn(&str) -> RedisConfig;

    #[tokio::test]
    async fn redis_store_conforms_without_cache() {
        conforms_without_cache(testing::config).await;
    }

    #[tokio::test]
    async fn redis_store_conforms_without_cache_on_a_cluster() {
        conforms_without_cache(testing::cluster_config).await;
    }

    #[tokio::test]
    async fn redis_store_conforms_with_cache() {
        conforms_with_cache(testing::config).await;
    }

    #[tokio::test]
    async fn redis_store_conforms_with_cache_on_a_cluster() {
        conforms_with_cache(testing::cluster_config).await;
    }

    async fn conforms_without_cache(target: Target) {
        let clock = ManualClock::at_unix_seconds(1_800_000_000);
        let redis = Redis::connect(&target("keys-uncached")).await.unwrap();
        let store = RedisKeyStore::new(redis, RedisKeyStoreConfig::uncached());
        conformance(manager(store, &clock), &clock, "redis").await;
    }

    async fn conforms_with_cache(target: Target) {
        let clock = ManualClock::at_unix_seconds(1_800_000_000);
        let redis = Redis::connect(&target("keys-cached")).await.unwrap();
        let store = RedisKeyStore::new(
            redis,
            RedisKeyStoreConfig::cached_for(Duration::from_secs(60)),
        );
        // Wait for the invalidation subscription, so the cache is really in use.
        for _ in 0..100 {
            if store.cache_active() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(store.cache_active());
        conformance(manager(store, &clock), &clock, "redis-cached").await;
    }
}
