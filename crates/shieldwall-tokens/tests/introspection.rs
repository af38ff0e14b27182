//! Token introspection (RFC 7662) against the test kit's authorization
//! server, a real HTTP peer on loopback: active and inactive tokens, a
//! wrong client secret, answers that are not what they should be, an
//! endpoint that hangs or fails, the circuit breaker, the cache (hits, its
//! ceiling, `exp`, never the token), and JWS tokens beside opaque ones.
#![cfg(feature = "introspection")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::num::NonZeroU32;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use shieldwall_core::telemetry::BreakerState;
use shieldwall_core::{ManualClock, Secret};
use shieldwall_errors::{ErrorCode, Rejection};
use shieldwall_testkit::auth_server::{
    AUDIENCE, AuthServer, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IntrospectionAnswer,
};
use shieldwall_tokens::introspection::{IntrospectionError, Introspector, IntrospectorBuilder};
use shieldwall_tokens::{
    Algorithm, Issuer, KeySet, MemoryRevocations, SigningKey, TokenErrorKind, TokenRejection,
    Verifier, VerifyingKey,
};

const HS256_SECRET: [u8; 32] = [0x42; 32];
const JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

fn builder(server: &AuthServer) -> IntrospectorBuilder {
    Introspector::builder(
        &server.introspection_url(),
        INTROSPECTION_CLIENT_ID,
        Secret::from(INTROSPECTION_CLIENT_SECRET),
    )
    .issuer(server.issuer())
    .audience(AUDIENCE)
    .timeout(Duration::from_millis(500))
}

/// A verifier of the app's own HS256 tokens that introspects the rest.
fn verifier(introspector: Introspector) -> Verifier {
    let key = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(HS256_SECRET.to_vec())).unwrap();
    Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
        .introspection(introspector)
        .build()
        .unwrap()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn assert_unavailable(refused: &TokenRejection) {
    assert_eq!(
        refused.kind(),
        TokenErrorKind::StoreUnavailable,
        "{refused}"
    );
    assert_eq!(refused.code(), ErrorCode::ServiceUnavailable);
    let headers = refused.headers();
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(headers.get("www-authenticate").is_none());
}

#[tokio::test]
async fn an_active_token_is_accepted_with_its_scopes_and_claims() {
    let server = AuthServer::start();
    let verifier = verifier(builder(&server).build().unwrap());
    let token = server
        .opaque()
        .subject("user-7")
        .scope("users:write users:read")
        .claim("tenant", json!("acme"))
        .claim("jti", json!("opaque-jti-1"))
        .claim("cnf", json!({ "jkt": JKT }))
        .register();
    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified.subject(), "user-7");
    assert_eq!(verified.scopes(), ["users:read", "users:write"]);
    assert_eq!(verified.algorithm(), None);
    assert_eq!(verified.kid(), None);
    assert_eq!(verified.jti(), Some("opaque-jti-1"));
    assert_eq!(
        verified.cnf_jkt(),
        Some(JKT),
        "DPoP-bound, as a JWT would be"
    );
    let claims: serde_json::Value = serde_json::from_str(verified.claims_json()).unwrap();
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["client_id"], "some-client");
    let exp = verified
        .expires_at()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(exp > unix_now() + 500, "{exp}");

    let scp = server
        .opaque()
        .without("scope")
        .claim("scp", json!(["a:read", "b"]))
        .without("exp")
        .register();
    let verified = verifier.verify(&scp).await.unwrap();
    assert_eq!(verified.scopes(), ["a:read", "b"]);
    assert_eq!(server.introspection_hits(), 2);
    assert_eq!(server.introspection_client_refusals(), 0);
}

#[tokio::test]
async fn inactive_unknown_and_mismatched_tokens_are_invalid_tokens() {
    let server = AuthServer::start();
    let verifier = verifier(builder(&server).build().unwrap());
    let cases = [
        (
            server.opaque().inactive().register(),
            TokenErrorKind::Inactive,
        ),
        (
            "never-registered-token".to_owned(),
            TokenErrorKind::Inactive,
        ),
        (
            server.opaque().audience("another-api").register(),
            TokenErrorKind::Claims,
        ),
        (
            server
                .opaque()
                .claim("iss", json!("https://elsewhere.example"))
                .register(),
            TokenErrorKind::Claims,
        ),
        (
            server.opaque().without("sub").register(),
            TokenErrorKind::Claims,
        ),
        (
            server
                .opaque()
                .claim("cnf", json!({"jkt": "not-a-thumbprint"}))
                .register(),
            TokenErrorKind::Claims,
        ),
        (
            server
                .opaque()
                .claim("exp", json!(unix_now() - 5))
                .register(),
            TokenErrorKind::Expired,
        ),
    ];
    for (token, kind) in &cases {
        let refused = verifier.verify(token).await.unwrap_err();
        assert_eq!(refused.kind(), *kind, "{refused}");
        if *kind != TokenErrorKind::Expired {
            assert_eq!(refused.code(), ErrorCode::InvalidToken);
            assert_eq!(
                refused.www_authenticate().unwrap(),
                "Bearer error=\"invalid_token\""
            );
        }
        assert!(!refused.to_string().contains(token.as_str()));
    }
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_failure_and_is_never_shown() {
    let server = AuthServer::start();
    let secret = "a-wrong-secret-that-must-not-leak";
    let introspector = Introspector::builder(
        &server.introspection_url(),
        INTROSPECTION_CLIENT_ID,
        Secret::from(secret),
    )
    .build()
    .unwrap();
    let verifier = verifier(introspector.clone());
    let token = server.opaque().register();
    let refused = verifier.verify(&token).await.unwrap_err();
    assert_unavailable(&refused);
    assert_eq!(server.introspection_client_refusals(), 1);
    for shown in [
        refused.to_string(),
        format!("{refused:?}"),
        format!("{introspector:?}"),
        format!("{verifier:?}"),
        format!("{:?}", refused.headers()),
    ] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(&token), "{shown}");
    }
}

#[tokio::test]
async fn answers_that_are_not_what_they_should_be_are_failures_never_panics() {
    let server = AuthServer::start();
    let token = server.opaque().register();
    for (answer, what) in [
        (IntrospectionAnswer::NotJson, "not JSON"),
        (IntrospectionAnswer::NoActive, "no active"),
        (IntrospectionAnswer::Status(500), "500"),
        (IntrospectionAnswer::Status(503), "503"),
        (IntrospectionAnswer::Status(404), "404"),
        (IntrospectionAnswer::TooLarge, "64 KiB"),
    ] {
        server.set_introspection(answer);
        // A fresh introspector each time: its breaker and cache start empty.
        let verifier = verifier(builder(&server).build().unwrap());
        let refused = verifier.verify(&token).await.unwrap_err();
        assert_unavailable(&refused);
        assert!(!refused.to_string().contains(&token), "{what}");
    }
    server.set_introspection(IntrospectionAnswer::Honest);
    for (name, value) in [
        ("active", json!("true")),
        ("active", json!(1)),
        ("exp", json!("tomorrow")),
        ("scope", json!(["users:read"])),
        ("aud", json!(7)),
        ("sub", json!({"id": 1})),
        ("cnf", json!({"jkt": 1})),
    ] {
        let wrong = server.opaque().claim(name, value.clone()).register();
        let verifier = verifier(builder(&server).build().unwrap());
        let refused = verifier.verify(&wrong).await.unwrap_err();
        assert_eq!(
            refused.kind(),
            TokenErrorKind::StoreUnavailable,
            "{name}: {value}"
        );
        assert_unavailable(&refused);
    }
}

#[tokio::test]
async fn an_endpoint_that_hangs_is_a_failure_within_the_timeout() {
    let server = AuthServer::start();
    server.set_introspection(IntrospectionAnswer::Hang);
    let verifier = verifier(
        builder(&server)
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap(),
    );
    let started = Instant::now();
    let refused = verifier
        .verify(&server.opaque().register())
        .await
        .unwrap_err();
    assert_unavailable(&refused);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_breaker_opens_then_a_probe_closes_it() {
    let server = AuthServer::start();
    let clock = ManualClock::at_unix_seconds(unix_now());
    let introspector = builder(&server)
        .breaker(NonZeroU32::new(3).unwrap(), Duration::from_secs(10))
        .clock(clock.clone())
        .build()
        .unwrap();
    let verifier = verifier(introspector.clone());
    let token = server.opaque().register();
    server.set_introspection(IntrospectionAnswer::Status(500));
    for _ in 0..3 {
        assert_unavailable(&verifier.verify(&token).await.unwrap_err());
    }
    assert_eq!(introspector.breaker_state(), BreakerState::Open);
    let refused = verifier.verify(&token).await.unwrap_err();
    assert_unavailable(&refused);
    assert_eq!(refused.headers()["retry-after"], "10");
    assert_eq!(
        server.introspection_hits(),
        3,
        "an open breaker sends nothing"
    );

    server.set_introspection(IntrospectionAnswer::Honest);
    clock.advance(Duration::from_secs(10));
    assert_eq!(introspector.breaker_state(), BreakerState::HalfOpen);
    assert!(verifier.verify(&token).await.is_ok());
    assert_eq!(introspector.breaker_state(), BreakerState::Closed);
    assert_eq!(server.introspection_hits(), 4);
}

#[tokio::test]
async fn a_cached_answer_does_not_call_the_endpoint_again() {
    let server = AuthServer::start();
    let introspector = builder(&server).build().unwrap();
    let verifier = verifier(introspector.clone());
    let active = server.opaque().scope("users:read").register();
    let inactive = server.opaque().inactive().register();
    for _ in 0..5 {
        assert!(verifier.verify(&active).await.is_ok());
        assert_eq!(
            verifier.verify(&inactive).await.unwrap_err().kind(),
            TokenErrorKind::Inactive
        );
    }
    assert_eq!(server.introspection_hits(), 2);
    assert_eq!(introspector.cached(), 2);
    // Failures are not cached: the next request asks again.
    let other = server.opaque().register();
    server.set_introspection(IntrospectionAnswer::Status(500));
    assert_unavailable(&verifier.verify(&other).await.unwrap_err());
    server.set_introspection(IntrospectionAnswer::Honest);
    assert!(verifier.verify(&other).await.is_ok());
    assert_eq!(server.introspection_hits(), 4);
}

#[tokio::test]
async fn a_token_revoked_at_the_provider_is_refused_once_its_entry_ends() {
    let server = AuthServer::start();
    let clock = ManualClock::at_unix_seconds(unix_now());
    let introspector = builder(&server)
        .cache_ttl(Duration::from_secs(5))
        .negative_cache_ttl(Duration::from_secs(1))
        .clock(clock.clone())
        .build()
        .unwrap();
    let verifier = verifier(introspector);
    let token = server.opaque().register();
    assert!(verifier.verify(&token).await.is_ok());
    server.revoke_opaque(&token);
    clock.advance(Duration::from_millis(4_999));
    assert!(verifier.verify(&token).await.is_ok(), "still cached");
    assert_eq!(server.introspection_hits(), 1);
    clock.advance(Duration::from_millis(1));
    let refused = verifier.verify(&token).await.unwrap_err();
    assert_eq!(refused.kind(), TokenErrorKind::Inactive);
    assert_eq!(server.introspection_hits(), 2);
}

#[tokio::test]
async fn an_entry_never_outlives_the_token() {
    let server = AuthServer::start();
    let clock = ManualClock::at_unix_seconds(unix_now());
    let verifier = verifier(builder(&server).clock(clock.clone()).build().unwrap());
    let token = server
        .opaque()
        .claim("exp", json!(unix_now() + 3))
        .register();
    assert!(verifier.verify(&token).await.is_ok());
    clock.advance(Duration::from_secs(3));
    // The entry ended at `exp`; the provider still says active, but `exp` has passed.
    assert_eq!(
        verifier.verify(&token).await.unwrap_err().kind(),
        TokenErrorKind::Expired
    );
    assert_eq!(server.introspection_hits(), 2);
}

#[tokio::test]
async fn the_cache_holds_a_keyed_hash_never_the_token() {
    let server = AuthServer::start();
    let introspector = builder(&server).build().unwrap();
    let verifier = verifier(introspector.clone());
    let tokens = [
        server.opaque().register(),
        server.opaque().inactive().register(),
    ];
    for token in &tokens {
        let _ = verifier.verify(token).await;
    }
    assert_eq!(introspector.cached(), 2);
    let shown = format!("{introspector:?}");
    assert_eq!(shown.matches("hmac-sha256:").count(), 2, "{shown}");
    for token in &tokens {
        assert!(!shown.contains(token.as_str()), "{shown}");
        assert!(!shown.contains(&token[..12]), "{shown}");
    }
    assert!(!shown.contains(INTROSPECTION_CLIENT_SECRET), "{shown}");
}

#[tokio::test]
async fn jws_tokens_keep_their_own_path_and_local_revocation_covers_both() {
    let server = AuthServer::start();
    let verifier = verifier(builder(&server).build().unwrap());
    let own = Issuer::builder(
        SigningKey::hmac(Algorithm::HS256, &Secret::from(HS256_SECRET.to_vec())).unwrap(),
    )
    .build()
    .unwrap()
    .issue("user-9", &["users:read"])
    .unwrap();
    let verified = verifier.verify(own.token()).await.unwrap();
    assert_eq!(verified.algorithm(), Some(Algorithm::HS256));
    // A JWS-shaped value that is not a good JWS is refused by the JWS path.
    assert_eq!(
        verifier
            .verify("eyJhbGciOiJIUzI1NiJ9.e30.AAAA")
            .await
            .unwrap_err()
            .kind(),
        TokenErrorKind::Signature
    );
    assert_eq!(server.introspection_hits(), 0);

    // Values with dots that are not three base64url segments are opaque:
    // a JWE's five segments, two dots around a `+`.
    for shaped in [
        "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
        "ab.c+d.ef",
        "ab.cd.ef==",
    ] {
        let token = server.opaque().subject("user-3").register_as(shaped);
        assert_eq!(verifier.verify(&token).await.unwrap().subject(), "user-3");
    }
    assert_eq!(server.introspection_hits(), 3);

    // Logout works for an introspected token that has a `jti`, cached or not.
    let opaque = server.opaque().claim("jti", json!("j-1")).register();
    let introspected = verifier.verify(&opaque).await.unwrap();
    verifier.revoke(&introspected).await.unwrap();
    assert_eq!(
        verifier.verify(&opaque).await.unwrap_err().kind(),
        TokenErrorKind::Revoked
    );
    // Too long for the verifier: refused before any call.
    let long = "a".repeat(9000);
    assert_eq!(
        verifier.verify(&long).await.unwrap_err().kind(),
        TokenErrorKind::Malformed
    );
    assert_eq!(server.introspection_hits(), 4);
}

#[test]
fn settings_are_checked_when_built() {
    let build = |url: &str, change: fn(IntrospectorBuilder) -> IntrospectorBuilder| {
        change(Introspector::builder(url, "api", Secret::from("s"))).build()
    };
    let good = "https://login.example/introspect";
    assert!(build(good, |b| b).is_ok());
    assert!(build("http://127.0.0.1:9/introspect", |b| b).is_ok());
    for url in [
        "http://login.example/introspect",
        "ftp://login.example",
        "https://user:pw@login.example/introspect",
        "https://login.example/introspect#x",
        "introspect",
    ] {
        assert!(
            matches!(build(url, |b| b), Err(IntrospectionError::EndpointUrl(_))),
            "{url}"
        );
    }
    for change in [
        |b: IntrospectorBuilder| b.timeout(Duration::ZERO),
        |b: IntrospectorBuilder| b.timeout(Duration::from_secs(61)),
        |b: IntrospectorBuilder| b.cache_ttl(Duration::from_secs(3601)),
        |b: IntrospectorBuilder| {
            b.cache_ttl(Duration::from_secs(5))
                .negative_cache_ttl(Duration::from_secs(6))
        },
        |b: IntrospectorBuilder| b.issuer(""),
        |b: IntrospectorBuilder| b.audience("a\nb"),
        |b: IntrospectorBuilder| b.breaker(NonZeroU32::MIN, Duration::ZERO),
    ] {
        assert!(matches!(
            build(good, change),
            Err(IntrospectionError::InvalidValue(_))
        ),);
    }
    let err = Introspector::builder(good, "", Secret::from("hunter2"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("client id"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"));
}
