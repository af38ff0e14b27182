//! Request signatures on headers and bodies of any shape: a good signed
//! request verifies; the same with any one byte of the body changed, or
//! the bytes of its `Signature` or `Content-Digest` changed (another
//! spelling of the same bytes, with other pad bits, is the same value, as
//! RFC 8941 reads it), is refused;
//! `Signature-Input`, `Signature` and `Content-Digest` of any text are
//! refused without a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use common::{BODY, clock, hmac_signer, signed, verifier};
use futures_util::FutureExt;
use proptest::prelude::*;

fn verifies(request: &http::Request<()>, body: &[u8]) -> bool {
    let clock = clock();
    verifier(&clock)
        .verify(request, body)
        .now_or_never()
        .expect("memory stores answer at once")
        .is_ok()
}

/// Base64 as a structured-field byte sequence is read: pad bits ignored.
fn lenient(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine.decode(text).ok()
}

/// `value` with the byte at `at` replaced by `byte` (a different one).
fn changed(value: &[u8], at: prop::sample::Index, byte: u8) -> Option<Vec<u8>> {
    let mut bytes = value.to_vec();
    let i = at.index(bytes.len());
    (bytes[i] != byte).then(|| {
        bytes[i] = byte;
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn any_one_change_to_what_is_signed_is_refused(
        at in any::<prop::sample::Index>(),
        byte in 0x21_u8..0x7f,
        which in 0_u8..3,
    ) {
        let request = signed(&hmac_signer(&clock()));
        prop_assert!(verifies(&request, BODY));
        let mut request = request;
        let mut body = BODY.to_vec();
        match which {
            0 => match changed(BODY, at, byte) {
                Some(other) => body = other,
                None => return Ok(()),
            },
            name => {
                let name = if name == 1 { "signature" } else { "content-digest" };
                let value = request.headers()[name].as_bytes().to_vec();
                // The bytes between the colons: the signature or the digest.
                let open = value.iter().position(|b| *b == b':').unwrap() + 1;
                let close = value.len() - 1;
                let Some(inner) = changed(&value[open..close], at, byte) else {
                    return Ok(());
                };
                // RFC 8941 (4.2.7) asks parsers to take non-zero pad bits: a
                // change there spells the same bytes, not other ones.
                if let (Some(old), Some(new)) = (lenient(&value[open..close]), lenient(&inner)) {
                    prop_assume!(old != new);
                }
                let mut new = value[..open].to_vec();
                new.extend_from_slice(&inner);
                new.extend_from_slice(&value[close..]);
                let Ok(header) = http::HeaderValue::from_bytes(&new) else {
                    return Ok(());
                };
                request.headers_mut().insert(name, header);
            }
        }
        prop_assert!(!verifies(&request, &body));
    }

    #[test]
    fn headers_of_any_text_are_refused_without_a_panic(
        input in any::<Vec<u8>>(),
        signature in any::<Vec<u8>>(),
        digest in any::<Vec<u8>>(),
        keep in 0_u8..8,
    ) {
        let mut request = signed(&hmac_signer(&clock()));
        let mut replaced = false;
        for (bit, name, value) in [
            (1, "signature-input", &input),
            (2, "signature", &signature),
            (4, "content-digest", &digest),
        ] {
            if keep & bit == 0 {
                // Bytes no header value can hold never reach a server.
                if let Ok(header) = http::HeaderValue::from_bytes(value)
                    && request.headers()[name] != header
                {
                    request.headers_mut().insert(name, header);
                    replaced = true;
                }
            }
        }
        prop_assert_eq!(verifies(&request, BODY), !replaced);
    }
}
