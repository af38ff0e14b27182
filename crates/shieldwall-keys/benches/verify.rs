//! Key verification beside its floor, one SHA-256 of the secret, in the same run.
//! `cargo bench -p shieldwall-keys --bench verify`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use sha2::{Digest, Sha256};
use shieldwall_keys::{ApiKeys, KeyFormat, MemoryKeyStore, NewKey};

fn verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let keys = ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk").unwrap())
        .flush_last_used_every(None)
        .build();
    // A store with many keys, as a service would have.
    for i in 0..10_000 {
        runtime
            .block_on(keys.create(NewKey::new(format!("owner-{i}"), "k", ["users:read"])))
            .unwrap();
    }
    let created = runtime
        .block_on(keys.create(NewKey::new("owner", "k", ["users:read"])))
        .unwrap();
    let created_key = created.key.reveal();
    let key = created_key.as_bytes().to_vec();
    let secret = key[15..58].to_vec();
    let mut bad_checksum = key.clone();
    let last = bad_checksum.len() - 1;
    bad_checksum[last] = if bad_checksum[last] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let short = key[..40].to_vec();

    let mut group = c.benchmark_group("keys");
    group.bench_function("anchor_sha256_of_the_secret", |b| {
        b.iter(|| Sha256::digest(black_box(&secret)))
    });
    group.bench_function("verify_valid_key_memory_store", |b| {
        b.iter(|| {
            keys.verify(black_box(&key))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.bench_function("reject_bad_checksum", |b| {
        b.iter(|| {
            keys.verify(black_box(&bad_checksum))
                .now_or_never()
                .unwrap()
                .unwrap_err()
        });
    });
    group.bench_function("reject_wrong_length", |b| {
        b.iter(|| {
            keys.verify(black_box(&short))
                .now_or_never()
                .unwrap()
                .unwrap_err()
        });
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
