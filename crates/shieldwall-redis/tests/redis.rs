//! Against the real `redis-server` that `cargo xtask test` starts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use shieldwall_errors::{ErrorCode, Rejection};
use shieldwall_redis::{BreakerState, Redis, RedisConfig, RedisError, Script, testing};

async fn connect(name: &str) -> Redis {
    Redis::connect(&testing::config(name))
        .await
        .expect("test redis reachable")
}

#[tokio::test]
async fn health_answers_with_a_round_trip_time() {
    let redis = connect("health").await;
    let rtt = redis.health().await.unwrap();
    assert!(rtt < Duration::from_secs(1), "{rtt:?}");
}

#[tokio::test]
async fn keys_are_prefixed_and_hash_tags_cannot_be_moved() {
    let redis = connect("keys").await;
    let prefix = redis.prefix().to_owned();
    assert_eq!(redis.key(&["rl", "public"]), format!("{prefix}:rl:public"));
    assert_eq!(
        redis.tagged_key("user-1", "tokens"),
        format!("{prefix}:{{user-1}}:tokens")
    );
    assert_eq!(
        redis.tagged_key("a}{b", "x:y"),
        format!("{prefix}:{{a%7D%7Bb}}:x%3Ay")
    );
    // A client-chosen part cannot forge structure: these two differ.
    assert_ne!(redis.key(&["a:b", "c"]), redis.key(&["a", "b:c"]));
    assert_eq!(
        redis.key(&["100%", "{x}"]),
        format!("{prefix}:100%25:%7Bx%7D")
    );

    // Prefixed keys really land in Redis under the prefix.
    let key = redis.key(&["probe"]);
    let _: () = redis
        .run(redis::cmd("SET").arg(&key).arg("v").arg("PX").arg(60_000))
        .await
        .unwrap();
    let value: String = redis.run(redis::cmd("GET").arg(&key)).await.unwrap();
    assert_eq!(value, "v");
    let keys: Vec<String> = redis
        .run(redis::cmd("KEYS").arg(format!("{prefix}:*")))
        .await
        .unwrap();
    assert_eq!(keys, vec![key]);
}

#[tokio::test]
async fn scripts_run_by_sha_and_are_reloaded_after_a_flush() {
    let redis = connect("script").await;
    let script = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let key = redis.key(&["counter"]);
    let first: i64 = redis.run_script(&script, &[&key], &[5]).await.unwrap();
    assert_eq!(first, 5);
    // Redis forgets every script (as after a restart or failover).
    let _: () = redis.run(redis::cmd("SCRIPT").arg("FLUSH")).await.unwrap();
    let exists: Vec<bool> = redis
        .run(redis::cmd("SCRIPT").arg("EXISTS").arg(script.sha()))
        .await
        .unwrap();
    assert_eq!(exists, vec![false]);
    let second: i64 = redis.run_script(&script, &[&key], &[2]).await.unwrap();
    assert_eq!(second, 7);
    let exists: Vec<bool> = redis
        .run(redis::cmd("SCRIPT").arg("EXISTS").arg(script.sha()))
        .await
        .unwrap();
    assert_eq!(exists, vec![true]);
}

#[tokio::test]
async fn a_script_error_is_a_command_error_not_a_panic() {
    let redis = connect("script-error").await;
    let script = Script::new("return redis.error_reply('boom')");
    let err = redis
        .run_script::<i64, &str, i64>(&script, &[], &[])
        .await
        .unwrap_err();
    assert!(matches!(err, RedisError::Command(_)), "{err:?}");
    assert!(!err.is_unavailable());
}

#[tokio::test]
async fn a_slow_command_times_out() {
    let config = testing::config("timeout")
        .command_timeout(Duration::from_millis(100))
        .unwrap();
    let redis = Redis::connect(&config).await.unwrap();
    let started = Instant::now();
    // BLPOP blocks for 1 s on an empty list: longer than the timeout.
    let err = redis
        .run::<Option<(String, String)>>(redis::cmd("BLPOP").arg(redis.key(&["empty"])).arg(1))
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let api = err.into_api_error();
    assert_eq!(api.code(), ErrorCode::ServiceUnavailable);
}

#[tokio::test]
async fn the_connection_comes_back_after_the_server_drops_it() {
    let redis = connect("reconnect").await;
    let id: i64 = redis
        .run(&redis::cmd("CLIENT").arg("ID").to_owned())
        .await
        .unwrap();
    // Drop exactly our multiplexed connection, from another connection.
    let mut other = redis.pool().unwrap().get().await.unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query_async(&mut *other)
        .await
        .unwrap();
    assert_eq!(killed, 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match redis.health().await {
            Ok(_) => break,
            Err(err) if Instant::now() < deadline => {
                assert!(err.is_unavailable(), "{err:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("no reconnection within 5 s: {err}"),
        }
    }
    let new_id: i64 = redis
        .run(&redis::cmd("CLIENT").arg("ID").to_owned())
        .await
        .unwrap();
    assert_ne!(new_id, id);
}

#[tokio::test]
async fn the_pool_hands_out_dedicated_connections() {
    let redis = connect("pool").await;
    let mut a = redis.pool().unwrap().get().await.unwrap();
    let mut b = redis.pool().unwrap().get().await.unwrap();
    let id_a: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut *a)
        .await
        .unwrap();
    let id_b: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut *b)
        .await
        .unwrap();
    assert_ne!(id_a, id_b);
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_and_names_no_secret() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://:s3cret-password@127.0.0.1:{port}/0");
    let config = RedisConfig::new(&url)
        .unwrap()
        .connect_timeout(Duration::from_millis(500))
        .unwrap();
    assert!(!format!("{config:?}").contains("s3cret"));
    let started = Instant::now();
    let err = Redis::connect(&config).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_unavailable(), "{err:?}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[test]
fn configuration_is_checked_when_built() {
    assert!(RedisConfig::new("http://example.com").is_err());
    let ok = RedisConfig::new("redis://127.0.0.1:6379").unwrap();
    assert!(ok.clone().key_prefix("").is_err());
    assert!(ok.clone().key_prefix("a{b}").is_err());
    assert!(ok.clone().key_prefix("has space").is_err());
    assert!(ok.clone().key_prefix(&"x".repeat(65)).is_err());
    assert!(ok.clone().command_timeout(Duration::ZERO).is_err());
    assert!(ok.key_prefix("app-1").is_ok());
}

/// The breaker on a real server: Redis dies, the breaker opens; Redis comes
/// back, and until the cool-down ends (on a manual clock) it is not asked:
/// every command fails at once, and the server counts none of them; then one
/// probe asks it, and its answer closes the breaker.
#[tokio::test]
async fn an_open_breaker_answers_without_a_round_trip_until_the_cooldown_ends() {
    let mut rig = testing::BreakerRig::start().await;
    let redis = rig.redis.clone();
    let command = redis::cmd("GET").arg("k").to_owned();
    let get = || redis.run::<Option<String>>(&command);
    assert_eq!(get().await.unwrap(), None);
    rig.open_breaker(get).await;
    assert_eq!(redis.breaker_state(), BreakerState::Open);
    for _ in 0..20 {
        let err = get().await.unwrap_err();
        assert!(err.is_circuit_open(), "{err:?}");
        assert!(err.is_unavailable());
        // Converted for a store: core's StoreError, 503, the cause kept as its source.
        let store: shieldwall_core::StoreError = err.into();
        assert_eq!(store.into_api_error().status(), 503);
    }
    assert_eq!(rig.commands_run().await, Default::default());
    // Background work is outside the breaker: a subscription still connects,
    // and an audit-style command still reaches Redis, while requests are
    // refused.
    assert!(redis.pubsub().await.is_ok());
    // (The connection may still be reconnecting to the restarted server:
    // asked again until it answers, never refused.)
    let mut connection = redis.connection();
    let mut outside = None;
    for _ in 0..100 {
        match redis
            .with_timeout_outside_breaker(command.query_async::<Option<String>>(&mut connection))
            .await
        {
            Ok(answer) => {
                outside = Some(answer);
                break;
            }
            Err(err) => {
                assert!(!err.is_circuit_open(), "{err:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    assert_eq!(outside, Some(None));
    assert_eq!(redis.breaker_state(), BreakerState::Open);
    assert!(get().await.unwrap_err().is_circuit_open());
    // Every clone of the handle shares the one breaker.
    assert!(redis.clone().health().await.unwrap_err().is_circuit_open());
    rig.close_breaker(get).await;
    assert!(rig.commands_run().await.get("get").is_some_and(|n| *n >= 2));
}

#[test]
fn the_breaker_is_configured_when_built() {
    let ok = RedisConfig::new("redis://127.0.0.1:6379").unwrap();
    assert!(ok.clone().breaker_cooldown(Duration::ZERO).is_err());
    assert!(matches!(
        ok.clone().breaker_cooldown(Duration::MAX),
        Err(shieldwall_redis::RedisConfigError::CooldownTooLong)
    ));
    assert!(
        ok.clone()
            .breaker_cooldown(shieldwall_redis::MAX_BREAKER_COOLDOWN)
            .is_ok()
    );
    let config = ok
        .breaker_threshold(std::num::NonZeroU32::new(2).unwrap())
        .breaker_cooldown(Duration::from_millis(300))
        .unwrap();
    assert!(format!("{config:?}").contains("breaker_threshold: 2"));
}
