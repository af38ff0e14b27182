//! The `cnf` claim (RFC 7800): the key a token is bound to. Only `jkt`
//! (RFC 9449 section 6.1, a DPoP key's RFC 7638 thumbprint) is read; it is
//! read whether or not DPoP proofs are checked, so that a bound token is
//! never taken as a plain bearer token.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::json::{Any, SeenKeys, Text, duplicate};
use crate::{TokenErrorKind, TokenRejection};

/// The length of a SHA-256 thumbprint in unpadded base64url.
pub(crate) const JKT_LEN: usize = 43;

/// A `cnf` object: its `jkt` member, its type not yet judged.
#[derive(Default)]
pub(crate) struct Confirmation<'de> {
    jkt: Option<Any<'de>>,
}

impl<'de> Deserialize<'de> for Confirmation<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ConfirmationVisitor)
    }
}

struct ConfirmationVisitor;

impl<'de> Visitor<'de> for ConfirmationVisitor {
    type Value = Confirmation<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cnf object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut cnf = Confirmation::default();
        let mut seen = SeenKeys::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if !seen.insert(&key) {
                return Err(duplicate());
            }
            if key == "jkt" {
                cnf.jkt = Some(map.next_value()?);
            } else {
                // Other confirmation methods (`x5t#S256`, `jwk`, ...) are not
                // checked here; the README says so.
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(cnf)
    }
}

/// Whether `jkt` has the shape of a SHA-256 thumbprint: 43 base64url
/// characters whose last one carries no stray bits.
pub(crate) fn is_thumbprint(jkt: &str) -> bool {
    use base64::Engine;
    let mut bytes = [0_u8; 33];
    jkt.len() == JKT_LEN
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode_slice(jkt, &mut bytes)
            .is_ok_and(|n| n == 32)
}

/// The `cnf.jkt` of a token: `None` without `cnf` or without `jkt`; refused
/// when `jkt` is not a SHA-256 thumbprint (a bound token must never pass as
/// an unbound one because its binding is misspelt).
pub(crate) fn jkt(cnf: Option<&Confirmation<'_>>) -> Result<Option<Box<str>>, TokenRejection> {
    match cnf.and_then(|c| c.jkt.as_ref()) {
        None => Ok(None),
        Some(Any::Text(jkt)) if is_thumbprint(jkt) => Ok(Some(Box::from(jkt.as_ref()))),
        Some(_) => Err(TokenRejection::new(
            TokenErrorKind::Claims,
            "cnf.jkt is not a base64url SHA-256 thumbprint",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Option<Box<str>>, TokenErrorKind> {
        let cnf: Confirmation<'_> =
            serde_json::from_str(json).map_err(|_| TokenErrorKind::Malformed)?;
        jkt(Some(&cnf)).map_err(|e| e.kind())
    }

    #[test]
    fn jkt_is_read_and_checked() {
        let good = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
        assert_eq!(
            read(&format!(r#"{{"jkt":"{good}"}}"#)).unwrap().as_deref(),
            Some(good)
        );
        assert_eq!(read(r#"{"x5t#S256":"abc"}"#), Ok(None));
        assert_eq!(read("{}"), Ok(None));
        for bad in [
            r#"{"jkt":7}"#,
            r#"{"jkt":""}"#,
            r#"{"jkt":"abc"}"#,
            r#"{"jkt":["a"]}"#,
        ] {
            assert_eq!(read(bad), Err(TokenErrorKind::Claims), "{bad}");
        }
        let padded = format!(r#"{{"jkt":"{}="}}"#, &good[..42]);
        assert_eq!(read(&padded), Err(TokenErrorKind::Claims));
        assert!(read(&format!(r#"{{"jkt":"{good}","jkt":"{good}"}}"#)).is_err());
        assert!(read(r#""jkt""#).is_err());
    }
}
