//! Verification cost beside jsonwebtoken's `decode` alone, in the same run.
//!
//! `cargo bench -p shieldwall-tokens --bench verify` (RustCrypto backend) and
//! `cargo bench -p shieldwall-tokens --bench verify --features aws-lc-rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_docs_in_private_items,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use jsonwebtoken::{DecodingKey, Validation};
use shieldwall_core::Secret;
use shieldwall_tokens::{
    Algorithm, Issuer, KeySet, MemoryRevocations, SigningKey, Verifier, VerifyingKey, backend_name,
};

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Claims {
    sub: String,
    jti: String,
    iat: u64,
    exp: u64,
    iss: String,
    aud: String,
    scope: String,
}

fn install_jsonwebtoken_provider() {
    // With both backend features on, jsonwebtoken has no default provider;
    // give its `decode` the same backend ours uses.
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
}

fn anchor_validation(alg: jsonwebtoken::Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&["bench-issuer"]);
    validation.set_audience(&["bench-api"]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
    validation
}

fn verifier(key: VerifyingKey, cache: usize) -> Verifier {
    Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
        .issuer("bench-issuer")
        .audience("bench-api")
        .cache_capacity(cache)
        .build()
        .unwrap()
}

fn issue(key: SigningKey) -> String {
    Issuer::builder(key)
        .issuer("bench-issuer")
        .audience("bench-api")
        .build()
        .unwrap()
        .issue("user-12345", &["users:read", "users:write"])
        .unwrap()
        .token()
        .to_owned()
}

fn run(
    c: &mut Criterion,
    name: &str,
    token: &str,
    ours: VerifyingKey,
    anchor_key: &DecodingKey,
    alg: jsonwebtoken::Algorithm,
) {
    let mut group = c.benchmark_group(format!("{}/{name}", backend_name()));
    let validation = anchor_validation(alg);
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<Claims>(black_box(token), anchor_key, &validation).unwrap()
        });
    });
    let uncached = verifier(ours.clone(), 0);
    group.bench_function("shieldwall_verify_with_revocation_check", |b| {
        b.iter(|| {
            uncached
                .verify(black_box(token))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    let cached = verifier(ours, 1024);
    cached.verify(token).now_or_never().unwrap().unwrap();
    group.bench_function("shieldwall_verify_cached_repeat", |b| {
        b.iter(|| {
            cached
                .verify(black_box(token))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    install_jsonwebtoken_provider();
    let secret = Secret::from(vec![0x5a_u8; 32]);
    let token = issue(SigningKey::hmac(Algorithm::HS256, &secret).unwrap());
    run(
        c,
        "hs256",
        &token,
        VerifyingKey::hmac(Algorithm::HS256, &secret).unwrap(),
        &DecodingKey::from_secret(secret.expose()).unwrap(),
        jsonwebtoken::Algorithm::HS256,
    );

    let es_private = include_bytes!("../tests/keys/es256-private.pem");
    let es_public = include_bytes!("../tests/keys/es256-public.pem");
    let token = issue(SigningKey::ec_pem(Algorithm::ES256, es_private).unwrap());
    run(
        c,
        "es256",
        &token,
        VerifyingKey::ec_pem(Algorithm::ES256, es_public).unwrap(),
        &DecodingKey::from_ec_pem(es_public).unwrap(),
        jsonwebtoken::Algorithm::ES256,
    );

    let ed_private = include_bytes!("../tests/keys/ed25519-private.pem");
    let ed_public = include_bytes!("../tests/keys/ed25519-public.pem");
    let token = issue(SigningKey::ed_pem(ed_private).unwrap());
    run(
        c,
        "eddsa",
        &token,
        VerifyingKey::ed_pem(ed_public).unwrap(),
        &DecodingKey::from_ed_pem(ed_public).unwrap(),
        jsonwebtoken::Algorithm::EdDSA,
    );
}

criterion_group!(verify, benches);
criterion_main!(verify);
