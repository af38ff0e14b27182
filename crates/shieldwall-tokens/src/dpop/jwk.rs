//! The proof's `jwk` header parameter: a public key only, fit for the
//! proof's `alg`, its RFC 7638 thumbprint, and the signature check under it.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use sha2::{Digest, Sha256};

use crate::Algorithm;
use crate::algorithm::Family;
use crate::json::{Any, SeenKeys, Text, duplicate};
use crate::provider::provider;

/// Members that hold private key material (RFC 7518 section 6): a proof
/// whose `jwk` holds one is refused, whatever its type.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The RSA moduli taken, in bits: at least what RFC 7518 requires, at most
/// what keeps one verification cheap.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

/// The members of a JWK this check reads, their JSON types not yet judged.
#[derive(Default)]
pub(super) struct Jwk<'de> {
    kty: Option<Any<'de>>,
    crv: Option<Any<'de>>,
    x: Option<Any<'de>>,
    y: Option<Any<'de>>,
    n: Option<Any<'de>>,
    e: Option<Any<'de>>,
    private: bool,
}

impl<'de> Deserialize<'de> for Jwk<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JwkVisitor)
    }
}

struct JwkVisitor;

impl<'de> Visitor<'de> for JwkVisitor {
    type Value = Jwk<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWK object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut jwk = Jwk::default();
        let mut seen = SeenKeys::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if !seen.insert(&key) {
                return Err(duplicate());
            }
            let slot = match key.as_ref() {
                "kty" => &mut jwk.kty,
                "crv" => &mut jwk.crv,
                "x" => &mut jwk.x,
                "y" => &mut jwk.y,
                "n" => &mut jwk.n,
                "e" => &mut jwk.e,
                name => {
                    if PRIVATE_MEMBERS.contains(&name) {
                        jwk.private = true;
                    }
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(jwk)
    }
}

/// A public key from a proof, fit for its `alg`. Its members are strict
/// unpadded base64url (checked), so they go into the thumbprint's JSON as
/// they are.
pub(super) enum PublicKey<'a> {
    Ec {
        crv: &'static str,
        x: &'a str,
        y: &'a str,
    },
    Ed25519 {
        x: &'a str,
    },
    Rsa {
        n: &'a str,
        e: &'a str,
    },
}

fn text<'a>(value: Option<&'a Any<'_>>) -> Option<&'a str> {
    match value {
        Some(Any::Text(s)) => Some(s),
        _ => None,
    }
}

/// The length of `value` decoded, when it is strict unpadded base64url.
fn decoded_len(value: &str) -> Option<usize> {
    URL_SAFE_NO_PAD.decode(value).ok().map(|bytes| bytes.len())
}

/// A coordinate of exactly `len` bytes.
fn coordinate<'a>(value: Option<&'a Any<'_>>, len: usize) -> Option<&'a str> {
    text(value).filter(|v| v.len() == (len * 4).div_ceil(3) && decoded_len(v) == Some(len))
}

impl<'de> Jwk<'de> {
    /// The public key, if this JWK is one that fits `alg`: no private
    /// member, `kty` and `crv` of the algorithm, coordinates of the curve's
    /// size, an RSA modulus of 2048 to 4096 bits and an exponent of at most
    /// four bytes.
    pub(super) fn public_key(&self, alg: Algorithm) -> Result<PublicKey<'_>, &'static str> {
        if self.private {
            return Err("the jwk holds private key material");
        }
        let kty = text(self.kty.as_ref()).ok_or("the jwk has no kty")?;
        let crv = text(self.crv.as_ref());
        let bad_key = "the jwk does not fit the alg";
        match alg.family() {
            Family::Ec => {
                let (name, size) = match alg {
                    Algorithm::ES256 => ("P-256", 32),
                    Algorithm::ES384 => ("P-384", 48),
                    _ => return Err(bad_key),
                };
                if kty != "EC" || crv != Some(name) {
                    return Err(bad_key);
                }
                let x = coordinate(self.x.as_ref(), size).ok_or(bad_key)?;
                let y = coordinate(self.y.as_ref(), size).ok_or(bad_key)?;
                Ok(PublicKey::Ec { crv: name, x, y })
            }
            Family::Ed => {
                if kty != "OKP" || crv != Some("Ed25519") {
                    return Err(bad_key);
                }
                let x = coordinate(self.x.as_ref(), 32).ok_or(bad_key)?;
                Ok(PublicKey::Ed25519 { x })
            }
            Family::Rsa => {
                if kty != "RSA" {
                    return Err(bad_key);
                }
                let n = text(self.n.as_ref()).ok_or(bad_key)?;
                let e = text(self.e.as_ref()).ok_or(bad_key)?;
                let modulus = URL_SAFE_NO_PAD.decode(n).map_err(|_| bad_key)?;
                // The minimum number of octets (RFC 7518 section 6.3.1.1): no leading zero.
                let bits = match modulus.first() {
                    Some(&top) if top != 0 => {
                        modulus.len() * 8
                            - usize::from(u8::try_from(top.leading_zeros()).unwrap_or(0))
                    }
                    _ => 0,
                };
                if !RSA_BITS.contains(&bits) {
                    return Err("the jwk's RSA modulus is not 2048 to 4096 bits");
                }
                if !decoded_len(e).is_some_and(|len| (1..=4).contains(&len)) {
                    return Err(bad_key);
                }
                Ok(PublicKey::Rsa { n, e })
            }
            Family::Hmac => Err("a symmetric alg"),
        }
    }
}

impl PublicKey<'_> {
    /// The RFC 7638 thumbprint: SHA-256 of the required members, in
    /// lexicographic order, without whitespace.
    pub(super) fn thumbprint(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        let mut member = |first: bool, name: &str, value: &str| {
            hash.update(if first { "{\"" } else { ",\"" });
            hash.update(name);
            hash.update("\":\"");
            hash.update(value);
            hash.update("\"");
        };
        match self {
            Self::Ec { crv, x, y } => {
                member(true, "crv", crv);
                member(false, "kty", "EC");
                member(false, "x", x);
                member(false, "y", y);
            }
            Self::Ed25519 { x } => {
                member(true, "crv", "Ed25519");
                member(false, "kty", "OKP");
                member(false, "x", x);
            }
            Self::Rsa { n, e } => {
                member(true, "e", e);
                member(false, "kty", "RSA");
                member(false, "n", n);
            }
        }
        hash.update("}");
        hash.finalize().into()
    }

    /// Whether `signature` over `message` verifies under this key with `alg`.
    pub(super) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let key = match self {
            Self::Ec { x, y, .. } => DecodingKey::from_ec_components(x, y),
            Self::Ed25519 { x } => DecodingKey::from_ed_components(x),
            Self::Rsa { n, e } => DecodingKey::from_rsa_components(n, e),
        };
        let Ok(key) = key else { return false };
        match (provider().verifier_factory)(&alg.to_jwt(), &key) {
            Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_thumbprint(thumbprint: &[u8; 32]) -> String {
        URL_SAFE_NO_PAD.encode(thumbprint)
    }

    fn jwk(json: &str) -> Jwk<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_rfc_7638_example_thumbprint() {
        // RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = PublicKey::Rsa { n, e: "AQAB" };
        assert_eq!(
            encode_thumbprint(&key.thumbprint()),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn private_members_and_misfits_are_refused() {
        let x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
        let y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
        let good = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}"}}"#);
        assert!(jwk(&good).public_key(Algorithm::ES256).is_ok());
        assert!(jwk(&good).public_key(Algorithm::ES384).is_err());
        assert!(jwk(&good).public_key(Algorithm::RS256).is_err());
        assert!(jwk(&good).public_key(Algorithm::HS256).is_err());
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            let with =
                format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","{private}":"AA"}}"#);
            assert_eq!(
                jwk(&with).public_key(Algorithm::ES256).err(),
                Some("the jwk holds private key material"),
                "{private}"
            );
        }
        for bad in [
            format!(r#"{{"kty":"EC","crv":"P-384","x":"{x}","y":"{y}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}="}}"#),
            format!(
                r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{}"}}"#,
                &y[..42]
            ),
            format!(r#"{{"kty":"oct","crv":"P-256","x":"{x}","y":"{y}"}}"#),
            format!(r#"{{"crv":"P-256","x":"{x}","y":"{y}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":7,"y":"{y}"}}"#),
        ] {
            assert!(jwk(&bad).public_key(Algorithm::ES256).is_err(), "{bad}");
        }
        let short_rsa = format!(
            r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#,
            URL_SAFE_NO_PAD.encode([0xC5_u8; 128])
        );
        assert!(jwk(&short_rsa).public_key(Algorithm::RS256).is_err());
        let rsa = format!(
            r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#,
            URL_SAFE_NO_PAD.encode([0xC5_u8; 256])
        );
        assert!(jwk(&rsa).public_key(Algorithm::PS256).is_ok());
        let big_e = format!(
            r#"{{"kty":"RSA","n":"{}","e":"AQABAQAB"}}"#,
            URL_SAFE_NO_PAD.encode([0xC5_u8; 256])
        );
        assert!(jwk(&big_e).public_key(Algorithm::RS256).is_err());
        assert!(serde_json::from_str::<Jwk<'_>>(r#"{"kty":"EC","kty":"EC"}"#).is_err());
    }
}
