//! Replays: a nonce is accepted once, remembered only after its signature
//! verified and for as long as the signature could be accepted, and a full
//! memory store fails closed (memory stores, manual clock; the Redis store
//! is in `redis.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use shieldwall_core::{Clock as _, StoreError};
use shieldwall_errors::ErrorCode;
use shieldwall_signing::{MemoryNonceStore, NonceStore, Reason, SignaturePolicy, Verifier};

#[tokio::test]
async fn a_replayed_nonce_is_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    let request = signed(&hmac_signer(&clock));
    let replay = request.clone();
    assert!(verifier.verify(&request, BODY).await.is_ok());
    assert_eq!(
        refusal(&verifier, &replay, BODY).await,
        Reason::NonceReplayed
    );
    // Still refused late in the window.
    clock.advance(Duration::from_secs(299));
    assert_eq!(
        refusal(&verifier, &replay, BODY).await,
        Reason::NonceReplayed
    );
    // And once the nonce could be forgotten, `created` is too old anyway.
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        refusal(&verifier, &replay, BODY).await,
        Reason::CreatedTooOld
    );
}

#[tokio::test]
async fn the_nonce_is_remembered_only_after_the_signature_verified() {
    let clock = clock();
    let verifier = verifier(&clock);
    let genuine = signed(&hmac_signer(&clock));
    // Someone without the key copies the nonce into a forged signature.
    let mut forged = genuine.clone();
    set(
        &mut forged,
        "signature",
        "sig1=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:",
    );
    assert_eq!(
        refusal(&verifier, &forged, BODY).await,
        Reason::BadSignature
    );
    // The nonce was not used up: the genuine request still passes.
    assert!(verifier.verify(&genuine, BODY).await.is_ok());
}

#[tokio::test]
async fn a_full_nonce_store_fails_closed_with_503() {
    let clock = clock();
    let verifier = Verifier::new(
        SignaturePolicy::builder().build().unwrap(),
        keys(),
        MemoryNonceStore::new()
            .capacity(NonZeroUsize::new(2).unwrap())
            .clock(clock.clone()),
    )
    .clock(clock.clone());
    let signer = hmac_signer(&clock);
    assert!(verifier.verify(&signed(&signer), BODY).await.is_ok());
    assert!(verifier.verify(&signed(&signer), BODY).await.is_ok());
    let err = verifier.verify(&signed(&signer), BODY).await.unwrap_err();
    assert_eq!(err.reason(), Reason::NonceStoreUnavailable);
    assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
    // Once the first nonces' time is up (window + skew), there is room again.
    clock.advance(Duration::from_secs(330));
    assert!(verifier.verify(&signed(&signer), BODY).await.is_ok());
}

/// Records the time-to-live of every nonce (and remembers none).
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<Duration>>>);

impl NonceStore for Recording {
    fn remember_nonce(
        &self,
        _key_id: &str,
        _nonce: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.0.lock().unwrap().push(ttl);
        std::future::ready(Ok(true))
    }
}

#[tokio::test]
async fn nonces_are_kept_as_long_as_their_signature_could_be_accepted() {
    let clock = clock();
    let recording = Recording::default();
    let verifier = Verifier::new(
        SignaturePolicy::builder()
            .window(Duration::from_secs(300))
            .clock_skew(Duration::from_secs(30))
            .build()
            .unwrap(),
        keys(),
        recording.clone(),
    )
    .clock(clock.clone());
    let ttl = |n: usize| recording.0.lock().unwrap()[n];

    // Signed now: created + window + skew from now.
    verifier
        .verify(&signed(&hmac_signer(&clock)), BODY)
        .await
        .unwrap();
    assert_eq!(ttl(0), Duration::from_secs(330));
    // Signed 100 s ago: 100 s less.
    let request = signed(&hmac_signer(&clock));
    clock.advance(Duration::from_secs(100));
    verifier.verify(&request, BODY).await.unwrap();
    assert_eq!(ttl(1), Duration::from_secs(230));
    // Signed 200 s ahead of our clock: accepted until created + window.
    let ahead = shieldwall_core::ManualClock::at_unix_seconds(clock.unix_seconds() + 200);
    verifier
        .verify(&signed(&hmac_signer(&ahead)), BODY)
        .await
        .unwrap();
    assert_eq!(ttl(2), Duration::from_secs(530));
    // An `expires` later than created + window changes nothing: the
    // signature is refused after created + window anyway, and a client
    // must not choose how long its nonces fill the store.
    let long = hmac_signer(&clock).expires_in(Duration::from_secs(86_400));
    verifier.verify(&signed(&long), BODY).await.unwrap();
    assert_eq!(ttl(3), Duration::from_secs(330));
    // ...an earlier one ends acceptance sooner, and the nonce with it.
    let short = hmac_signer(&clock).expires_in(Duration::from_secs(60));
    verifier.verify(&signed(&short), BODY).await.unwrap();
    assert_eq!(ttl(4), Duration::from_secs(90));
}

#[tokio::test]
async fn shared_stores_serve_several_verifiers() {
    let clock = clock();
    let nonces = Arc::new(nonces(&clock));
    let keys = Arc::new(keys());
    let policy = SignaturePolicy::builder().build().unwrap();
    let a =
        Verifier::new(policy.clone(), Arc::clone(&keys), Arc::clone(&nonces)).clock(clock.clone());
    let b = Verifier::new(policy, keys, nonces).clock(clock.clone());
    let request = signed(&hmac_signer(&clock));
    assert!(a.verify(&request, BODY).await.is_ok());
    let err = b.verify(&request, BODY).await.unwrap_err();
    assert_eq!(err.reason(), Reason::NonceReplayed);
    assert_eq!(a.keys().len(), 3);
}
