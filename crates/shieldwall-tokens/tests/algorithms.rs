//! Every algorithm: a token signed with it verifies with its key, and with
//! no other key of the same family.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use futures_util::FutureExt;
use shieldwall_core::Secret;
use shieldwall_tokens::{
    Algorithm, Issuer, KeySet, MemoryRevocations, SigningKey, TokenErrorKind, Verifier,
    VerifyingKey,
};

fn pair(alg: Algorithm) -> (SigningKey, VerifyingKey, VerifyingKey) {
    let rsa = (
        include_bytes!("keys/rsa-private.pem"),
        include_bytes!("keys/rsa-public.pem"),
        include_bytes!("keys/rsa2-public.pem"),
    );
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            let secret = Secret::from(vec![0x11_u8; 64]);
            let other = Secret::from(vec![0x22_u8; 64]);
            (
                SigningKey::hmac(alg, &secret).unwrap(),
                VerifyingKey::hmac(alg, &secret).unwrap(),
                VerifyingKey::hmac(alg, &other).unwrap(),
            )
        }
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => (
            SigningKey::rsa_pem(alg, rsa.0).unwrap(),
            VerifyingKey::rsa_pem(alg, rsa.1).unwrap(),
            VerifyingKey::rsa_pem(alg, rsa.2).unwrap(),
        ),
        Algorithm::ES256 => (
            SigningKey::ec_pem(alg, include_bytes!("keys/es256-private.pem")).unwrap(),
            VerifyingKey::ec_pem(alg, include_bytes!("keys/es256-public.pem")).unwrap(),
            VerifyingKey::ec_pem(alg, include_bytes!("keys/es256b-public.pem")).unwrap(),
        ),
        Algorithm::ES384 => (
            SigningKey::ec_pem(alg, include_bytes!("keys/es384-private.pem")).unwrap(),
            VerifyingKey::ec_pem(alg, include_bytes!("keys/es384-public.pem")).unwrap(),
            VerifyingKey::ec_pem(alg, include_bytes!("keys/es384b-public.pem")).unwrap(),
        ),
        _ => (
            SigningKey::ed_pem(include_bytes!("keys/ed25519-private.pem")).unwrap(),
            VerifyingKey::ed_pem(include_bytes!("keys/ed25519-public.pem")).unwrap(),
            VerifyingKey::ed_pem(include_bytes!("keys/ed25519b-public.pem")).unwrap(),
        ),
    }
}

fn verify(key: VerifyingKey, token: &str) -> Result<(), TokenErrorKind> {
    Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
        .build()
        .unwrap()
        .verify(token)
        .now_or_never()
        .unwrap()
        .map(|_| ())
        .map_err(|e| e.kind())
}

#[test]
fn every_algorithm_round_trips_and_only_with_its_own_key() {
    for alg in Algorithm::ALL {
        let (signing, verifying, other) = pair(alg);
        let token = Issuer::builder(signing)
            .build()
            .unwrap()
            .issue("u", &[])
            .unwrap();
        assert_eq!(verify(verifying, token.token()), Ok(()), "{alg}");
        assert_eq!(
            verify(other, token.token()),
            Err(TokenErrorKind::Signature),
            "{alg}"
        );
    }
}

#[test]
fn a_p256_key_is_not_an_es384_key() {
    assert!(
        VerifyingKey::ec_pem(Algorithm::ES384, include_bytes!("keys/es256-public.pem")).is_err()
            || {
                // If the backend accepted the key, a P-256 signature must still not verify as ES384.
                let token = Issuer::builder(
                    SigningKey::ec_pem(Algorithm::ES256, include_bytes!("keys/es256-private.pem"))
                        .unwrap(),
                )
                .build()
                .unwrap()
                .issue("u", &[])
                .unwrap();
                verify(
                    VerifyingKey::ec_pem(Algorithm::ES384, include_bytes!("keys/es256-public.pem"))
                        .unwrap(),
                    token.token(),
                )
                .is_err()
            }
    );
}
