//! What the store keeps instead of the key: a digest of its secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use shieldwall_core::Secret;
use subtle::ConstantTimeEq;

use crate::KeyConfigError;

/// A 32-byte digest of a key's secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyDigest(pub(crate) [u8; 32]);

impl KeyDigest {
    /// The bytes (for stores).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From stored bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Compares in constant time.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyDigest(..)")
    }
}

/// How secrets are digested: SHA-256, or HMAC-SHA256 with a server-side
/// pepper (keyed once) so that a stolen store cannot be checked offline
/// without the pepper as well.
#[derive(Clone)]
pub struct KeyHasher {
    pepper: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyHasher")
            .field("pepper", &self.pepper.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl Default for KeyHasher {
    fn default() -> Self {
        Self::sha256()
    }
}

impl KeyHasher {
    /// SHA-256 of the secret (the secret has 256 bits of entropy: no salt needed).
    #[must_use]
    pub fn sha256() -> Self {
        Self { pepper: None }
    }

    /// HMAC-SHA256 of the secret with `pepper` (at least 32 bytes).
    pub fn with_pepper(pepper: &Secret) -> Result<Self, KeyConfigError> {
        if pepper.len() < 32 {
            return Err(KeyConfigError::WeakPepper { len: pepper.len() });
        }
        let mac = Hmac::<Sha256>::new_from_slice(pepper.expose())
            .map_err(|_| KeyConfigError::WeakPepper { len: pepper.len() })?;
        Ok(Self { pepper: Some(mac) })
    }

    /// The digest of `secret`.
    #[must_use]
    pub fn digest(&self, secret: &[u8]) -> KeyDigest {
        let mut out = [0_u8; 32];
        match &self.pepper {
            None => out.copy_from_slice(&Sha256::digest(secret)),
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(secret);
                out.copy_from_slice(&mac.finalize().into_bytes());
            }
        }
        KeyDigest(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_differ_with_and_without_pepper() {
        let s = b"secret";
        let plain = KeyHasher::sha256().digest(s);
        let peppered = KeyHasher::with_pepper(&Secret::from(vec![1_u8; 32]))
            .unwrap()
            .digest(s);
        assert!(!plain.ct_eq(&peppered));
        assert!(plain.ct_eq(&KeyHasher::sha256().digest(s)));
        assert!(KeyHasher::with_pepper(&Secret::from(vec![1_u8; 31])).is_err());
        assert_eq!(format!("{plain:?}"), "KeyDigest(..)");
    }
}
