//! Strict compact JWS: three base64url parts, no padding, no other alphabet,
//! a header that names no key material of its own.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::json::{Any, SeenKeys, Text, duplicate};
use crate::key::MAX_KID_LEN;
use crate::{Algorithm, TokenErrorKind, TokenRejection};

/// The default longest token: checked before any decoding.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;

/// The longest signature (RSA 4096 bits).
const MAX_SIGNATURE_LEN: usize = 512;

/// Header parameters that would let a token choose its own key or certificate
/// (RFC 7515 4.1.2 to 4.1.6), or need processing this verifier does not do.
const REFUSED_HEADER_PARAMS: [(&str, &str); 8] = [
    ("jku", "the header names its own key material"),
    ("jwk", "the header names its own key material"),
    ("x5u", "the header names its own key material"),
    ("x5c", "the header names its own key material"),
    ("crit", "the header has critical extensions"),
    (
        "cty",
        "the header asks for processing that is not supported",
    ),
    (
        "zip",
        "the header asks for processing that is not supported",
    ),
    (
        "enc",
        "the header asks for processing that is not supported",
    ),
];

/// The accepted `typ` values, compared case-insensitively (RFC 7515 4.1.9).
const ACCEPTED_TYP: [&str; 4] = ["JWT", "at+jwt", "application/jwt", "application/at+jwt"];

/// A decoded signature, on the stack.
pub(crate) struct Signature {
    bytes: [u8; MAX_SIGNATURE_LEN],
    len: usize,
}

impl Signature {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

pub(crate) struct Compact<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) signing_input: &'a [u8],
    pub(crate) payload: &'a str,
    pub(crate) signature: Signature,
}

fn malformed(reason: &'static str) -> TokenRejection {
    TokenRejection::new(TokenErrorKind::Malformed, reason)
}

pub(crate) fn decode(part: &str) -> Result<Vec<u8>, TokenRejection> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| malformed("a part is not strict unpadded base64url"))
}

fn decode_signature(part: &str) -> Result<Signature, TokenRejection> {
    let mut signature = Signature {
        bytes: [0; MAX_SIGNATURE_LEN],
        len: 0,
    };
    if part.len() > MAX_SIGNATURE_LEN * 4 / 3 + 3 {
        return Err(malformed("the signature is too long"));
    }
    signature.len = URL_SAFE_NO_PAD
        .decode_slice(part, &mut signature.bytes)
        .map_err(|_| malformed("a part is not strict unpadded base64url"))?;
    Ok(signature)
}

/// The header parameters this verifier reads, with their JSON types unchecked.
#[derive(Default)]
struct Header<'de> {
    alg: Option<Any<'de>>,
    kid: Option<Any<'de>>,
    typ: Option<Any<'de>>,
    refused: Option<&'static str>,
}

impl<'de> Deserialize<'de> for Header<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = Header::default();
        let mut seen = SeenKeys::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if !seen.insert(&key) {
                return Err(duplicate());
            }
            match key.as_ref() {
                "alg" => header.alg = Some(map.next_value()?),
                "kid" => header.kid = Some(map.next_value()?),
                "typ" => header.typ = Some(map.next_value()?),
                name => {
                    if let Some((_, reason)) =
                        REFUSED_HEADER_PARAMS.iter().find(|(p, _)| *p == name)
                    {
                        header.refused.get_or_insert(reason);
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(header)
    }
}

/// Splits and checks a compact JWS. The payload is decoded later, once the
/// signature verified.
pub(crate) fn parse(token: &str, max_len: usize) -> Result<Compact<'_>, TokenRejection> {
    if token.len() > max_len {
        return Err(malformed("token longer than the limit"));
    }
    let (header_b64, rest) = token
        .split_once('.')
        .ok_or_else(|| malformed("not three parts"))?;
    let (payload, signature_b64) = rest
        .split_once('.')
        .ok_or_else(|| malformed("not three parts"))?;
    if signature_b64.contains('.') {
        return Err(malformed("more than three parts (JWE is not accepted)"));
    }
    if header_b64.is_empty() || payload.is_empty() {
        return Err(malformed("an empty part"));
    }
    if signature_b64.is_empty() {
        return Err(malformed("no signature"));
    }
    let header_bytes = decode(header_b64)?;
    let header: Header<'_> = serde_json::from_slice(&header_bytes)
        .map_err(|_| malformed("the header is not a JSON object with unique keys"))?;
    if let Some(reason) = header.refused {
        return Err(malformed(reason));
    }
    let alg = match header.alg {
        Some(Any::Text(name)) => Algorithm::from_name(&name)
            .ok_or_else(|| TokenRejection::new(TokenErrorKind::Algorithm, "alg not supported"))?,
        Some(_) => return Err(malformed("alg is not a string")),
        None => return Err(malformed("no alg")),
    };
    let kid = match header.kid {
        None => None,
        Some(Any::Text(kid)) if !kid.is_empty() && kid.len() <= MAX_KID_LEN => {
            Some(kid.into_owned())
        }
        Some(_) => return Err(malformed("kid is not a string of 1 to 256 characters")),
    };
    match header.typ {
        None => {}
        Some(Any::Text(typ)) if ACCEPTED_TYP.iter().any(|t| t.eq_ignore_ascii_case(&typ)) => {}
        Some(_) => return Err(malformed("typ is not a JWT type")),
    }
    let signature = decode_signature(signature_b64)?;
    let signing_input = token
        .as_bytes()
        .get(..header_b64.len() + 1 + payload.len())
        .ok_or_else(|| malformed("not three parts"))?;
    Ok(Compact {
        alg,
        kid,
        signing_input,
        payload,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64("{}"))
    }

    fn kind(token: &str) -> TokenErrorKind {
        match parse(token, DEFAULT_MAX_TOKEN_LEN) {
            Ok(_) => panic!("accepted {token}"),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn a_good_header_parses() {
        let t = token(r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#);
        let c = parse(&t, DEFAULT_MAX_TOKEN_LEN).unwrap();
        assert_eq!(c.alg, Algorithm::HS256);
        assert_eq!(c.kid.as_deref(), Some("k1"));
        assert_eq!(c.signature.as_bytes(), b"sig");
    }

    #[test]
    fn alg_none_in_every_casing_is_refused() {
        for alg in ["none", "None", "NONE", "nOnE", "", "HS256 "] {
            assert_eq!(
                kind(&token(&format!(r#"{{"alg":"{alg}"}}"#))),
                TokenErrorKind::Algorithm,
                "{alg}"
            );
        }
        assert_eq!(kind(&token(r#"{"alg":null}"#)), TokenErrorKind::Malformed);
        assert_eq!(kind(&token(r#"{"typ":"JWT"}"#)), TokenErrorKind::Malformed);
    }

    #[test]
    fn a_token_cannot_bring_its_own_key() {
        for param in ["jku", "jwk", "x5u", "x5c", "crit", "cty", "zip", "enc"] {
            let header = format!(r#"{{"alg":"RS256","{param}":"x"}}"#);
            assert_eq!(kind(&token(&header)), TokenErrorKind::Malformed, "{param}");
        }
    }

    #[test]
    fn shape_and_encoding_are_strict() {
        let good = token(r#"{"alg":"HS256"}"#);
        let (h, rest) = good.split_once('.').unwrap();
        let (p, _) = rest.split_once('.').unwrap();
        for bad in [
            format!("{h}.{p}."),               // signature stripped
            format!("{h}.{p}"),                // two parts
            format!("{h}.{p}.c2ln.c2ln.c2ln"), // five parts (JWE)
            format!("{h}=.{p}.c2ln"),          // padding
            format!("{h}.{p}.c2ln="),
            format!("{}.{p}.c2ln", h.replace('-', "+")), // standard alphabet, if present
            format!("{h}.{p}.c2l/"),
            format!(".{p}.c2ln"),
            format!("{h}..c2ln"),
            format!(" {h}.{p}.c2ln"),
            format!("{h}.{p}.c3"), // non-zero trailing bits ("cw" is canonical)
        ] {
            if bad == good {
                continue;
            }
            assert!(parse(&bad, DEFAULT_MAX_TOKEN_LEN).is_err(), "{bad}");
        }
        let long = format!("{good}{}", "A".repeat(DEFAULT_MAX_TOKEN_LEN));
        assert_eq!(kind(&long), TokenErrorKind::Malformed);
    }

    #[test]
    fn header_fields_have_their_types() {
        assert_eq!(
            kind(&token(r#"{"alg":"HS256","kid":7}"#)),
            TokenErrorKind::Malformed
        );
        assert_eq!(
            kind(&token(r#"{"alg":"HS256","kid":""}"#)),
            TokenErrorKind::Malformed
        );
        assert_eq!(
            kind(&token(r#"{"alg":"HS256","typ":"JOSE"}"#)),
            TokenErrorKind::Malformed
        );
        assert_eq!(
            kind(&token(r#"{"alg":"HS256","alg":"none"}"#)),
            TokenErrorKind::Malformed
        );
        assert_eq!(kind(&token(r#"["HS256"]"#)), TokenErrorKind::Malformed);
        assert!(
            parse(
                &token(r#"{"alg":"HS256","typ":"at+JWT"}"#),
                DEFAULT_MAX_TOKEN_LEN
            )
            .is_ok()
        );
    }
}
