//! The verifier on tokens of any shape: never a panic; any bytes are
//! refused; a good token with any one byte changed, added or dropped is
//! refused (strict base64url: no second spelling of the same bytes).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use futures_util::FutureExt;
use proptest::prelude::*;
use shieldwall_core::Secret;
use shieldwall_tokens::{
    Algorithm, Issuer, KeySet, MemoryRevocations, SigningKey, Verifier, VerifyingKey,
};

fn parts() -> (Issuer, Verifier) {
    let secret = Secret::from(vec![7_u8; 32]);
    let issuer = Issuer::builder(SigningKey::hmac(Algorithm::HS256, &secret).unwrap())
        .issuer("props")
        .audience("props-api")
        .build()
        .unwrap();
    let verifier = Verifier::builder(
        KeySet::new([VerifyingKey::hmac(Algorithm::HS256, &secret).unwrap()]).unwrap(),
        MemoryRevocations::new(),
    )
    .issuer("props")
    .audience("props-api")
    .cache_capacity(0)
    .build()
    .unwrap();
    (issuer, verifier)
}

fn verify(verifier: &Verifier, token: &str) -> bool {
    verifier
        .verify(token)
        .now_or_never()
        .expect("no await on a static key set")
        .is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn any_one_change_to_a_good_token_is_refused(
        at in any::<prop::sample::Index>(),
        byte in 0x20_u8..0x7f,
        kind in 0_u8..3,
    ) {
        let (issuer, verifier) = parts();
        let token = issuer.issue("user-1", &["a"]).unwrap().token().to_owned();
        prop_assert!(verify(&verifier, &token));
        let mut bytes = token.clone().into_bytes();
        let i = at.index(bytes.len());
        match kind {
            0 => {
                prop_assume!(bytes[i] != byte);
                bytes[i] = byte;
            }
            1 => bytes.insert(i, byte),
            _ => {
                bytes.remove(i);
            }
        }
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(!verify(&verifier, &changed), "{token} -> {changed}");
    }

    #[test]
    fn any_text_is_refused_without_a_panic(text in any::<String>(), dots in 0_usize..5) {
        let (_, verifier) = parts();
        let token = std::iter::repeat_n(text.as_str(), dots + 1).collect::<Vec<_>>().join(".");
        prop_assert!(!verify(&verifier, &token));
    }
}
