//! What a DPoP proof costs, beside one ES256 verification by jsonwebtoken
//! alone, in the same run.
//!
//! `cargo bench -p shieldwall-tokens --features dpop --bench dpop`.
//!
//! - `jsonwebtoken_es256_verify`: the anchor, `jsonwebtoken::crypto::verify`
//!   of a proof's signature under its key (the key made from the JWK's
//!   coordinates each time, as a proof brings its own key).
//! - `shieldwall_proof_check`: the whole check of a fresh proof, memory
//!   replay store: reading the request (`DPoP` header, method, path), the
//!   header and its JWK, the thumbprint, the signature, the claims, the
//!   token's SHA-256 (`ath`) and one store write. It should cost one ES256
//!   verification plus a little.
//! - `bearer_guard_cached_*`: a plain bearer token (cached verification)
//!   through `BearerGuard`, without and with a DPoP policy: the bearer path
//!   does not pay for DPoP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;
use std::num::NonZeroUsize;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use jsonwebtoken::DecodingKey;
use shieldwall_core::{Decision, Guard, Step};
use shieldwall_testkit::auth_server::DpopKey;
use shieldwall_tokens::dpop::{DpopPolicy, MemoryNonceStore};
use shieldwall_tokens::{
    Algorithm, BearerGuard, Issuer, KeySet, MemoryRevocations, SigningKey, Verifier, VerifyingKey,
    backend_name,
};

const HTU: &str = "https://api.example.test/v1/items";

fn install_jsonwebtoken_provider() {
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
}

fn policy() -> DpopPolicy {
    // Room for every proof of the run: a full store refuses (fails closed).
    let store = MemoryNonceStore::new().capacity(NonZeroUsize::new(10_000_000).unwrap());
    DpopPolicy::builder(store)
        .public_origin("https://api.example.test")
        .build()
        .unwrap()
}

fn request(token: &str, proof: &str, scheme: &str) -> http::Request<()> {
    http::Request::get("/v1/items")
        .header("authorization", format!("{scheme} {token}"))
        .header("dpop", proof)
        .body(())
        .unwrap()
}

fn proof_check(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("{}/dpop", backend_name()));
    let key = DpopKey::generate();
    let jkt = key.thumbprint();
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1In0.c2lnbmF0dXJlLW9mLWEtdG9rZW4";

    let proof = key.proof("GET", HTU).access_token(token).sign();
    let (signing_input, signature) = proof.rsplit_once('.').unwrap();
    let jwk = key.public_jwk();
    let (x, y) = (jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap());
    group.bench_function("jsonwebtoken_es256_verify", |b| {
        b.iter(|| {
            let key = DecodingKey::from_ec_components(x, y).unwrap();
            assert!(
                jsonwebtoken::crypto::verify(
                    black_box(signature),
                    black_box(signing_input.as_bytes()),
                    &key,
                    jsonwebtoken::Algorithm::ES256,
                )
                .unwrap()
            );
        });
    });

    let policy = policy();
    group.bench_function("shieldwall_proof_check", |b| {
        b.iter_batched(
            // A fresh proof each time: a used `jti` is a replay.
            || {
                request(
                    token,
                    &key.proof("GET", HTU).access_token(token).sign(),
                    "DPoP",
                )
            },
            |request| {
                let input = policy.read_request(black_box(&request)).unwrap();
                policy
                    .verify_proof(&input, token, &jkt)
                    .now_or_never()
                    .unwrap()
                    .unwrap();
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn bearer_path(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("{}/bearer_guard", backend_name()));
    let es_private = include_bytes!("../tests/keys/es256-private.pem");
    let es_public = include_bytes!("../tests/keys/es256-public.pem");
    let token = Issuer::builder(SigningKey::ec_pem(Algorithm::ES256, es_private).unwrap())
        .build()
        .unwrap()
        .issue("user-12345", &["users:read"])
        .unwrap()
        .token()
        .to_owned();
    let verifier = Verifier::builder(
        KeySet::new([VerifyingKey::ec_pem(Algorithm::ES256, es_public).unwrap()]).unwrap(),
        MemoryRevocations::new(),
    )
    .build()
    .unwrap();
    let request = request(&token, "unused", "Bearer");
    for (name, guard) in [
        ("cached_plain", BearerGuard::new(verifier.clone())),
        (
            "cached_with_dpop_policy",
            BearerGuard::new(verifier.clone()).dpop(policy()),
        ),
    ] {
        group.bench_function(name, |b| {
            // A cached plain token is answered by `extract`; with a DPoP
            // policy, by `decide`.
            b.iter(|| {
                let decision = match guard.extract(black_box(&request)) {
                    Step::Decide(input) => guard.decide(input).now_or_never().unwrap(),
                    Step::Done(decision) => decision,
                };
                assert!(matches!(decision, Decision::Continue(_)));
            });
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    install_jsonwebtoken_provider();
    proof_check(c);
    bearer_path(c);
}

criterion_group!(dpop, benches);
criterion_main!(dpop);
