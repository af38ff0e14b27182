//! An introspected (opaque) token served from the answer cache, beside
//! jsonwebtoken's `decode` of an HS256 token, in the same run; and a cached
//! JWS repeat with and without an introspector configured, to show the JWS
//! path did not slow down.
//!
//! `cargo bench -p shieldwall-tokens --bench introspection --features introspection`
//! (the first answer comes from the test kit's authorization server on
//! loopback; every measured one from the cache).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_docs_in_private_items,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use jsonwebtoken::{DecodingKey, Validation};
use shieldwall_core::Secret;
use shieldwall_testkit::auth_server::{
    AUDIENCE, AuthServer, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET,
};
use shieldwall_tokens::introspection::Introspector;
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

fn verifier(secret: &Secret, introspector: Option<Introspector>, cache: usize) -> Verifier {
    let mut builder = Verifier::builder(
        KeySet::new([VerifyingKey::hmac(Algorithm::HS256, secret).unwrap()]).unwrap(),
        MemoryRevocations::new(),
    )
    .issuer("bench-issuer")
    .audience("bench-api")
    .cache_capacity(cache);
    if let Some(introspector) = introspector {
        builder = builder.introspection(introspector);
    }
    builder.build().unwrap()
}

fn benches(c: &mut Criterion) {
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = AuthServer::start();
    let opaque = server
        .opaque()
        .subject("user-12345")
        .scope("users:read users:write")
        .register();
    let introspector = {
        let _entered = runtime.enter();
        Introspector::builder(
            &server.introspection_url(),
            INTROSPECTION_CLIENT_ID,
            Secret::from(INTROSPECTION_CLIENT_SECRET),
        )
        .issuer(server.issuer())
        .audience(AUDIENCE)
        .cache_ttl(Duration::from_secs(3600))
        .build()
        .unwrap()
    };

    let secret = Secret::from(vec![0x5a_u8; 32]);
    let jws = Issuer::builder(SigningKey::hmac(Algorithm::HS256, &secret).unwrap())
        .issuer("bench-issuer")
        .audience("bench-api")
        .build()
        .unwrap()
        .issue("user-12345", &["users:read", "users:write"])
        .unwrap()
        .token()
        .to_owned();
    let with = verifier(&secret, Some(introspector.clone()), 1024);
    let without = verifier(&secret, None, 1024);
    let uncached_with = verifier(&secret, Some(introspector), 0);
    let uncached_without = verifier(&secret, None, 0);
    // The one round trip: the answer is cached from here on.
    runtime.block_on(with.verify(&opaque)).unwrap();
    with.verify(&jws).now_or_never().unwrap().unwrap();
    without.verify(&jws).now_or_never().unwrap().unwrap();
    let hits = server.introspection_hits();

    let mut group = c.benchmark_group(format!("{}/introspection", backend_name()));
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&["bench-issuer"]);
    validation.set_audience(&["bench-api"]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
    let key = DecodingKey::from_secret(secret.expose()).unwrap();
    group.bench_function("jsonwebtoken_decode_hs256", |b| {
        b.iter(|| jsonwebtoken::decode::<Claims>(black_box(&jws), &key, &validation).unwrap());
    });
    group.bench_function("shieldwall_opaque_cached", |b| {
        b.iter(|| {
            with.verify(black_box(&opaque))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.bench_function("shieldwall_hs256_cached_with_introspector", |b| {
        b.iter(|| {
            with.verify(black_box(&jws))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.bench_function("shieldwall_hs256_cached_without_introspector", |b| {
        b.iter(|| {
            without
                .verify(black_box(&jws))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.bench_function("shieldwall_hs256_uncached_with_introspector", |b| {
        b.iter(|| {
            uncached_with
                .verify(black_box(&jws))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.bench_function("shieldwall_hs256_uncached_without_introspector", |b| {
        b.iter(|| {
            uncached_without
                .verify(black_box(&jws))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.finish();
    assert_eq!(
        server.introspection_hits(),
        hits,
        "every measured call came from the cache"
    );
}

criterion_group!(introspection, benches);
criterion_main!(introspection);
