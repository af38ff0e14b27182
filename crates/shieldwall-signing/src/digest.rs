//! RFC 9530 `Content-Digest`: `sha-256` and `sha-512` of the raw body bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256, Sha512};

use crate::sf::{has_repeats, parse_byte_members};
use crate::{Reason, ct};

/// Checks a `Content-Digest` value against `body`: a dictionary of byte
/// sequences in which every `sha-256` and `sha-512` entry matches (compared
/// in constant time) and at least one of them is present. Other algorithms
/// are ignored, as RFC 9530 asks; a repeated algorithm is refused.
pub(crate) fn check(header: &[u8], body: &[u8]) -> Result<(), Reason> {
    let entries = parse_byte_members(header).map_err(|_| Reason::MalformedDigest)?;
    if has_repeats(entries.iter().map(|(k, _)| k.as_str())) {
        return Err(Reason::MalformedDigest);
    }
    let mut checked = false;
    for (algorithm, value) in entries.iter() {
        let len = match algorithm.as_str() {
            "sha-256" => 32,
            "sha-512" => 64,
            _ => continue,
        };
        // An inner list or another type is not a digest.
        let Some(sent) = value.as_deref() else {
            return Err(Reason::MalformedDigest);
        };
        if sent.len() != len {
            return Err(Reason::MalformedDigest);
        }
        let matches = if len == 32 {
            ct::equal(&Sha256::digest(body), sent)
        } else {
            ct::equal(&Sha512::digest(body), sent)
        };
        if !matches {
            return Err(Reason::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(Reason::UnsupportedDigest)
    }
}

/// `sha-256=:<base64>:`, the value the signer sends.
pub(crate) fn sha256_value(body: &[u8]) -> String {
    let mut value = String::from("sha-256=:");
    STANDARD.encode_string(Sha256::digest(body), &mut value);
    value.push(':');
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body and digests of RFC 9421 appendix B.2 / RFC 9530.
    const BODY: &[u8] = br#"{"hello": "world"}"#;
    const SHA256: &str = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
    const SHA512: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

    #[test]
    fn published_digests_match() {
        assert_eq!(sha256_value(BODY), SHA256);
        assert_eq!(check(SHA256.as_bytes(), BODY), Ok(()));
        assert_eq!(check(SHA512.as_bytes(), BODY), Ok(()));
        let both = format!("{SHA256}, {SHA512}, md5=:AAAA:");
        assert_eq!(check(both.as_bytes(), BODY), Ok(()));
    }

    #[test]
    fn tampering_and_bad_shapes_are_refused() {
        assert_eq!(
            check(SHA256.as_bytes(), b"{\"hello\": \"world!\"}"),
            Err(Reason::DigestMismatch)
        );
        for (value, reason) in [
            ("sha-256=:AAAA:", Reason::MalformedDigest),
            ("sha-256=1", Reason::MalformedDigest),
            ("sha-256", Reason::MalformedDigest),
            ("sha-256=(:AAAA:)", Reason::MalformedDigest),
            ("sha-256=:!!:", Reason::MalformedDigest),
            ("md5=:AAAA:", Reason::UnsupportedDigest),
            ("", Reason::UnsupportedDigest),
        ] {
            assert_eq!(check(value.as_bytes(), BODY), Err(reason), "{value}");
        }
        let twice = format!("{SHA256}, {SHA256}");
        assert_eq!(check(twice.as_bytes(), BODY), Err(Reason::MalformedDigest));
    }
}
