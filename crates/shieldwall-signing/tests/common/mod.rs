//! Fixtures shared by the integration tests: a clock, keys, signers and
//! signed transfer requests.
#![allow(dead_code, reason = "each test file uses a part")]

use std::num::NonZeroUsize;

use shieldwall_core::{ManualClock, Secret, TlsConnection};
use shieldwall_signing::{
    MemoryKeyResolver, MemoryNonceStore, Reason, SignaturePolicy, Signer, VerificationKey, Verifier,
};

pub(crate) const NOW: u64 = 1_700_000_000;
pub(crate) const HMAC_SECRET: [u8; 32] = [0x42; 32];
pub(crate) const OTHER_SECRET: [u8; 32] = [0x24; 32];
pub(crate) const ED25519_SEED: [u8; 32] = [0x17; 32];
pub(crate) const BODY: &[u8] = br#"{"to":"bob","amount":5,"currency":"EUR"}"#;

pub(crate) fn clock() -> ManualClock {
    ManualClock::at_unix_seconds(NOW)
}

pub(crate) fn hmac_signer(clock: &ManualClock) -> Signer {
    Signer::hmac_sha256("hmac-1", Secret::from(HMAC_SECRET.to_vec()))
        .unwrap()
        .clock(clock.clone())
}

pub(crate) fn ed25519_signer(clock: &ManualClock) -> Signer {
    Signer::ed25519("ed-1", Secret::from(ED25519_SEED.to_vec()))
        .unwrap()
        .clock(clock.clone())
}

/// `hmac-1` and `ed-1` of `alice`, `hmac-2` of `bob`.
pub(crate) fn keys() -> MemoryKeyResolver {
    let ed_public = ed25519_signer(&clock()).ed25519_public_key().unwrap();
    MemoryKeyResolver::with_keys([
        VerificationKey::hmac_sha256("hmac-1", "alice", Secret::from(HMAC_SECRET.to_vec()))
            .unwrap(),
        VerificationKey::ed25519("ed-1", "alice", &ed_public).unwrap(),
        VerificationKey::hmac_sha256("hmac-2", "bob", Secret::from(OTHER_SECRET.to_vec())).unwrap(),
    ])
}

pub(crate) fn nonces(clock: &ManualClock) -> MemoryNonceStore {
    MemoryNonceStore::new()
        .capacity(NonZeroUsize::new(1000).unwrap())
        .clock(clock.clone())
}

pub(crate) fn verifier(clock: &ManualClock) -> Verifier<MemoryKeyResolver, MemoryNonceStore> {
    verifier_with(SignaturePolicy::builder().build().unwrap(), clock)
}

pub(crate) fn verifier_with(
    policy: SignaturePolicy,
    clock: &ManualClock,
) -> Verifier<MemoryKeyResolver, MemoryNonceStore> {
    Verifier::new(policy, keys(), nonces(clock)).clock(clock.clone())
}

/// An unsigned transfer request as a server sees it after TLS.
pub(crate) fn transfer() -> http::Request<()> {
    let mut request = http::Request::post("https://api.example.com/api/v1/transfers?dry_run=0")
        .header("host", "api.example.com")
        .header("content-type", "application/json")
        .body(())
        .unwrap();
    request.extensions_mut().insert(TlsConnection);
    request
}

/// A transfer request signed by `signer` over `BODY`.
pub(crate) fn signed(signer: &Signer) -> http::Request<()> {
    let mut request = transfer();
    signer.sign(&mut request, BODY).unwrap();
    request
}

/// Replaces header `name` with `value`.
pub(crate) fn set(request: &mut http::Request<()>, name: &'static str, value: &str) {
    request
        .headers_mut()
        .insert(name, http::HeaderValue::from_str(value).unwrap());
}

/// The header's value as text.
pub(crate) fn header(request: &http::Request<()>, name: &str) -> String {
    request.headers()[name].to_str().unwrap().to_owned()
}

/// Verifies and answers the reason of the refusal (panics on success).
pub(crate) async fn refusal(
    verifier: &Verifier<MemoryKeyResolver, MemoryNonceStore>,
    request: &http::Request<()>,
    body: &[u8],
) -> Reason {
    match verifier.verify(request, body).await {
        Ok(verified) => panic!("expected a refusal, got {verified:?}"),
        Err(rejection) => rejection.reason(),
    }
}

/// Rewrites the `Signature-Input` header's text.
pub(crate) fn rewrite_input(
    request: &mut http::Request<()>,
    change: impl FnOnce(String) -> String,
) {
    let input = change(header(request, "signature-input"));
    set(request, "signature-input", &input);
}

/// Removes `;name=value` from the signature parameters.
pub(crate) fn without_param(input: String, name: &str) -> String {
    let start = input.find(&format!(";{name}=")).unwrap();
    let end = input[start + 1..]
        .find(';')
        .map_or(input.len(), |i| start + 1 + i);
    format!("{}{}", &input[..start], &input[end..])
}
