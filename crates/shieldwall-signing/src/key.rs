//! `VerificationKey`: a key id, its owner, and key material bound to one algorithm.

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use shieldwall_core::Secret;

use crate::{Algorithm, SigningConfigError, ct};

/// The shortest HMAC secret accepted, in bytes.
pub const MIN_HMAC_SECRET_LEN: usize = 32;

/// The longest key id accepted.
const MAX_KEY_ID_LEN: usize = 256;
/// The longest owner id accepted.
const MAX_OWNER_LEN: usize = 256;

/// Whether `id` can be a `keyid`: 1 to 256 visible ASCII characters other
/// than `"` and `\` (so that it is an sf-string as it is).
pub(crate) fn is_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_KEY_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

/// A key that verifies signatures: its id (the `keyid` parameter), the
/// owner it belongs to, and its material, which fixes the algorithm.
///
/// `Debug` shows the id, the owner and the algorithm, never the material.
///
/// ```
/// use shieldwall_core::Secret;
/// use shieldwall_signing::{Algorithm, VerificationKey};
///
/// let key = VerificationKey::hmac_sha256("key-1", "user-7", Secret::from(vec![7; 32]))?;
/// assert_eq!(key.algorithm(), Algorithm::HmacSha256);
/// assert_eq!(key.owner(), "user-7");
/// assert!(!format!("{key:?}").contains("7, 7"));
/// assert!(VerificationKey::hmac_sha256("key-1", "user-7", Secret::from("short")).is_err());
/// # Ok::<(), shieldwall_signing::SigningConfigError>(())
/// ```
#[derive(Clone)]
pub struct VerificationKey {
    id: Arc<str>,
    owner: Arc<str>,
    material: Material,
}

#[derive(Clone)]
enum Material {
    /// The secret (for stores) and the HMAC state keyed once with it.
    HmacSha256 {
        #[cfg_attr(
            not(feature = "redis"),
            expect(dead_code, reason = "only the Redis key store reads it back")
        )]
        secret: Secret,
        mac: Hmac<Sha256>,
    },
    Ed25519(ed25519_dalek::VerifyingKey),
}

fn checked_ids(id: String, owner: String) -> Result<(Arc<str>, Arc<str>), SigningConfigError> {
    if !is_key_id(&id) {
        return Err(SigningConfigError::KeyId);
    }
    if owner.is_empty() || owner.len() > MAX_OWNER_LEN {
        return Err(SigningConfigError::Owner);
    }
    Ok((Arc::from(id), Arc::from(owner)))
}

impl VerificationKey {
    /// An `hmac-sha256` key: a shared secret of at least 32 bytes.
    pub fn hmac_sha256(
        id: impl Into<String>,
        owner: impl Into<String>,
        secret: Secret,
    ) -> Result<Self, SigningConfigError> {
        let (id, owner) = checked_ids(id.into(), owner.into())?;
        if secret.len() < MIN_HMAC_SECRET_LEN {
            return Err(SigningConfigError::WeakSecret { len: secret.len() });
        }
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose())
            .map_err(|_| SigningConfigError::WeakSecret { len: secret.len() })?;
        Ok(Self {
            id,
            owner,
            material: Material::HmacSha256 { secret, mac },
        })
    }

    /// An `ed25519` key: the 32-byte public key (refused when it encodes no
    /// point or a point of small order).
    pub fn ed25519(
        id: impl Into<String>,
        owner: impl Into<String>,
        public_key: &[u8],
    ) -> Result<Self, SigningConfigError> {
        let (id, owner) = checked_ids(id.into(), owner.into())?;
        let bytes: &[u8; 32] = public_key
            .try_into()
            .map_err(|_| SigningConfigError::Ed25519PublicKey)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| SigningConfigError::Ed25519PublicKey)?;
        if key.is_weak() {
            return Err(SigningConfigError::Ed25519PublicKey);
        }
        Ok(Self {
            id,
            owner,
            material: Material::Ed25519(key),
        })
    }

    /// The key id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Who the key belongs to.
    #[must_use]
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The one algorithm this key verifies.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            Material::HmacSha256 { .. } => Algorithm::HmacSha256,
            Material::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    /// Whether `signature` is this key's signature of `base` (HMAC tags are
    /// compared in constant time; Ed25519 is checked strictly).
    #[must_use]
    pub fn verify(&self, base: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::HmacSha256 { mac, .. } => {
                let mut mac = mac.clone();
                mac.update(base);
                ct::equal(&mac.finalize().into_bytes(), signature)
            }
            Material::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify_strict(base, &signature).is_ok()),
        }
    }

    /// The material as bytes, for stores: the HMAC secret or the public key.
    #[cfg(feature = "redis")]
    pub(crate) fn material(&self) -> &[u8] {
        match &self.material {
            Material::HmacSha256 { secret, .. } => secret.expose(),
            Material::Ed25519(key) => key.as_bytes(),
        }
    }
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKey")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_owners_and_material_are_checked() {
        let secret = || Secret::from(vec![1_u8; 32]);
        assert!(VerificationKey::hmac_sha256("k", "o", secret()).is_ok());
        assert_eq!(
            VerificationKey::hmac_sha256("", "o", secret()).unwrap_err(),
            SigningConfigError::KeyId
        );
        assert_eq!(
            VerificationKey::hmac_sha256("a b", "o", secret()).unwrap_err(),
            SigningConfigError::KeyId
        );
        assert_eq!(
            VerificationKey::hmac_sha256("k\"", "o", secret()).unwrap_err(),
            SigningConfigError::KeyId
        );
        assert_eq!(
            VerificationKey::hmac_sha256("k", "", secret()).unwrap_err(),
            SigningConfigError::Owner
        );
        assert_eq!(
            VerificationKey::hmac_sha256("k", "o", Secret::from(vec![1_u8; 31])).unwrap_err(),
            SigningConfigError::WeakSecret { len: 31 }
        );
        assert_eq!(
            VerificationKey::ed25519("k", "o", &[0; 31]).unwrap_err(),
            SigningConfigError::Ed25519PublicKey
        );
        // The identity point has small order.
        let mut identity = [0_u8; 32];
        identity[0] = 1;
        assert_eq!(
            VerificationKey::ed25519("k", "o", &identity).unwrap_err(),
            SigningConfigError::Ed25519PublicKey
        );
    }

    #[test]
    fn hmac_verifies_only_its_own_tag() {
        let key = VerificationKey::hmac_sha256("k", "o", Secret::from(vec![1_u8; 32])).unwrap();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[1_u8; 32]).unwrap();
        mac.update(b"base");
        let tag = mac.finalize().into_bytes();
        assert!(key.verify(b"base", &tag));
        assert!(!key.verify(b"basf", &tag));
        assert!(!key.verify(b"base", &tag[..31]));
        assert!(!key.verify(b"base", &[]));
    }
}
