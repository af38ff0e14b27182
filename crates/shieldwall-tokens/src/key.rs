//! Keys, each bound to exactly one algorithm.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Sha256, Sha384, Sha512};
use shieldwall_core::Secret;

use crate::algorithm::Family;
use crate::provider::provider;
use crate::{Algorithm, TokenConfigError};

/// The longest `kid` accepted, in configuration and in tokens.
pub const MAX_KID_LEN: usize = 256;

pub(crate) fn check_kid(kid: &str) -> Result<(), TokenConfigError> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN || kid.chars().any(char::is_control) {
        return Err(TokenConfigError::InvalidValue(
            "kid (1 to 256 characters, no control characters)",
        ));
    }
    Ok(())
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::Hmac => "HMAC",
        Family::Rsa => "RSA",
        Family::Ec => "EC",
        Family::Ed => "Ed25519",
    }
}

fn require(alg: Algorithm, family: Family) -> Result<(), TokenConfigError> {
    if alg.family() == family {
        Ok(())
    } else {
        Err(TokenConfigError::WrongKeyType {
            key: family_name(family),
            alg: alg.as_str(),
        })
    }
}

fn check_secret(alg: Algorithm, secret: &[u8]) -> Result<(), TokenConfigError> {
    require(alg, Family::Hmac)?;
    if secret.len() < alg.min_hmac_secret() {
        return Err(TokenConfigError::WeakSecret {
            alg: alg.as_str(),
            min: alg.min_hmac_secret(),
            len: secret.len(),
        });
    }
    Ok(())
}

fn check_rsa_modulus(n_b64: &str) -> Result<(), TokenConfigError> {
    let n = URL_SAFE_NO_PAD
        .decode(n_b64.trim_end_matches('='))
        .map_err(|_| TokenConfigError::InvalidKey { what: "RSA" })?;
    let leading_zeros = n.iter().take_while(|b| **b == 0).count();
    let bits = (n.len() - leading_zeros) * 8;
    if bits < 2048 {
        return Err(TokenConfigError::WeakRsaKey { bits });
    }
    Ok(())
}

/// An HMAC keyed once: each check clones the keyed state instead of keying
/// again, and compares in constant time (`verify_slice`).
#[derive(Clone)]
enum HmacState {
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl HmacState {
    fn new(alg: Algorithm, secret: &[u8]) -> Option<Self> {
        Some(match alg {
            Algorithm::HS256 => Self::Sha256(Hmac::new_from_slice(secret).ok()?),
            Algorithm::HS384 => Self::Sha384(Hmac::new_from_slice(secret).ok()?),
            Algorithm::HS512 => Self::Sha512(Hmac::new_from_slice(secret).ok()?),
            _ => return None,
        })
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        fn check<M: Mac + Clone>(mac: &M, message: &[u8], signature: &[u8]) -> bool {
            let mut mac = mac.clone();
            mac.update(message);
            mac.verify_slice(signature).is_ok()
        }
        match self {
            Self::Sha256(mac) => check(mac, message, signature),
            Self::Sha384(mac) => check(mac, message, signature),
            Self::Sha512(mac) => check(mac, message, signature),
        }
    }
}

/// A key that verifies signatures, bound to one algorithm, with an optional `kid`.
///
/// The key is checked when made: its type must fit the algorithm, an HMAC
/// secret must be as long as the hash output (32 bytes for HS256), an RSA
/// modulus given as components must have at least 2048 bits, and the crypto
/// backend must accept it.
#[derive(Clone)]
pub struct VerifyingKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
    hmac: Option<HmacState>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// A decoding key already made for `alg` (from a JWK).
    #[cfg(feature = "jwks")]
    pub(crate) fn from_parts(alg: Algorithm, key: DecodingKey) -> Result<Self, TokenConfigError> {
        Self::checked(alg, key)
    }

    fn checked(alg: Algorithm, key: DecodingKey) -> Result<Self, TokenConfigError> {
        // Building a verifier once proves that the backend takes the key.
        (provider().verifier_factory)(&alg.to_jwt(), &key).map_err(|_| {
            TokenConfigError::InvalidKey {
                what: family_name(alg.family()),
            }
        })?;
        Ok(Self {
            kid: None,
            alg,
            key,
            hmac: None,
        })
    }

    /// An HMAC secret for HS256, HS384 or HS512.
    pub fn hmac(alg: Algorithm, secret: &Secret) -> Result<Self, TokenConfigError> {
        check_secret(alg, secret.expose())?;
        let key = DecodingKey::from_secret(secret.expose())
            .map_err(|_| TokenConfigError::InvalidKey { what: "HMAC" })?;
        let mut checked = Self::checked(alg, key)?;
        checked.hmac = Some(
            HmacState::new(alg, secret.expose())
                .ok_or(TokenConfigError::InvalidKey { what: "HMAC" })?,
        );
        Ok(checked)
    }

    /// An RSA public key in PEM (RS* or PS*).
    pub fn rsa_pem(alg: Algorithm, pem: &[u8]) -> Result<Self, TokenConfigError> {
        require(alg, Family::Rsa)?;
        let key = DecodingKey::from_rsa_pem(pem)
            .map_err(|_| TokenConfigError::InvalidKey { what: "RSA" })?;
        Self::checked(alg, key)
    }

    /// An RSA public key from its base64url modulus and exponent (RS* or PS*).
    pub fn rsa_components(alg: Algorithm, n: &str, e: &str) -> Result<Self, TokenConfigError> {
        require(alg, Family::Rsa)?;
        check_rsa_modulus(n)?;
        let key = DecodingKey::from_rsa_components(n, e)
            .map_err(|_| TokenConfigError::InvalidKey { what: "RSA" })?;
        Self::checked(alg, key)
    }

    /// An EC public key in PEM (ES256 on P-256, ES384 on P-384).
    pub fn ec_pem(alg: Algorithm, pem: &[u8]) -> Result<Self, TokenConfigError> {
        require(alg, Family::Ec)?;
        let key = DecodingKey::from_ec_pem(pem)
            .map_err(|_| TokenConfigError::InvalidKey { what: "EC" })?;
        Self::checked(alg, key)
    }

    /// An EC public key from its base64url coordinates.
    pub fn ec_components(alg: Algorithm, x: &str, y: &str) -> Result<Self, TokenConfigError> {
        require(alg, Family::Ec)?;
        let key = DecodingKey::from_ec_components(x, y)
            .map_err(|_| TokenConfigError::InvalidKey { what: "EC" })?;
        Self::checked(alg, key)
    }

    /// An Ed25519 public key in PEM (EdDSA).
    pub fn ed_pem(pem: &[u8]) -> Result<Self, TokenConfigError> {
        let key = DecodingKey::from_ed_pem(pem)
            .map_err(|_| TokenConfigError::InvalidKey { what: "Ed25519" })?;
        Self::checked(Algorithm::EdDSA, key)
    }

    /// An Ed25519 public key from its base64url `x` (EdDSA).
    pub fn ed_components(x: &str) -> Result<Self, TokenConfigError> {
        let key = DecodingKey::from_ed_components(x)
            .map_err(|_| TokenConfigError::InvalidKey { what: "Ed25519" })?;
        Self::checked(Algorithm::EdDSA, key)
    }

    /// Names the key: tokens select it with this `kid`.
    pub fn with_kid(mut self, kid: &str) -> Result<Self, TokenConfigError> {
        check_kid(kid)?;
        self.kid = Some(kid.to_owned());
        Ok(self)
    }

    /// The `kid`.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        if let Some(hmac) = &self.hmac {
            return hmac.verify(message, signature);
        }
        match (provider().verifier_factory)(&self.alg.to_jwt(), &self.key) {
            Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
            Err(_) => false,
        }
    }
}

/// A key that signs tokens, bound to one algorithm, with an optional `kid`.
#[derive(Clone)]
pub struct SigningKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    pub(crate) key: EncodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn checked(alg: Algorithm, key: EncodingKey) -> Result<Self, TokenConfigError> {
        (provider().signer_factory)(&alg.to_jwt(), &key).map_err(|_| {
            TokenConfigError::InvalidKey {
                what: family_name(alg.family()),
            }
        })?;
        Ok(Self {
            kid: None,
            alg,
            key,
        })
    }

    /// An HMAC secret (at least the hash output: 32 bytes for HS256).
    pub fn hmac(alg: Algorithm, secret: &Secret) -> Result<Self, TokenConfigError> {
        check_secret(alg, secret.expose())?;
        let key = EncodingKey::from_secret(secret.expose())
            .map_err(|_| TokenConfigError::InvalidKey { what: "HMAC" })?;
        Self::checked(alg, key)
    }

    /// An RSA private key in PEM.
    pub fn rsa_pem(alg: Algorithm, pem: &[u8]) -> Result<Self, TokenConfigError> {
        require(alg, Family::Rsa)?;
        let key = EncodingKey::from_rsa_pem(pem)
            .map_err(|_| TokenConfigError::InvalidKey { what: "RSA" })?;
        Self::checked(alg, key)
    }

    /// An EC private key in PEM (PKCS#8).
    pub fn ec_pem(alg: Algorithm, pem: &[u8]) -> Result<Self, TokenConfigError> {
        require(alg, Family::Ec)?;
        let key = EncodingKey::from_ec_pem(pem)
            .map_err(|_| TokenConfigError::InvalidKey { what: "EC" })?;
        Self::checked(alg, key)
    }

    /// An Ed25519 private key in PEM (PKCS#8).
    pub fn ed_pem(pem: &[u8]) -> Result<Self, TokenConfigError> {
        let key = EncodingKey::from_ed_pem(pem)
            .map_err(|_| TokenConfigError::InvalidKey { what: "Ed25519" })?;
        Self::checked(Algorithm::EdDSA, key)
    }

    /// Names the key; issued tokens carry this `kid`.
    pub fn with_kid(mut self, kid: &str) -> Result<Self, TokenConfigError> {
        check_kid(kid)?;
        self.kid = Some(kid.to_owned());
        Ok(self)
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Signs `header` and `payload` exactly as given (JSON bytes) into a
    /// compact JWS. Low level: nothing is checked or added; use
    /// [`Issuer`](crate::Issuer) to issue tokens.
    #[must_use]
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> Option<String> {
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(payload));
        let signature = self.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Some(token)
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let signer = (provider().signer_factory)(&self.alg.to_jwt(), &self.key).ok()?;
        signer.try_sign(message).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_secrets_must_be_as_long_as_the_hash() {
        let short = Secret::from(vec![7_u8; 31]);
        assert!(matches!(
            VerifyingKey::hmac(Algorithm::HS256, &short),
            Err(TokenConfigError::WeakSecret {
                min: 32,
                len: 31,
                ..
            })
        ));
        assert!(SigningKey::hmac(Algorithm::HS256, &short).is_err());
        let ok = Secret::from(vec![7_u8; 32]);
        assert!(VerifyingKey::hmac(Algorithm::HS256, &ok).is_ok());
        assert!(VerifyingKey::hmac(Algorithm::HS384, &ok).is_err());
        assert!(VerifyingKey::hmac(Algorithm::HS512, &Secret::from(vec![1_u8; 64])).is_ok());
    }

    #[test]
    fn a_key_fits_only_its_family() {
        let secret = Secret::from(vec![7_u8; 32]);
        assert!(matches!(
            VerifyingKey::hmac(Algorithm::RS256, &secret),
            Err(TokenConfigError::WrongKeyType { .. })
        ));
        assert!(matches!(
            VerifyingKey::rsa_pem(Algorithm::HS256, b"-----BEGIN PUBLIC KEY-----"),
            Err(TokenConfigError::WrongKeyType { .. })
        ));
        assert!(matches!(
            VerifyingKey::rsa_pem(Algorithm::RS256, b"not a pem"),
            Err(TokenConfigError::InvalidKey { .. })
        ));
    }

    #[test]
    fn short_rsa_moduli_are_refused() {
        let n = URL_SAFE_NO_PAD.encode([0xC5_u8; 128]);
        assert!(matches!(
            VerifyingKey::rsa_components(Algorithm::RS256, &n, "AQAB"),
            Err(TokenConfigError::WeakRsaKey { bits: 1024 })
        ));
    }

    #[test]
    fn kids_are_checked() {
        let key = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![7_u8; 32])).unwrap();
        assert!(key.clone().with_kid("").is_err());
        assert!(key.clone().with_kid(&"k".repeat(257)).is_err());
        assert!(key.clone().with_kid("a\nb").is_err());
        assert_eq!(key.with_kid("k1").unwrap().kid(), Some("k1"));
    }
}
