//! The memory store beside governor's keyed limiter, in the same run.
//!
//! `cargo bench -p shieldwall-ratelimit --bench memory`
//!
//! Both sides get the same quota and the same client addresses: governor keys
//! by `IpAddr` (its usual key), the store by the bytes the limiter derives
//! from that address.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use shieldwall_ratelimit::{MemoryStore, Policy, Quota, RateLimiter};

type Governor = governor::DefaultKeyedRateLimiter<IpAddr>;

const DISTINCT: u32 = 100_000;

/// A quota no benchmark exhausts: every check writes new state, on both sides.
fn generous() -> (Policy, governor::Quota) {
    let per_second = NonZeroU32::new(1_000_000_000).unwrap();
    let quota = Quota::new(per_second, Duration::from_secs(1)).unwrap();
    let policy = Policy::builder("bench", quota).build().unwrap();
    (policy, governor::Quota::per_second(per_second))
}

fn address(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | i))
}

/// A memory store of `keys` keys for `policy`, as a limiter makes it.
fn memory_store(policy: Policy, keys: u32) -> RateLimiter<MemoryStore> {
    RateLimiter::builder(policy)
        .memory_keys(NonZeroUsize::new(keys as usize).unwrap())
        .memory()
}

/// What the limiter hands the store for a client address: a tag, the prefix
/// length and the address (see `KeyStrategy::ClientIp`).
fn store_key(i: u32) -> [u8; 6] {
    let [a, b, c, d] = (0x0a00_0000 | i).to_be_bytes();
    [b'i', 32, a, b, c, d]
}

fn hot_key(c: &mut Criterion) {
    let (policy, quota) = generous();
    let limiter = memory_store(policy, 1_000_000);
    let store = limiter.store();
    let governor = Governor::keyed(quota);
    let (key, ip) = (store_key(7), address(7));
    let mut group = c.benchmark_group("memory/one hot key");
    group.bench_function("shieldwall MemoryStore::check_now", |b| {
        b.iter(|| black_box(store.check_now(black_box(&key), 1).unwrap().allowed));
    });
    group.bench_function("governor check_key", |b| {
        b.iter(|| black_box(governor.check_key(black_box(&ip)).is_ok()));
    });
    group.finish();
}

fn distinct_keys(c: &mut Criterion) {
    let (policy, quota) = generous();
    let limiter = memory_store(policy, 2 * DISTINCT);
    let store = limiter.store();
    let governor = Governor::keyed(quota);
    let keys: Vec<[u8; 6]> = (0..DISTINCT).map(store_key).collect();
    let ips: Vec<IpAddr> = (0..DISTINCT).map(address).collect();
    // Every key exists before timing: each check finds one of 100k entries.
    for (key, ip) in keys.iter().zip(&ips) {
        store.check_now(key, 1).unwrap();
        let _ = governor.check_key(ip);
    }
    let mut group = c.benchmark_group("memory/100k distinct keys");
    let mut next = 0_usize;
    group.bench_function("shieldwall MemoryStore::check_now", |b| {
        b.iter(|| {
            next = (next + 1) % keys.len();
            black_box(store.check_now(&keys[next], 1).unwrap().allowed)
        });
    });
    let mut next = 0_usize;
    group.bench_function("governor check_key", |b| {
        b.iter(|| {
            next = (next + 1) % ips.len();
            black_box(governor.check_key(&ips[next]).is_ok())
        });
    });
    group.finish();
}

/// Two threads check the same key `iters` times each; the time is the wall
/// time of both (time per check per thread).
fn two_threads(iters: u64, check: &(dyn Fn() -> bool + Sync)) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..iters {
                    black_box(check());
                }
            });
        }
    });
    start.elapsed()
}

fn contended(c: &mut Criterion) {
    let (policy, quota) = generous();
    let limiter = memory_store(policy, 1_000_000);
    let store = limiter.store();
    let governor = Governor::keyed(quota);
    let (key, ip) = (store_key(7), address(7));
    let mut group = c.benchmark_group("memory/two threads one key");
    group.bench_function("shieldwall MemoryStore::check_now", |b| {
        b.iter_custom(|iters| two_threads(iters, &|| store.check_now(&key, 1).unwrap().allowed));
    });
    group.bench_function("governor check_key", |b| {
        b.iter_custom(|iters| two_threads(iters, &|| governor.check_key(&ip).is_ok()));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = hot_key, distinct_keys, contended
}
criterion_main!(benches);
