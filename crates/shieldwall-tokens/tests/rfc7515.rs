//! RFC 7515 Appendix A: the published tokens verify with their published
//! keys, and are then refused as expired (their `exp` is 2011-03-22). The
//! unsecured example (A.5, `alg: none`) is refused outright.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::FutureExt;
use shieldwall_core::{ManualClock, Secret};
use shieldwall_tokens::{
    Algorithm, KeySet, MemoryRevocations, TokenErrorKind, Verifier, VerifyingKey,
};

// Test vectors of RFC 7515 Appendix A (payload {"iss":"joe","exp":1300819380,...}).
const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const A1_KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

const A2_TOKEN: &str = concat!(
    "eyJhbGciOiJSUzI1NiJ9.",
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.",
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7",
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4",
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K",
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv",
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB",
    "p0igcN_IoypGlUPQGe77Rw",
);
const A2_N: &str = concat!(
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx",
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs",
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH",
    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV",
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8",
    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
);

const A3_TOKEN: &str = concat!(
    "eyJhbGciOiJFUzI1NiJ9.",
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.",
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
);
const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

const A5_TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";

const EXP: u64 = 1_300_819_380;

/// The RFC's tokens carry only `iss`, `exp` and a private claim.
fn verifier(key: VerifyingKey, now: u64) -> Verifier {
    Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
        .issuer("joe")
        .require_iat(false)
        .require_jti(false)
        .require_sub(false)
        .clock(ManualClock::at_unix_seconds(now))
        .build()
        .unwrap()
}

fn verify(verifier: &Verifier, token: &str) -> Result<(), TokenErrorKind> {
    verifier
        .verify(token)
        .now_or_never()
        .unwrap()
        .map(|_| ())
        .map_err(|e| e.kind())
}

fn keys() -> Vec<(&'static str, &'static str, VerifyingKey)> {
    let hmac = Secret::from(URL_SAFE_NO_PAD.decode(A1_KEY).unwrap());
    vec![
        (
            "A.1 HS256",
            A1_TOKEN,
            VerifyingKey::hmac(Algorithm::HS256, &hmac).unwrap(),
        ),
        (
            "A.2 RS256",
            A2_TOKEN,
            VerifyingKey::rsa_components(Algorithm::RS256, A2_N, "AQAB").unwrap(),
        ),
        (
            "A.3 ES256",
            A3_TOKEN,
            VerifyingKey::ec_components(Algorithm::ES256, A3_X, A3_Y).unwrap(),
        ),
    ]
}

#[test]
fn the_published_tokens_verify_with_their_keys_and_are_then_expired() {
    for (name, token, key) in keys() {
        // At a time when they were fresh, they verify.
        assert_eq!(
            verify(&verifier(key.clone(), EXP - 60), token),
            Ok(()),
            "{name}"
        );
        // Now they are expired: TOKEN_EXPIRED, said after the signature verified.
        assert_eq!(
            verify(&verifier(key, 1_800_000_000), token),
            Err(TokenErrorKind::Expired),
            "{name}"
        );
    }
}

#[test]
fn a_changed_byte_breaks_each_signature() {
    for (name, token, key) in keys() {
        let mut tampered = token.to_owned();
        // Flip one character of the signature (keeping it valid base64url).
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'Q' } else { 'A' });
        let result = verify(&verifier(key, EXP - 60), &tampered);
        assert!(
            matches!(
                result,
                Err(TokenErrorKind::Signature | TokenErrorKind::Malformed)
            ),
            "{name}: {result:?}"
        );
    }
}

#[test]
fn the_unsecured_example_is_refused() {
    for (name, _, key) in keys() {
        assert!(
            verify(&verifier(key, EXP - 60), A5_TOKEN).is_err(),
            "{name}"
        );
    }
}
