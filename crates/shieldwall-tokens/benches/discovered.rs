//! An ES256 token of an issuer found by OpenID Connect Discovery, beside
//! the same token through a JWKS URL configured by hand and jsonwebtoken's
//! `decode`, in the same run; then what choosing an issuer by `iss` adds
//! (`VerifierBuilder::accept_issuer`) to the service's own tokens and to
//! the provider's. The provider is the test kit's authorization server on
//! loopback; the keys are fetched once, before measuring.
//!
//! `cargo bench -p shieldwall-tokens --bench discovered --features oidc`.
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
use shieldwall_testkit::auth_server::{AUDIENCE, AuthServer};
use shieldwall_tokens::jwks::{JwksConfig, JwksKeys};
use shieldwall_tokens::oidc::Discovery;
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
}

const OWN_ISSUER: &str = "https://api.example";

fn bench(c: &mut Criterion, group: &str, name: &str, verifier: &Verifier, token: &str) {
    let mut group = c.benchmark_group(format!("{}/{group}", backend_name()));
    verifier.verify(token).now_or_never().unwrap().unwrap();
    group.bench_function(name, |b| {
        b.iter(|| {
            verifier
                .verify(black_box(token))
                .now_or_never()
                .unwrap()
                .unwrap()
        });
    });
    group.finish();
}

fn own_verifier(
    secret: &Secret,
    cache: usize,
) -> shieldwall_tokens::VerifierBuilder<MemoryRevocations> {
    Verifier::builder(
        KeySet::new([VerifyingKey::hmac(Algorithm::HS256, secret).unwrap()]).unwrap(),
        MemoryRevocations::new(),
    )
    .issuer(OWN_ISSUER)
    .audience(AUDIENCE)
    .cache_capacity(cache)
}

fn benches(c: &mut Criterion) {
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = AuthServer::start();
    let token = server.token("es256-1").subject("user-12345").mint();

    let discovered = runtime
        .block_on(Discovery::new(server.issuer(), AUDIENCE).unwrap().load())
        .unwrap();
    let from_discovery = |cache: usize| {
        discovered
            .verifier(MemoryRevocations::new())
            .cache_capacity(cache)
            .build()
            .unwrap()
    };
    let jwks = runtime
        .block_on(JwksKeys::load(
            JwksConfig::new(&server.url("/jwks")).allow_http_insecure(),
        ))
        .unwrap();
    let from_jwks = Verifier::builder(jwks, MemoryRevocations::new())
        .allow_algorithms([Algorithm::ES256, Algorithm::RS256])
        .issuer(server.issuer())
        .audience(AUDIENCE)
        .cache_capacity(0)
        .build()
        .unwrap();

    // The anchor: jsonwebtoken with the same key and the same checks.
    let pem = server.public_key_pem("es256-1");
    let anchor_key = DecodingKey::from_ec_pem(pem.as_bytes()).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[server.issuer()]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
    let mut group = c.benchmark_group(format!("{}/es256_provider", backend_name()));
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<Claims>(black_box(&token), &anchor_key, &validation).unwrap()
        });
    });
    group.finish();
    bench(
        c,
        "es256_provider",
        "shieldwall_jwks_uri",
        &from_jwks,
        &token,
    );
    bench(
        c,
        "es256_provider",
        "shieldwall_discovered",
        &from_discovery(0),
        &token,
    );

    // One verifier for the service's own HS256 tokens and the provider's.
    let secret = Secret::from(vec![0x5a_u8; 32]);
    let own_token = Issuer::builder(SigningKey::hmac(Algorithm::HS256, &secret).unwrap())
        .issuer(OWN_ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap()
        .issue("user-12345", &["users:read"])
        .unwrap()
        .token()
        .to_owned();
    for (cache, label) in [(0, "uncached"), (1024, "cached")] {
        let group = format!("routing_{label}");
        let alone = own_verifier(&secret, cache).build().unwrap();
        let both = own_verifier(&secret, cache)
            .accept_issuer(from_discovery(cache))
            .build()
            .unwrap();
        bench(c, &group, "own_hs256_one_issuer", &alone, &own_token);
        bench(c, &group, "own_hs256_two_issuers", &both, &own_token);
        bench(
            c,
            &group,
            "provider_es256_alone",
            &from_discovery(cache),
            &token,
        );
        bench(c, &group, "provider_es256_two_issuers", &both, &token);
    }
    drop(runtime);
}

criterion_group!(discovered, benches);
criterion_main!(discovered);
