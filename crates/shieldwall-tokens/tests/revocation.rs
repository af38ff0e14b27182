//! One conformance suite for every revocation store: memory, and Redis (the
//! real `redis-server` the test command started). Then what the verifier does
//! when Redis dies: 503, never a token let through.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::future::Future;
use std::time::{Duration, SystemTime};

use shieldwall_core::{Clock, ManualClock};
use shieldwall_tokens::{MemoryRevocations, RevocationStore};

/// The behaviour every store must have. `now` reads the store's clock;
/// `pass` moves time on by at least the given duration.
async fn conformance<S, F, Fut>(store: &S, tag: &str, now: impl Fn() -> SystemTime, pass: F)
where
    S: RevocationStore,
    F: Fn(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    let jti = |name: &str| format!("{tag}-{name}");
    let later = |secs| now() + Duration::from_secs(secs);

    assert!(
        !store.is_revoked(&jti("fresh")).await.unwrap(),
        "a fresh jti is not revoked"
    );

    store.revoke(&jti("a"), later(600)).await.unwrap();
    assert!(store.is_revoked(&jti("a")).await.unwrap(), "revoked");
    assert!(
        !store.is_revoked(&jti("b")).await.unwrap(),
        "another jti is untouched"
    );
    store.revoke(&jti("a"), later(600)).await.unwrap();
    assert!(
        store.is_revoked(&jti("a")).await.unwrap(),
        "revoking twice is harmless"
    );

    store
        .revoke(&jti("past"), now() - Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        !store.is_revoked(&jti("past")).await.unwrap(),
        "an until in the past stores nothing"
    );

    for odd in [":", "a:b", "{x}", "%3A", "é✓", &"j".repeat(256), "*", "a b"] {
        let id = jti(odd);
        store.revoke(&id, later(600)).await.unwrap();
        assert!(store.is_revoked(&id).await.unwrap(), "{odd:?}");
    }
    // Escaping keeps distinct ids distinct.
    store
        .revoke(&format!("{tag}-x:y"), later(600))
        .await
        .unwrap();
    assert!(!store.is_revoked(&format!("{tag}-x%3Ay")).await.unwrap());

    store.revoke(&jti("short"), later(2)).await.unwrap();
    assert!(store.is_revoked(&jti("short")).await.unwrap());
    pass(Duration::from_secs(3)).await;
    assert!(
        !store.is_revoked(&jti("short")).await.unwrap(),
        "a revocation ends at its token's expiry"
    );
    assert!(
        store.is_revoked(&jti("a")).await.unwrap(),
        "a longer one is still there"
    );
}

#[tokio::test]
async fn memory_store_conforms() {
    let clock = ManualClock::at_unix_seconds(1_800_000_000);
    let store = MemoryRevocations::with_clock(clock.clone());
    let reader = clock.clone();
    conformance(
        &store,
        "mem",
        move || reader.now(),
        |d| {
            clock.advance(d);
            async {}
        },
    )
    .await;
}

#[tokio::test]
async fn memory_store_purges_expired_entries() {
    let clock = ManualClock::at_unix_seconds(1_800_000_000);
    let store = MemoryRevocations::with_clock(clock.clone());
    for i in 0..1023 {
        store
            .revoke(&format!("j{i}"), clock.now() + Duration::from_secs(10))
            .await
            .unwrap();
    }
    clock.advance(Duration::from_secs(20));
    store
        .revoke("fresh", clock.now() + Duration::from_secs(10))
        .await
        .unwrap();
    store
        .revoke("fresh2", clock.now() + Duration::from_secs(10))
        .await
        .unwrap();
    assert!(store.len() <= 2, "{}", store.len());
}

#[cfg(feature = "redis")]
mod on_redis {
    use super::*;
    use shieldwall_core::Secret;
    use shieldwall_redis::{Redis, testing};
    use shieldwall_tokens::RedisRevocations;
    use shieldwall_tokens::{
        Algorithm, Issuer, KeySet, SigningKey, TokenErrorKind, Verifier, VerifyingKey,
    };

    async fn store(name: &str) -> RedisRevocations {
        RedisRevocations::new(Redis::connect(&testing::config(name)).await.unwrap())
    }

    #[tokio::test]
    async fn redis_store_conforms() {
        let store = store("revocations").await;
        conformance(&store, "redis", SystemTime::now, tokio::time::sleep).await;
    }

    fn keys() -> KeySet {
        KeySet::new([VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![3_u8; 32])).unwrap()])
            .unwrap()
    }

    fn issuer() -> Issuer {
        Issuer::builder(SigningKey::hmac(Algorithm::HS256, &Secret::from(vec![3_u8; 32])).unwrap())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_revocation_on_one_instance_stops_the_token_on_another_at_once() {
        let config = testing::config("two-instances");
        let a = Verifier::builder(
            keys(),
            RedisRevocations::new(Redis::connect(&config).await.unwrap()),
        )
        .build()
        .unwrap();
        let b = Verifier::builder(
            keys(),
            RedisRevocations::new(Redis::connect(&config).await.unwrap()),
        )
        .build()
        .unwrap();
        let token = issuer().issue("user-1", &[]).unwrap();
        // Both instances accept it, and now hold it in their caches.
        a.verify(token.token()).await.unwrap();
        let verified = b.verify(token.token()).await.unwrap();
        b.revoke(&verified).await.unwrap();
        assert_eq!(
            a.verify(token.token()).await.unwrap_err().kind(),
            TokenErrorKind::Revoked
        );
        assert_eq!(
            b.verify(token.token()).await.unwrap_err().kind(),
            TokenErrorKind::Revoked
        );
    }

    #[tokio::test]
    async fn when_redis_dies_tokens_are_refused_with_503_never_let_through() {
        let mut server = testing::OwnServer::start();
        let config = shieldwall_redis::RedisConfig::new(&server.url())
            .unwrap()
            .command_timeout(Duration::from_millis(300))
            .unwrap();
        let verifier = Verifier::builder(
            keys(),
            RedisRevocations::new(Redis::connect(&config).await.unwrap()),
        )
        .build()
        .unwrap();
        let token = issuer().issue("user-1", &[]).unwrap();
        verifier.verify(token.token()).await.unwrap();

        server.kill();
        // Cached or not, the revocation check runs, and fails closed.
        let error = verifier.verify(token.token()).await.unwrap_err();
        assert_eq!(error.kind(), TokenErrorKind::StoreUnavailable);
        use shieldwall_errors::Rejection;
        let api = error.into_api_error();
        assert_eq!(api.status(), 503);
        assert!(api.headers().get("www-authenticate").is_none());
        let fresh = issuer().issue("user-2", &[]).unwrap();
        assert_eq!(
            verifier.verify(fresh.token()).await.unwrap_err().kind(),
            TokenErrorKind::StoreUnavailable
        );
    }
}
