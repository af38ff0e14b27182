//! `SignatureGuard` through the `BodyGuard` contract, as the adapters run
//! it: precheck on the head, extract with the body, decide.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use futures_util::FutureExt;
use shieldwall_core::{BodyGuard, Decision, Principal, RequestView, Step, StoreError};
use shieldwall_errors::{ApiError, ErrorCode};
use shieldwall_signing::{
    KeyResolver, SignatureGuard, SignaturePolicy, VerificationKey, VerifiedSignature, Verifier,
};

fn run<G: BodyGuard>(guard: &G, request: &http::Request<()>, body: &[u8]) -> Decision {
    if let Some(decision) = guard.precheck(request) {
        return decision;
    }
    let body = Bytes::copy_from_slice(body);
    match guard.extract(request, &body) {
        Step::Done(decision) => decision,
        Step::Decide(input) => guard.decide(input).now_or_never().unwrap(),
    }
}

fn rejected(decision: Decision) -> ApiError {
    match decision {
        Decision::Reject(error) => error,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn body_of(error: &ApiError) -> Bytes {
    error.to_response(None).into_body()
}

fn with_principal(mut request: http::Request<()>, owner: &str) -> http::Request<()> {
    request
        .extensions_mut()
        .insert(Principal::api_key(owner, "k_1"));
    request
}

#[test]
fn a_missing_signature_is_signature_required_before_the_body_is_read() {
    let clock = clock();
    let guard = SignatureGuard::new(verifier(&clock));
    let decision = guard.precheck(&transfer()).expect("answered from the head");
    let error = rejected(decision);
    assert_eq!(error.status(), 401);
    assert_eq!(error.code(), ErrorCode::SignatureRequired);
    assert_eq!(error.reason(), Some("signature_missing"));
    assert!(guard.precheck(&signed(&hmac_signer(&clock))).is_none());
}

#[test]
fn a_verified_signature_is_attached_and_no_principal_is_set() {
    let clock = clock();
    let guard = SignatureGuard::new(verifier(&clock)).require_owner_of_principal();
    let request = with_principal(signed(&hmac_signer(&clock)), "alice");
    match run(&guard, &request, BODY) {
        Decision::Continue(grant) => {
            assert!(grant.principal.is_none());
            let verified = grant.attachments.get::<VerifiedSignature>().unwrap();
            assert_eq!(verified.key_id, "hmac-1");
            assert_eq!(verified.owner, "alice");
            // What a handler reads once the adapter attached it.
            let mut handled = request.clone();
            handled.extensions_mut().insert(grant.attachments);
            assert_eq!(
                handled.attachment::<VerifiedSignature>().unwrap().owner,
                "alice"
            );
        }
        other => panic!("expected Continue, got {other:?}"),
    }
}

#[test]
fn the_signing_key_must_belong_to_the_principal_when_asked() {
    let clock = clock();
    let guard = SignatureGuard::new(verifier(&clock)).require_owner_of_principal();
    let bob = with_principal(signed(&hmac_signer(&clock)), "bob");
    assert_eq!(
        rejected(run(&guard, &bob, BODY)).reason(),
        Some("owner_mismatch")
    );
    let nobody = signed(&hmac_signer(&clock));
    assert_eq!(
        rejected(run(&guard, &nobody, BODY)).reason(),
        Some("owner_mismatch")
    );
    // Without the option, any known key will do.
    let open = SignatureGuard::new(verifier(&clock));
    assert!(matches!(run(&open, &bob, BODY), Decision::Continue(_)));
}

#[test]
fn every_invalid_signature_gets_one_identical_answer() {
    let clock = clock();
    let guard = SignatureGuard::new(verifier(&clock));
    let signer = hmac_signer(&clock);
    let replayed = signed(&signer);
    assert!(matches!(
        run(&guard, &replayed, BODY),
        Decision::Continue(_)
    ));

    let mut cases: Vec<(http::Request<()>, Vec<u8>)> = Vec::new();
    cases.push((replayed, BODY.to_vec()));
    cases.push((signed(&signer), b"tampered".to_vec()));
    let mut bad = signed(&signer);
    set(
        &mut bad,
        "signature-input",
        "sig1=(\"<script>alert(1)</script>\")",
    );
    cases.push((bad, BODY.to_vec()));
    let mut bad = signed(&signer);
    set(&mut bad, "signature", "sig1=:AAAA:");
    cases.push((bad, BODY.to_vec()));
    let mut bad = signed(&signer);
    set(
        &mut bad,
        "signature",
        &format!("sig1=:{}:", "A".repeat(8000)),
    );
    cases.push((bad, BODY.to_vec()));
    let mut bad = signed(&signer);
    *bad.method_mut() = http::Method::DELETE;
    cases.push((bad, BODY.to_vec()));
    let stale = signed(&signer);
    let unknown = signed(
        &shieldwall_signing::Signer::hmac_sha256(
            "key-of-an-attacker",
            shieldwall_core::Secret::from(vec![9; 32]),
        )
        .unwrap()
        .clock(clock.clone()),
    );
    cases.push((unknown, BODY.to_vec()));

    let mut bodies = HashSet::new();
    let mut reasons = HashSet::new();
    for (request, body) in &cases {
        let error = rejected(run(&guard, request, body));
        assert_eq!(error.status(), 401);
        assert_eq!(error.code(), ErrorCode::InvalidSignature);
        let rendered = body_of(&error);
        let text = std::str::from_utf8(&rendered).unwrap();
        let reason = error.reason().unwrap();
        assert!(
            !text.contains(reason),
            "the reason is never rendered: {text}"
        );
        assert!(!text.contains("script") && !text.contains("key-of-an-attacker"));
        bodies.insert(rendered);
        reasons.insert(reason);
    }
    clock.advance(std::time::Duration::from_secs(301));
    let error = rejected(run(&guard, &stale, BODY));
    bodies.insert(body_of(&error));
    reasons.insert(error.reason().unwrap());
    assert_eq!(bodies.len(), 1, "one body for every cause");
    assert_eq!(
        reasons,
        HashSet::from([
            "nonce_replayed",
            "digest_mismatch",
            "malformed_signature_input",
            "bad_signature",
            "header_too_large",
            "unknown_key",
            "created_too_old",
        ])
    );
}

/// A key store that cannot be reached.
struct Down;

impl KeyResolver for Down {
    async fn resolve(&self, _key_id: &str) -> Result<Option<Arc<VerificationKey>>, StoreError> {
        Err(StoreError::new("signing key store", "connection refused"))
    }
}

#[test]
fn a_store_that_cannot_be_asked_is_503_without_detail() {
    let clock = clock();
    let verifier = Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        Down,
        nonces(&clock),
    )
    .clock(clock.clone());
    let guard = SignatureGuard::new(verifier);
    let error = rejected(run(&guard, &signed(&hmac_signer(&clock)), BODY));
    assert_eq!(error.status(), 503);
    assert_eq!(error.code(), ErrorCode::ServiceUnavailable);
    assert_eq!(error.reason(), Some("key_store_unavailable"));
    let text = String::from_utf8(body_of(&error).to_vec()).unwrap();
    assert!(!text.contains("connection refused") && !text.contains("detail"));
}

#[test]
fn the_body_limit_is_the_guards() {
    let clock = clock();
    let guard = SignatureGuard::new(verifier(&clock));
    assert_eq!(
        BodyGuard::body_limit(&guard),
        shieldwall_core::DEFAULT_BODY_LIMIT
    );
    let guard = guard.max_body_bytes(NonZeroUsize::new(1024).unwrap());
    assert_eq!(BodyGuard::body_limit(&guard).get(), 1024);
    let _ = format!("{guard:?}");
}

#[test]
fn the_decide_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let clock = clock();
    let guard = SignatureGuard::new(verifier(&clock));
    let pending = guard
        .verifier()
        .prepare(&signed(&hmac_signer(&clock)), BODY)
        .unwrap();
    let future = guard.decide(pending);
    assert_send(&future);
    assert!(matches!(future.now_or_never(), Some(Decision::Continue(_))));
}
