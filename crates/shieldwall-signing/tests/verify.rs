//! The verifier's policy on signed requests: what verifies, and stale,
//! incomplete, unknown-key, wrong-algorithm and too-narrow signatures
//! (memory stores, manual clock).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::*;
use shieldwall_core::TlsConnection;
use shieldwall_errors::ErrorCode;
use shieldwall_signing::{Algorithm, Reason, SignaturePolicy, Signer};

#[tokio::test]
async fn signed_requests_verify_with_their_key_and_owner() {
    let clock = clock();
    let verifier = verifier(&clock);
    for (signer, key_id, algorithm) in [
        (hmac_signer(&clock), "hmac-1", Algorithm::HmacSha256),
        (ed25519_signer(&clock), "ed-1", Algorithm::Ed25519),
    ] {
        let request = signed(&signer);
        let verified = verifier.verify(&request, BODY).await.unwrap();
        assert_eq!(verified.key_id, key_id);
        assert_eq!(verified.owner, "alice");
        assert_eq!(verified.algorithm, algorithm);
        assert_eq!(verified.label, "sig1");
        assert_eq!(verified.created, UNIX_EPOCH + Duration::from_secs(NOW));
        assert_eq!(verified.expires, None);
    }
}

#[tokio::test]
async fn created_too_old_or_too_far_in_the_future_is_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    let signer = hmac_signer(&clock);

    let request = signed(&signer);
    clock.advance(Duration::from_secs(300));
    assert!(
        verifier.verify(&request, BODY).await.is_ok(),
        "300 s is within"
    );
    let request = signed(&signer);
    clock.advance(Duration::from_secs(301));
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::CreatedTooOld
    );

    let ahead = shieldwall_core::ManualClock::at_unix_seconds(NOW + 10_000 + 301);
    clock.set(UNIX_EPOCH + Duration::from_secs(NOW + 10_000));
    let request = signed(&hmac_signer(&ahead));
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::CreatedInFuture
    );
    ahead.set(UNIX_EPOCH + Duration::from_secs(NOW + 10_000 + 300));
    let request = signed(&hmac_signer(&ahead));
    assert!(verifier.verify(&request, BODY).await.is_ok());
}

#[tokio::test]
async fn expires_is_honoured() {
    let clock = clock();
    let verifier = verifier(&clock);
    let signer = hmac_signer(&clock).expires_in(Duration::from_secs(10));
    let request = signed(&signer);
    assert!(header(&request, "signature-input").contains(&format!(";expires={}", NOW + 10)));
    clock.advance(Duration::from_secs(9));
    let verified = verifier.verify(&request, BODY).await.unwrap();
    assert_eq!(
        verified.expires,
        Some(UNIX_EPOCH + Duration::from_secs(NOW + 10))
    );

    let request = signed(&signer);
    clock.advance(Duration::from_secs(20));
    assert_eq!(refusal(&verifier, &request, BODY).await, Reason::Expired);

    // `expires` before `created` makes no sense.
    let mut request = signed(&hmac_signer(&clock));
    rewrite_input(&mut request, |s| format!("{s};expires=1"));
    assert_eq!(refusal(&verifier, &request, BODY).await, Reason::Expired);
}

#[tokio::test]
async fn missing_created_nonce_or_keyid_is_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    for (param, reason) in [
        ("created", Reason::MissingCreated),
        ("nonce", Reason::MissingNonce),
        ("keyid", Reason::MissingKeyId),
    ] {
        let mut request = signed(&hmac_signer(&clock));
        rewrite_input(&mut request, |s| without_param(s, param));
        assert_eq!(refusal(&verifier, &request, BODY).await, reason, "{param}");
    }
    let request = signed(&hmac_signer(&clock).without_nonce_insecure());
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::MissingNonce
    );
    for nonce in ["short", &"n".repeat(129)] {
        let mut request = signed(&hmac_signer(&clock));
        rewrite_input(&mut request, |s| {
            format!("{};nonce=\"{nonce}\"", without_param(s, "nonce"))
        });
        assert_eq!(
            refusal(&verifier, &request, BODY).await,
            Reason::MalformedNonce
        );
    }
}

#[tokio::test]
async fn unknown_keys_are_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    let signer = Signer::hmac_sha256(
        "nobody",
        shieldwall_core::Secret::from(HMAC_SECRET.to_vec()),
    )
    .unwrap()
    .clock(clock.clone());
    assert_eq!(
        refusal(&verifier, &signed(&signer), BODY).await,
        Reason::UnknownKey
    );
}

#[tokio::test]
async fn a_key_is_bound_to_its_algorithm() {
    let clock = clock();
    let verifier = verifier(&clock);

    // An `alg` that is not the key's.
    let mut request = signed(&hmac_signer(&clock));
    rewrite_input(&mut request, |s| {
        s.replace(r#"alg="hmac-sha256""#, r#"alg="ed25519""#)
    });
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::WrongAlgorithm
    );

    // An Ed25519 signature naming the HMAC key: with `alg`, refused before
    // any verification; without it, the HMAC key does not verify it.
    let ed_as_hmac = Signer::ed25519(
        "hmac-1",
        shieldwall_core::Secret::from(ED25519_SEED.to_vec()),
    )
    .unwrap()
    .clock(clock.clone());
    assert_eq!(
        refusal(&verifier, &signed(&ed_as_hmac), BODY).await,
        Reason::WrongAlgorithm
    );
    assert_eq!(
        refusal(&verifier, &signed(&ed_as_hmac.without_alg()), BODY).await,
        Reason::BadSignature
    );

    // An unregistered `alg`.
    let mut request = signed(&hmac_signer(&clock));
    rewrite_input(&mut request, |s| {
        s.replace(r#"alg="hmac-sha256""#, r#"alg="none""#)
    });
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::WrongAlgorithm
    );

    // A key of an algorithm the policy does not allow.
    let ed_only = verifier_with(
        SignaturePolicy::builder()
            .algorithms([Algorithm::Ed25519])
            .build()
            .unwrap(),
        &clock,
    );
    let request = signed(&hmac_signer(&clock).without_alg());
    assert_eq!(
        refusal(&ed_only, &request, BODY).await,
        Reason::WrongAlgorithm
    );
    assert!(
        ed_only
            .verify(&signed(&ed25519_signer(&clock)), BODY)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_fixed_authority_and_scheme_replace_the_host_header() {
    let clock = clock();
    let behind_proxy = verifier_with(
        SignaturePolicy::builder()
            .authority("api.example.com")
            .scheme(shieldwall_signing::Scheme::Https)
            .build()
            .unwrap(),
        &clock,
    );
    let mut request = signed(&hmac_signer(&clock));
    set(&mut request, "host", "backend.internal:8080");
    request.extensions_mut().remove::<TlsConnection>();
    assert!(behind_proxy.verify(&request, BODY).await.is_ok());

    // Signed for another host: refused whatever `Host` says.
    let mut elsewhere = http::Request::post("https://other.example.com/api/v1/transfers?dry_run=0")
        .header("host", "api.example.com")
        .header("content-type", "application/json")
        .body(())
        .unwrap();
    hmac_signer(&clock).sign(&mut elsewhere, BODY).unwrap();
    assert_eq!(
        refusal(&behind_proxy, &elsewhere, BODY).await,
        Reason::BadSignature
    );

    // Without a fixed authority, an authority in the target or `Host`,
    // `@target-uri` cannot be rebuilt (an origin-form target: HTTP/1.1).
    let verifier = verifier(&clock);
    let origin_form = |request: &mut http::Request<()>| {
        *request.uri_mut() = "/api/v1/transfers?dry_run=0".parse().unwrap();
    };
    let mut request = signed(&hmac_signer(&clock));
    origin_form(&mut request);
    request.headers_mut().remove("host");
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::MissingAuthority
    );
    let mut request = signed(&hmac_signer(&clock));
    origin_form(&mut request);
    request
        .headers_mut()
        .append("host", "api.example.com".parse().unwrap());
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::InvalidComponentValue
    );
}

#[tokio::test]
async fn a_signature_that_covers_too_little_is_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    for components in [
        &["@method", "content-digest", "content-type"][..],
        &[
            "@method",
            "@path",
            "@authority",
            "content-digest",
            "content-type",
        ],
        &["@method", "@target-uri", "content-type"],
    ] {
        let signer = hmac_signer(&clock).components(components).unwrap();
        assert_eq!(
            refusal(&verifier, &signed(&signer), BODY).await,
            Reason::ComponentsMissing,
            "{components:?}"
        );
    }
    // Covering more is fine.
    let signer = hmac_signer(&clock)
        .components([
            "@method",
            "@target-uri",
            "@authority",
            "content-digest",
            "content-type",
            "host",
        ])
        .unwrap();
    assert!(verifier.verify(&signed(&signer), BODY).await.is_ok());
}

#[tokio::test]
async fn a_covered_header_that_is_absent_is_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    let signer = hmac_signer(&clock)
        .components([
            "@method",
            "@target-uri",
            "content-digest",
            "content-type",
            "x-trace",
        ])
        .unwrap();
    let mut request = transfer();
    set(&mut request, "x-trace", "a");
    signer.sign(&mut request, BODY).unwrap();
    request.headers_mut().remove("x-trace");
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::CoveredHeaderMissing
    );
    let mut request = signed(&hmac_signer(&clock));
    request.headers_mut().remove("content-digest");
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::CoveredHeaderMissing
    );
    // Multiple field lines are combined with ", " on both sides.
    let mut request = transfer();
    request
        .headers_mut()
        .append("x-trace", "a".parse().unwrap());
    request
        .headers_mut()
        .append("x-trace", " b ".parse().unwrap());
    signer.sign(&mut request, BODY).unwrap();
    assert!(verifier.verify(&request, BODY).await.is_ok());
}

#[tokio::test]
async fn missing_signature_headers_are_signature_required() {
    let clock = clock();
    let verifier = verifier(&clock);
    for name in ["signature", "signature-input"] {
        let mut request = signed(&hmac_signer(&clock));
        request.headers_mut().remove(name);
        let rejection = verifier.precheck(&request).unwrap_err();
        assert_eq!(rejection.reason(), Reason::SignatureMissing);
        assert_eq!(rejection.code(), ErrorCode::SignatureRequired);
        assert_eq!(
            refusal(&verifier, &request, BODY).await,
            Reason::SignatureMissing
        );
    }
    assert!(verifier.precheck(&signed(&hmac_signer(&clock))).is_ok());
}

#[tokio::test]
async fn a_required_tag_must_be_sent() {
    let clock = clock();
    let verifier = verifier_with(
        SignaturePolicy::builder().tag("transfers").build().unwrap(),
        &clock,
    );
    assert_eq!(
        refusal(&verifier, &signed(&hmac_signer(&clock)), BODY).await,
        Reason::WrongTag
    );
    let other = hmac_signer(&clock).tag("payouts").unwrap();
    assert_eq!(
        refusal(&verifier, &signed(&other), BODY).await,
        Reason::WrongTag
    );
    let tagged = hmac_signer(&clock).tag("transfers").unwrap();
    assert!(verifier.verify(&signed(&tagged), BODY).await.is_ok());
}

#[tokio::test]
async fn the_owner_can_be_required_and_a_mismatch_burns_no_nonce() {
    let clock = clock();
    let verifier = verifier(&clock);
    let request = signed(&hmac_signer(&clock));
    let pending = verifier.prepare(&request, BODY).unwrap();
    assert_eq!(pending.key_id(), "hmac-1");
    let err = verifier
        .finish(pending.expect_owner(Some("bob")))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::OwnerMismatch);
    let pending = verifier.prepare(&request, BODY).unwrap();
    let err = verifier
        .finish(pending.expect_owner(None))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::OwnerMismatch);
    let pending = verifier.prepare(&request, BODY).unwrap();
    assert!(
        verifier
            .finish(pending.expect_owner(Some("alice")))
            .await
            .is_ok()
    );
}
