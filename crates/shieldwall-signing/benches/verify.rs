//! Verifying an HMAC-signed request with a 1 KiB body and a memory replay
//! store, beside its anchor in the same run: one HMAC-SHA256 of the same
//! signature base plus one SHA-256 of the body.
//! `cargo bench -p shieldwall-signing --bench verify`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use shieldwall_core::{ManualClock, Secret, TlsConnection};
use shieldwall_signing::{
    MemoryKeyResolver, MemoryNonceStore, SignaturePolicy, Signer, VerificationKey, Verifier,
    signature_base,
};

const SECRET: [u8; 32] = [0x5a; 32];

fn request(signer: &Signer, body: &[u8]) -> http::Request<()> {
    let mut request = http::Request::post("https://api.example.com/api/v1/transfers?dry_run=0")
        .header("host", "api.example.com")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("user-agent", "bench-client/1.0")
        .header(
            "x-api-key",
            "sk_live_3kV9qLz0Wm1TXq0J7vD2bH8yRk4Lz1Nf6Pq9Ws3Ty5Ug7Ia0Ob2Cd4Ef1vC5Zq",
        )
        .body(())
        .unwrap();
    signer.sign(&mut request, body).unwrap();
    request.extensions_mut().insert(TlsConnection);
    request
}

fn verify(c: &mut Criterion) {
    let clock = ManualClock::at_unix_seconds(1_700_000_000);
    let body: Vec<u8> = (0..1024_u32).map(|i| b'a' + (i % 26) as u8).collect();
    let keys = MemoryKeyResolver::with_keys([VerificationKey::hmac_sha256(
        "key-1",
        "user-7",
        Secret::from(SECRET.to_vec()),
    )
    .unwrap()]);
    let nonces = MemoryNonceStore::new()
        .capacity(NonZeroUsize::new(1_000_000).unwrap())
        .clock(clock.clone());
    let policy = SignaturePolicy::builder().build().unwrap();
    let verifier = Verifier::new(policy.clone(), keys, nonces).clock(clock.clone());
    let signer = Signer::hmac_sha256("key-1", Secret::from(SECRET.to_vec()))
        .unwrap()
        .clock(clock.clone());

    let sample = request(&signer, &body);
    let base = signature_base(&sample, &policy, "sig1").unwrap();
    let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(&SECRET).unwrap();

    let mut group = c.benchmark_group("signing");
    group.bench_function("anchor_hmac_sha256_of_base_plus_sha256_of_body", |b| {
        b.iter(|| {
            let mut mac = keyed.clone();
            mac.update(black_box(base.as_bytes()));
            (
                mac.finalize().into_bytes(),
                Sha256::digest(black_box(&body)),
            )
        });
    });
    group.bench_function("verify_hmac_1kib_body_memory_nonces", |b| {
        // Requests are signed (and dropped) outside the timed part, a
        // thousand at a time.
        b.iter_batched_ref(
            || {
                // Time moves 10 ms per request: the store holds the nonces of
                // the last window plus margin (about 33 000), as a busy
                // instance would, and drops older ones as it goes.
                clock.advance(Duration::from_millis(10));
                request(&signer, &body)
            },
            |request| {
                verifier
                    .verify(&*request, black_box(&body))
                    .now_or_never()
                    .expect("memory stores answer at once")
                    .expect("a valid signature")
            },
            BatchSize::NumIterations(1000),
        );
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
