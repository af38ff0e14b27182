//! The Redis stream sink against a real `redis-server`: entries with the
//! event's fields, `MAXLEN` respected, the chain continued from the stream
//! and verified from its entries, and a Redis that dies costing requests
//! nothing while its events are counted as lost.
#![cfg(feature = "redis")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use common::summary;
use shieldwall_audit::testing;
use shieldwall_audit::{
    AuditConfigError, Auditor, BreakKind, Chain, ChainVerifier, RedisStreamSink,
};
use shieldwall_core::{Principal, Secret};
use shieldwall_redis::testing::{self as redis_testing, OwnServer};
use shieldwall_redis::{Redis, RedisConfig, redis};

type Entry = (String, HashMap<String, String>);

async fn entries(redis: &Redis, key: &str) -> Vec<Entry> {
    redis
        .run(redis::cmd("XRANGE").arg(key).arg("-").arg("+"))
        .await
        .unwrap()
}

async fn length(redis: &Redis, key: &str) -> usize {
    redis.run(redis::cmd("XLEN").arg(key)).await.unwrap()
}

async fn delete(redis: &Redis, key: &str) {
    let _: usize = redis.run(redis::cmd("DEL").arg(key)).await.unwrap();
}

fn chain() -> Chain {
    Chain::hmac(&Secret::from(vec![5_u8; 32])).unwrap()
}

/// Where a suite runs: the test server or the test Redis Cluster.
type Target = fn(&str) -> RedisConfig;

#[tokio::test]
async fn events_arrive_as_stream_entries_with_their_fields() {
    arrive_with_their_fields(redis_testing::config).await;
}

#[tokio::test]
async fn events_arrive_as_stream_entries_with_their_fields_on_a_cluster() {
    arrive_with_their_fields(redis_testing::cluster_config).await;
}

async fn arrive_with_their_fields(target: Target) {
    let redis = Redis::connect(&target("audit-fields")).await.unwrap();
    let sink = RedisStreamSink::new(redis.clone(), "audit").unwrap();
    let key = sink.key().to_owned();
    assert!(key.ends_with(":audit"));
    let auditor = Auditor::builder().sink(sink).build().unwrap();
    let principal = Principal::api_key("user-7", "k_3x9");
    let mut s = summary("req-1", 200);
    s.principal = Some(&principal);
    s.user_agent = Some(b"ua\r\n\x1b[31m");
    testing::observe(&auditor, &s);
    testing::observe(&auditor, &testing::Summary::new("req-2", "POST", 404));
    auditor.flush().await.unwrap();

    let all = entries(&redis, &key).await;
    assert_eq!(all.len(), 2);
    let first = &all[0].1;
    let expected = [
        ("request_id", "req-1"),
        ("method", "GET"),
        ("route", "/api/v1/users/{id}"),
        ("status", "200"),
        ("latency_us", "250"),
        ("client_ip", "203.0.113.7"),
        ("principal", "user-7"),
        ("principal_kind", "api_key"),
        ("key_id", "k_3x9"),
        ("outcome", "allowed"),
        ("user_agent", "ua\\r\\n\\u{1b}[31m"),
    ];
    for (name, value) in expected {
        assert_eq!(first.get(name).map(String::as_str), Some(value), "{name}");
    }
    assert!(first["time"].ends_with('Z'));
    assert!(!first.contains_key("reason") && !first.contains_key("seq"));
    // Absent fields are left out.
    let second = &all[1].1;
    assert_eq!(second["outcome"], "refused");
    for absent in ["route", "client_ip", "principal", "user_agent"] {
        assert!(!second.contains_key(absent), "{absent}");
    }
    delete(&redis, &key).await;
}

#[tokio::test]
async fn maxlen_is_respected() {
    let redis = Redis::connect(&redis_testing::config("audit-maxlen"))
        .await
        .unwrap();
    // Exact trimming: exactly the last 10 entries.
    let sink = RedisStreamSink::new(redis.clone(), "exact")
        .unwrap()
        .max_len(NonZeroUsize::new(10).unwrap())
        .trim_exactly();
    let exact_key = sink.key().to_owned();
    let auditor = Auditor::builder()
        .sink(sink)
        .chain(chain())
        .build()
        .unwrap();
    for i in 0..300 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
    }
    auditor.shutdown().await.unwrap();
    assert_eq!(auditor.stats().written, 300);
    let kept = entries(&redis, &exact_key).await;
    assert_eq!(kept.len(), 10);
    assert_eq!(kept[0].1["request_id"], "r290");
    assert_eq!(kept[9].1["seq"], "299");

    // `MAXLEN ~`: Redis trims whole nodes (100 entries by default).
    let sink = RedisStreamSink::new(redis.clone(), "approx")
        .unwrap()
        .max_len(NonZeroUsize::new(10).unwrap());
    let approx_key = sink.key().to_owned();
    let auditor = Auditor::builder().sink(sink).build().unwrap();
    for i in 0..1000 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
    }
    auditor.shutdown().await.unwrap();
    assert_eq!(auditor.stats().written, 1000);
    let len = length(&redis, &approx_key).await;
    assert!((10..=110).contains(&len), "XLEN {len}");
    delete(&redis, &exact_key).await;
    delete(&redis, &approx_key).await;
}

#[tokio::test]
async fn the_chain_continues_from_the_stream_and_verifies_from_its_entries() {
    chain_continues_and_verifies(redis_testing::config).await;
}

#[tokio::test]
async fn the_chain_continues_from_the_stream_and_verifies_on_a_cluster() {
    chain_continues_and_verifies(redis_testing::cluster_config).await;
}

async fn chain_continues_and_verifies(target: Target) {
    let redis = Redis::connect(&target("audit-chain")).await.unwrap();
    let mut key = String::new();
    for run in 0..2 {
        let sink = RedisStreamSink::new(redis.clone(), "chained").unwrap();
        key = sink.key().to_owned();
        let auditor = Auditor::builder()
            .sink(sink)
            .chain(chain())
            .build()
            .unwrap();
        for i in 0..5 {
            testing::observe(&auditor, &summary(&format!("run{run}-{i}"), 200));
        }
        auditor.shutdown().await.unwrap();
    }
    let all = entries(&redis, &key).await;
    assert_eq!(all.len(), 10);
    let mut verifier = ChainVerifier::new(chain());
    for (_, fields) in &all {
        verifier.push_fields(fields).unwrap();
    }
    assert_eq!(verifier.verified(), 10);
    assert_eq!(verifier.last().unwrap().seq, 9);

    // A changed entry breaks the chain there.
    let mut verifier = ChainVerifier::new(chain());
    for (i, (_, fields)) in all.iter().enumerate() {
        let mut fields = fields.clone();
        if i == 3 {
            fields.insert("status".to_owned(), "500".to_owned());
        }
        let result = verifier.push_fields(&fields);
        if i == 3 {
            let broken = result.unwrap_err();
            assert_eq!((broken.line, broken.kind), (4, BreakKind::HashMismatch));
            break;
        }
        result.unwrap();
    }
    delete(&redis, &key).await;
}

#[tokio::test]
async fn a_dead_redis_costs_requests_nothing_and_its_events_are_counted_lost() {
    let mut server = OwnServer::start();
    let config = RedisConfig::new(&server.url())
        .unwrap()
        .command_timeout(Duration::from_millis(200))
        .unwrap()
        .connect_timeout(Duration::from_millis(200))
        .unwrap();
    let redis = Redis::connect(&config).await.unwrap();
    let auditor = Auditor::builder()
        .sink(RedisStreamSink::new(redis, "audit").unwrap())
        .retries(1)
        .build()
        .unwrap();
    for i in 0..10 {
        testing::observe(&auditor, &summary(&format!("alive{i}"), 200));
    }
    auditor.flush().await.unwrap();
    assert_eq!(auditor.stats().written, 10);

    server.kill();
    let mut slowest = Duration::ZERO;
    for i in 0..500 {
        let id = format!("dead{i}");
        let started = Instant::now();
        testing::observe(&auditor, &summary(&id, 200));
        slowest = slowest.max(started.elapsed());
        if i % 50 == 0 {
            // Let the writer meet the dead server while requests go on.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // Waiting on the dead server would take its 200 ms timeouts; the bound
    // tells that apart from a thread paused by a loaded machine.
    assert!(
        slowest < Duration::from_millis(100),
        "slowest observe {slowest:?}"
    );
    let flushed = Instant::now();
    tokio::time::timeout(Duration::from_secs(30), auditor.flush())
        .await
        .unwrap()
        .unwrap();
    let stats = auditor.stats();
    assert_eq!(stats.written, 10);
    assert_eq!(stats.lost + stats.dropped, 500, "{stats:?}");
    assert!(stats.lost > 0);
    assert!(flushed.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn a_bad_stream_name_is_refused() {
    let redis = Redis::connect(&redis_testing::config("audit-name"))
        .await
        .unwrap();
    for bad in ["", "has space", &"x".repeat(65)] {
        assert!(matches!(
            RedisStreamSink::new(redis.clone(), bad),
            Err(AuditConfigError::InvalidStreamName)
        ));
    }
}

/// The stream sink is background work, outside the circuit breaker: while
/// request-path commands have the breaker open, its batches still reach
/// Redis (nothing audited is refused and lost for the cool-down), and they
/// never count towards opening it.
#[tokio::test]
async fn an_open_breaker_does_not_refuse_audit_batches() {
    let mut rig = redis_testing::BreakerRig::start().await;
    let redis = rig.redis.clone();
    let ping = move || {
        let redis = redis.clone();
        async move { redis.run::<String>(&redis::cmd("PING")).await }
    };
    rig.open_breaker(ping.clone()).await;
    assert!(ping().await.unwrap_err().is_circuit_open());
    let sink = RedisStreamSink::new(rig.redis.clone(), "audit").unwrap();
    let auditor = Auditor::builder().sink(sink).retries(1).build().unwrap();
    for i in 0..20 {
        testing::observe(&auditor, &summary(&format!("open{i}"), 200));
    }
    auditor.flush().await.unwrap();
    let stats = auditor.stats();
    assert_eq!(stats.written, 20, "{stats:?}");
    assert_eq!(stats.lost + stats.dropped, 0, "{stats:?}");
    assert_eq!(rig.commands_run().await.get("xadd"), Some(&20));
    // The request path is still refused until the cool-down ends.
    assert_eq!(
        rig.redis.breaker_state(),
        shieldwall_redis::BreakerState::Open
    );
    assert_eq!(rig.close_breaker(ping).await, "PONG");
}
