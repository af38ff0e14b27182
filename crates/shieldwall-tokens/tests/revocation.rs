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
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwall_core::{Clock, ManualClock, Secret};
use shieldwall_tokens::{
    Algorithm, Issuer, KeySet, MemoryRevocations, REVOCATION_MARGIN, RevocationStore, SigningKey,
    TokenErrorKind, Verifier, VerifyingKey,
};

const LEEWAY: i64 = 30;
const TTL: i64 = 100;
/// The largest leeway a verifier accepts: revocations are kept past it.
const MAX_LEEWAY: i64 = 300;

fn unix(time: SystemTime) -> i64 {
    i64::try_from(time.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

fn at(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap())
}

fn hs256_keys() -> KeySet {
    KeySet::new([VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![3_u8; 32])).unwrap()])
        .unwrap()
}

fn issuer_at(clock: &ManualClock) -> Issuer {
    Issuer::builder(SigningKey::hmac(Algorithm::HS256, &Secret::from(vec![3_u8; 32])).unwrap())
        .ttl(Duration::from_secs(TTL.unsigned_abs()))
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// The rule: a revoked token is refused at every instant at which the
/// verifier would otherwise accept it, the clock leeway after `exp` included,
/// and a logout sent inside that leeway revokes too. `clock` drives the
/// verifier (and, for the memory store, the store). Returns the verifier and
/// the `jti`s revoked, with the horizon the verifier chose for each.
async fn revoked_through_the_leeway<R: RevocationStore>(
    revocations: R,
    clock: &ManualClock,
) -> (Verifier<R>, Vec<(String, i64)>) {
    let verifier = Verifier::builder(hs256_keys(), revocations)
        .leeway(Duration::from_secs(LEEWAY.unsigned_abs()))
        .clock(clock.clone())
        .build()
        .unwrap();
    let start = clock.now();
    let token = issuer_at(clock).issue("user-1", &[]).unwrap();
    let exp = unix(token.expires_at());
    assert_eq!(exp, unix(start) + TTL);
    let verified = verifier.verify(token.token()).await.unwrap();
    verifier.revoke(&verified).await.unwrap();
    let horizon = unix(verifier.revocation_horizon(&verified));
    let margin = i64::try_from(REVOCATION_MARGIN.as_secs()).unwrap();
    assert_eq!(horizon, exp + MAX_LEEWAY + 1 + margin);
    for (t, expected) in [
        (exp - 1, TokenErrorKind::Revoked),
        (exp, TokenErrorKind::Revoked),
        (exp + LEEWAY - 1, TokenErrorKind::Revoked),
        (exp + LEEWAY, TokenErrorKind::Revoked),
        (exp + LEEWAY + 1, TokenErrorKind::Expired),
    ] {
        clock.set(at(t));
        assert_eq!(
            verifier.verify(token.token()).await.unwrap_err().kind(),
            expected,
            "at exp{:+}",
            t - exp
        );
    }
    // A logout inside the leeway (the token is past exp, still accepted) revokes.
    clock.set(start);
    let late = issuer_at(clock).issue("user-2", &[]).unwrap();
    clock.set(at(exp + LEEWAY - 5));
    let late_verified = verifier.verify(late.token()).await.unwrap();
    verifier.revoke(&late_verified).await.unwrap();
    for t in [exp + LEEWAY - 5, exp + LEEWAY] {
        clock.set(at(t));
        assert_eq!(
            verifier.verify(late.token()).await.unwrap_err().kind(),
            TokenErrorKind::Revoked,
            "late logout, at exp{:+}",
            t - exp
        );
    }
    // The maximum age bounds the horizon too: a token accepted until
    // iat + max_age + leeway is revoked until just after that.
    clock.set(start);
    let capped = Verifier::builder(hs256_keys(), MemoryRevocations::with_clock(clock.clone()))
        .leeway(Duration::from_secs(LEEWAY.unsigned_abs()))
        .max_age(Some(Duration::from_secs(40)))
        .clock(clock.clone())
        .build()
        .unwrap();
    let young = capped.verify(token.token()).await.unwrap();
    assert_eq!(
        unix(capped.revocation_horizon(&young)),
        unix(start) + 40 + MAX_LEEWAY + 1 + margin
    );
    clock.set(start);
    let revoked = vec![
        (verified.jti().unwrap().to_owned(), horizon),
        (late_verified.jti().unwrap().to_owned(), horizon),
    ];
    (verifier, revoked)
}

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
async fn memory_store_keeps_a_revocation_through_the_leeway() {
    let clock = ManualClock::at_unix_seconds(1_800_000_000);
    let (verifier, revoked) =
        revoked_through_the_leeway(MemoryRevocations::with_clock(clock.clone()), &clock).await;
    let store = verifier.revocations();
    // The store forgets them at the horizon, not before.
    for (jti, horizon) in revoked {
        clock.set(at(horizon - 1));
        assert!(store.is_revoked(&jti).await.unwrap(), "{jti}");
        clock.set(at(horizon));
        assert!(!store.is_revoked(&jti).await.unwrap(), "{jti}");
    }
}

#[tokio::test]
async fn a_revocation_by_a_strict_verifier_holds_for_a_lenient_one() {
    // Two verifiers on one store (two instances, or an app's own verifier
    // beside an identity provider's): the one that revokes has no leeway,
    // the other the most there is.
    let clock = ManualClock::at_unix_seconds(1_800_000_000);
    let store = std::sync::Arc::new(MemoryRevocations::with_clock(clock.clone()));
    let verifier = |leeway: u64| {
        Verifier::builder(hs256_keys(), std::sync::Arc::clone(&store))
            .leeway(Duration::from_secs(leeway))
            .clock(clock.clone())
            .build()
            .unwrap()
    };
    let (strict, lenient) = (verifier(0), verifier(300));
    let token = issuer_at(&clock).issue("user-1", &[]).unwrap();
    let exp = unix(token.expires_at());
    let verified = strict.verify(token.token()).await.unwrap();
    strict.revoke(&verified).await.unwrap();
    for t in [exp + 1, exp + 299, exp + 300] {
        clock.set(at(t));
        assert_eq!(
            lenient.verify(token.token()).await.unwrap_err().kind(),
            TokenErrorKind::Revoked,
            "at exp{:+}",
            t - exp
        );
    }
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
    use shieldwall_redis::{Redis, testing};
    use shieldwall_tokens::RedisRevocations;

    /// Polls `check` every 10 ms for up to `within`: whether it came true.
    async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if check().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        check().await
    }

    /// A store whose replica answers (subscribed, the whole set read).
    async fn replicated(redis: Redis) -> RedisRevocations {
        let store = RedisRevocations::new(redis);
        assert!(
            eventually(Duration::from_secs(5), || async { store.replica_active() }).await,
            "the replica never became active"
        );
        store
    }

    #[tokio::test]
    async fn redis_store_conforms() {
        conforms(testing::config("revocations")).await;
    }

    #[tokio::test]
    async fn redis_store_conforms_on_a_cluster() {
        conforms(testing::cluster_config("revocations")).await;
    }

    async fn conforms(config: shieldwall_redis::RedisConfig) {
        // Asking Redis each time, then answering from the replica.
        let redis = Redis::connect(&config).await.unwrap();
        let store = RedisRevocations::without_replica(redis.clone());
        conformance(&store, "redis", SystemTime::now, tokio::time::sleep).await;
        let store = replicated(redis).await;
        conformance(&store, "replica", SystemTime::now, tokio::time::sleep).await;
        assert!(store.replica_active());
    }

    /// Checks answered from the replica send Redis nothing; another
    /// instance's revocation reaches it by pub/sub, and one written while it
    /// did not listen (a lost message) by the full read after it listens
    /// again.
    #[tokio::test]
    async fn the_replica_answers_without_a_round_trip_and_catches_up() {
        let server = testing::OwnServer::start();
        let config = shieldwall_redis::RedisConfig::new(&server.url()).unwrap();
        let redis = Redis::connect(&config).await.unwrap();
        let a = replicated(redis.clone()).await;
        let b = replicated(Redis::connect(&config).await.unwrap()).await;
        let until = SystemTime::now() + Duration::from_secs(600);
        a.revoke("jti:1", until).await.unwrap();
        assert!(a.is_revoked("jti:1").await.unwrap(), "its own at once");
        assert!(
            eventually(Duration::from_secs(1), || async {
                b.is_revoked("jti:1").await.unwrap()
            })
            .await,
            "another instance's within a second"
        );
        let exists = |stats: &std::collections::HashMap<String, testing::CommandStat>| {
            stats.get("exists").map_or(0, |s| s.calls)
        };
        let before = exists(&testing::command_stats(&redis).await.unwrap());
        for i in 0..200 {
            let jti = if i % 2 == 0 { "jti:1" } else { "jti:2" };
            assert_eq!(b.is_revoked(jti).await.unwrap(), i % 2 == 0);
        }
        let after = exists(&testing::command_stats(&redis).await.unwrap());
        assert_eq!(after, before, "no EXISTS while the replica answers");

        // Written without a message: the replica cannot know yet.
        let mut set = shieldwall_redis::redis::cmd("SET");
        let far = unix(until);
        set.arg(redis.key(&["revoked", "lost"]))
            .arg("1")
            .arg("EXAT")
            .arg(far);
        let _: String = redis.run(&set).await.unwrap();
        assert!(!b.is_revoked("lost").await.unwrap(), "answered from memory");
        // Its subscription cut: it asks Redis meanwhile, then reads the
        // whole set again.
        let mut kill = shieldwall_redis::redis::cmd("CLIENT");
        kill.arg("KILL").arg("TYPE").arg("pubsub");
        let _: i64 = redis.run(&kill).await.unwrap();
        assert!(
            eventually(Duration::from_secs(5), || async {
                b.replica_active() && b.is_revoked("lost").await.unwrap()
            })
            .await,
            "the full read after subscribing again holds what was missed"
        );
    }

    /// Redis gone: a revoked token is never let through (the replica's
    /// answer while it still trusts itself, then 503 once it knows).
    #[tokio::test]
    async fn with_redis_gone_the_replica_stops_answering() {
        let mut server = testing::OwnServer::start();
        let config = shieldwall_redis::RedisConfig::new(&server.url())
            .unwrap()
            .command_timeout(Duration::from_millis(300))
            .unwrap();
        let store = replicated(Redis::connect(&config).await.unwrap()).await;
        store
            .revoke("gone", SystemTime::now() + Duration::from_secs(600))
            .await
            .unwrap();
        server.kill();
        assert!(
            store.is_revoked("gone").await.unwrap_or(true),
            "revoked, or unknown: never let through"
        );
        assert!(
            eventually(Duration::from_secs(5), || async { !store.replica_active() }).await,
            "the replica stops answering once its subscription is gone"
        );
        assert!(
            store.is_revoked("gone").await.unwrap(),
            "a revocation the replica holds still refuses its token"
        );
        assert!(
            store.is_revoked("never-revoked").await.is_err(),
            "anything else fails closed"
        );
    }

    /// A revocation written without a message (an older version's script
    /// during a rolling upgrade, or by hand) is found by the periodic
    /// reread; one without an expiry is revoked for good.
    #[tokio::test]
    async fn revocations_written_without_a_message_are_reread() {
        written_without_a_message_are_reread(testing::config("revocation-reread")).await;
    }

    /// On a cluster the reread walks every primary: one revocation on each.
    #[tokio::test]
    async fn revocations_written_without_a_message_are_reread_on_a_cluster() {
        written_without_a_message_are_reread(testing::cluster_config("revocation-reread")).await;
    }

    async fn written_without_a_message_are_reread(config: shieldwall_redis::RedisConfig) {
        let redis = Redis::connect(&config).await.unwrap();
        let mut set = shieldwall_redis::redis::cmd("SET");
        set.arg(redis.key(&["revoked", "forever"])).arg("1");
        let _: String = redis.run(&set).await.unwrap();
        let store = RedisRevocations::with_replica(redis.clone(), 1000, Duration::from_secs(1));
        assert!(eventually(Duration::from_secs(5), || async { store.replica_active() }).await);
        assert!(
            store.is_revoked("forever").await.unwrap(),
            "no expiry: for good"
        );
        store
            .revoke("forever", SystemTime::now() + Duration::from_secs(60))
            .await
            .unwrap();
        assert!(store.is_revoked("forever").await.unwrap());

        // On a cluster, one revocation on each primary (the test cluster's
        // three split the slots evenly, as `redis-cli --cluster create` does).
        let quiet = if redis.is_cluster() {
            one_per_primary(&redis).await
        } else {
            vec!["quiet".to_owned()]
        };
        for jti in &quiet {
            let mut set = shieldwall_redis::redis::cmd("SET");
            set.arg(redis.key(&["revoked", jti]))
                .arg("1")
                .arg("EX")
                .arg(600);
            let _: String = redis.run(&set).await.unwrap();
        }
        for jti in &quiet {
            assert!(
                eventually(Duration::from_secs(4), || async {
                    store.is_revoked(jti).await.unwrap()
                })
                .await,
                "the reread (every second here) finds {jti}"
            );
        }
        assert!(store.replica_active());
    }

    /// Token ids whose revocation keys fall one in each third of the slots.
    async fn one_per_primary(redis: &Redis) -> Vec<String> {
        let mut found: [Option<String>; 3] = [None, None, None];
        for n in 0..1000 {
            let jti = format!("quiet-{n}");
            let mut keyslot = shieldwall_redis::redis::cmd("CLUSTER");
            keyslot.arg("KEYSLOT").arg(redis.key(&["revoked", &jti]));
            let slot: u16 = redis.run(&keyslot).await.unwrap();
            let third = match slot {
                0..=5460 => 0,
                5461..=10922 => 1,
                _ => 2,
            };
            if let Some(slot) = found.get_mut(third) {
                slot.get_or_insert(jti);
            }
            if found.iter().all(Option::is_some) {
                break;
            }
        }
        found.into_iter().map(Option::unwrap).collect()
    }

    /// A Redis user without the channel permission (Redis 7's default for
    /// new ACL users) still revokes; it has no replica, every check asks
    /// Redis.
    #[tokio::test]
    async fn a_user_without_channel_permission_still_revokes() {
        let server = testing::OwnServer::start();
        let admin = Redis::connect(&shieldwall_redis::RedisConfig::new(&server.url()).unwrap())
            .await
            .unwrap();
        let mut acl = shieldwall_redis::redis::cmd("ACL");
        acl.arg("SETUSER")
            .arg("app")
            .arg("on")
            .arg(">app-password-1")
            .arg("~*")
            .arg("+@all")
            .arg("resetchannels");
        let _: String = admin.run(&acl).await.unwrap();
        let url = server
            .url()
            .replace("redis://", "redis://app:app-password-1@");
        let redis = Redis::connect(&shieldwall_redis::RedisConfig::new(&url).unwrap())
            .await
            .unwrap();
        let store = RedisRevocations::new(redis);
        store
            .revoke("acl", SystemTime::now() + Duration::from_secs(600))
            .await
            .unwrap();
        assert!(store.is_revoked("acl").await.unwrap());
        assert!(!store.is_revoked("other").await.unwrap());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!store.replica_active(), "it cannot subscribe");
    }

    /// After Redis restarts (its data gone), the replica is back within
    /// seconds, not at the next reread; a revocation made before is never
    /// taken back (not while the replica resynchronises, not after), and
    /// Redis is given it back, so that a store started afterwards sees it.
    #[tokio::test]
    async fn after_a_restart_the_replica_is_back_within_seconds() {
        let mut server = testing::OwnServer::start();
        let config = shieldwall_redis::RedisConfig::new(&server.url()).unwrap();
        let store = replicated(Redis::connect(&config).await.unwrap()).await;
        let until = SystemTime::now() + Duration::from_secs(600);
        store.revoke("before", until).await.unwrap();
        server.restart();
        let mut checks = 0_u32;
        assert!(
            eventually(Duration::from_secs(3), || {
                checks += 1;
                let store = &store;
                async move {
                    assert!(
                        store.is_revoked("before").await.unwrap(),
                        "taken back while the replica resynchronises"
                    );
                    !store.replica_active()
                }
            })
            .await
        );
        assert!(
            eventually(Duration::from_secs(10), || async {
                assert!(store.is_revoked("before").await.unwrap());
                store.replica_active()
            })
            .await,
            "back after the restart"
        );
        let later = RedisRevocations::without_replica(Redis::connect(&config).await.unwrap());
        assert!(
            eventually(Duration::from_secs(5), || async {
                later.is_revoked("before").await.unwrap_or(false)
            })
            .await,
            "the revocation is given back to the emptied Redis ({checks} checks before)"
        );
        let admin = Redis::connect(&config).await.unwrap();
        let mut expiretime = shieldwall_redis::redis::cmd("EXPIRETIME");
        expiretime.arg(admin.key(&["revoked", "before"]));
        let restored_until: i64 = admin.run(&expiretime).await.unwrap();
        assert_eq!(
            restored_until,
            unix(until),
            "given back with the same end, not for good"
        );
        store
            .revoke("after", SystemTime::now() + Duration::from_secs(600))
            .await
            .unwrap();
        assert!(store.is_revoked("after").await.unwrap());
    }

    /// Past its capacity the replica stops answering; every check asks
    /// Redis and is right.
    #[tokio::test]
    async fn a_full_replica_hands_checks_to_redis() {
        let redis = Redis::connect(&testing::config("revocation-full"))
            .await
            .unwrap();
        let store = RedisRevocations::with_replica(redis, 3, Duration::from_secs(30));
        assert!(eventually(Duration::from_secs(5), || async { store.replica_active() }).await);
        let until = SystemTime::now() + Duration::from_secs(600);
        for i in 0..5 {
            store.revoke(&format!("full-{i}"), until).await.unwrap();
        }
        assert!(!store.replica_active());
        for i in 0..5 {
            assert!(store.is_revoked(&format!("full-{i}")).await.unwrap());
        }
        assert!(!store.is_revoked("full-9").await.unwrap());
    }

    #[tokio::test]
    async fn redis_store_keeps_a_revocation_through_the_leeway() {
        let config = testing::config("revocation-leeway");
        let redis = Redis::connect(&config).await.unwrap();
        // The verifier's clock starts at the real time: Redis expires keys on its own clock.
        let clock = ManualClock::at_unix_seconds(unix(SystemTime::now()).unsigned_abs());
        let (_, revoked) =
            revoked_through_the_leeway(RedisRevocations::new(redis.clone()), &clock).await;
        for (jti, horizon) in revoked {
            let mut expiretime = shieldwall_redis::redis::cmd("EXPIRETIME");
            expiretime.arg(redis.key(&["revoked", &jti]));
            let expires: i64 = redis.run(&expiretime).await.unwrap();
            assert_eq!(
                expires, horizon,
                "Redis drops {jti} at the horizon, not before"
            );
        }
    }

    #[tokio::test]
    async fn a_far_future_revocation_is_stored() {
        let redis = Redis::connect(&testing::config("revocation-far"))
            .await
            .unwrap();
        let verifier = Verifier::builder(hs256_keys(), RedisRevocations::new(redis.clone()))
            .max_age(None)
            .build()
            .unwrap();
        let far = shieldwall_tokens::NumericDate::from_unix_seconds(i64::MAX);
        verifier.revoke_jti("far", far).await.unwrap();
        assert!(verifier.revocations().is_revoked("far").await.unwrap());
        // A time past what Redis accepts, given to the store directly.
        let store = RedisRevocations::new(redis);
        let beyond = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        store.revoke("beyond", beyond).await.unwrap();
        assert!(store.is_revoked("beyond").await.unwrap());
    }

    #[tokio::test]
    async fn a_second_revocation_never_shortens_the_first() {
        let redis = Redis::connect(&testing::config("revocation-longest"))
            .await
            .unwrap();
        let store = RedisRevocations::new(redis.clone());
        let now = unix(SystemTime::now());
        store.revoke("j", at(now + 600)).await.unwrap();
        store.revoke("j", at(now + 60)).await.unwrap();
        let mut expiretime = shieldwall_redis::redis::cmd("EXPIRETIME");
        expiretime.arg(redis.key(&["revoked", "j"]));
        let expires: i64 = redis.run(&expiretime).await.unwrap();
        assert_eq!(expires, now + 600);
        store.revoke("j", at(now + 900)).await.unwrap();
        let expires: i64 = redis.run(&expiretime).await.unwrap();
        assert_eq!(expires, now + 900);
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
    async fn a_revocation_on_one_instance_stops_the_token_on_another_within_a_second() {
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
        // Each store answers from its replica when it is up: another
        // instance's revocation arrives by pub/sub.
        assert!(
            eventually(Duration::from_secs(1), || async {
                a.verify(token.token())
                    .await
                    .is_err_and(|e| e.kind() == TokenErrorKind::Revoked)
            })
            .await
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
        // Without a replica: every check asks Redis (the replica's own
        // failure is the test above).
        let verifier = Verifier::builder(
            keys(),
            RedisRevocations::without_replica(Redis::connect(&config).await.unwrap()),
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

    /// The revocation store behind an open breaker: Redis is back, but the
    /// store answers at once and sends it nothing, and the verifier refuses
    /// with 503 as when Redis is down; after the cool-down it asks again.
    #[tokio::test]
    async fn an_open_breaker_answers_without_a_round_trip() {
        let mut rig = testing::BreakerRig::start().await;
        let store = RedisRevocations::without_replica(rig.redis.clone());
        let verifier = Verifier::builder(keys(), store.clone()).build().unwrap();
        let token = issuer().issue("user-1", &[]).unwrap();
        rig.open_breaker(|| store.is_revoked("jti-1")).await;
        for _ in 0..10 {
            let error = store.is_revoked("jti-1").await.unwrap_err();
            assert!(testing::circuit_open(&error), "{error:?}");
            let error = verifier.verify(token.token()).await.unwrap_err();
            assert_eq!(error.kind(), TokenErrorKind::StoreUnavailable);
            use shieldwall_errors::Rejection;
            assert_eq!(error.into_api_error().status(), 503);
        }
        assert_eq!(rig.commands_run().await, Default::default());
        assert!(!rig.close_breaker(|| store.is_revoked("jti-1")).await);
        verifier.verify(token.token()).await.unwrap();
    }

    /// A replica whose follower stopped (its runtime shut down) stops
    /// answering at once: nothing keeps it current any more.
    #[test]
    fn a_replica_whose_follower_stopped_stops_answering() {
        let main = tokio::runtime::Runtime::new().unwrap();
        let redis = main
            .block_on(Redis::connect(&testing::config("revocation-follower")))
            .unwrap();
        let other = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = other.block_on(async {
            let store = RedisRevocations::new(redis.clone());
            assert!(eventually(Duration::from_secs(5), || async { store.replica_active() }).await);
            store
        });
        drop(other);
        assert!(!store.replica_active());
        // It asks Redis now, on the runtime that is still there.
        main.block_on(async {
            let writer = RedisRevocations::without_replica(redis.clone());
            writer
                .revoke("late", SystemTime::now() + Duration::from_secs(600))
                .await
                .unwrap();
            assert!(store.is_revoked("late").await.unwrap());
        });
    }
}
