//! `Secret`: key material that cannot be printed and is wiped when dropped.

use std::fmt;

use rand::TryRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The fewest bytes [`Secret::random`] makes: 128 bits.
pub const MIN_RANDOM_SECRET: usize = 16;
/// The most bytes [`Secret::random`] makes.
pub const MAX_RANDOM_SECRET: usize = 4096;

/// [`Secret::random`] could not make a secret.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RandomSecretError {
    /// A length outside [`MIN_RANDOM_SECRET`]`..=`[`MAX_RANDOM_SECRET`].
    #[error("a random secret has {MIN_RANDOM_SECRET} to {MAX_RANDOM_SECRET} bytes, not {len}")]
    Length {
        /// The length asked for.
        len: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Rng(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Secret bytes: an API key, a JWT or signing secret, a password.
///
/// - `Debug` prints `Secret([REDACTED])`; there is no `Display` and no `Serialize`.
/// - The bytes are overwritten with zeros when the value is dropped.
/// - Equality is checked in constant time for equal lengths (the length of a
///   secret is not treated as secret).
///
/// ```
/// use shieldwall_core::Secret;
///
/// let secret = Secret::from("correct horse battery staple");
/// assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
/// assert!(secret.ct_eq(b"correct horse battery staple"));
/// assert!(!secret.ct_eq(b"Tr0ub4dor&3"));
///
/// // A new secret of 32 random bytes, from the operating system.
/// let hmac_key = Secret::random(32)?;
/// assert_eq!(hmac_key.len(), 32);
/// assert_ne!(hmac_key, Secret::random(32)?);
/// # Ok::<(), shieldwall_core::RandomSecretError>(())
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of the bytes.
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// `len` random bytes from the operating system's random number
    /// generator (`getrandom`, through `rand`), for an HMAC or signing
    /// secret, a pepper, a session key. `len` is 16 (128 bits) to 4096;
    /// 32 suits HS256 and a key pepper, 64 suits HS512.
    ///
    /// To show or store it as text, encode its bytes (base64 or hex) and
    /// keep the text as carefully as the secret.
    pub fn random(len: usize) -> Result<Self, RandomSecretError> {
        if !(MIN_RANDOM_SECRET..=MAX_RANDOM_SECRET).contains(&len) {
            return Err(RandomSecretError::Length { len });
        }
        let mut bytes = Zeroizing::new(vec![0_u8; len]);
        rand::rngs::SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(|error| RandomSecretError::Rng(Box::new(error)))?;
        Ok(Self(bytes))
    }

    /// The bytes. Keep the borrow short and never log it.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares with `other` in time that does not depend on where they differ.
    #[must_use]
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.as_slice().ct_eq(other).into()
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self::new(text.into_bytes())
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self::new(text.as_bytes().to_vec())
    }
}

impl From<&[u8]> for Secret {
    fn from(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other.expose())
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let secret = Secret::from("hunter2-hunter2");
        let shown = format!("{secret:?} {secret:#?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("REDACTED"));
    }

    #[test]
    fn random_secrets_have_their_length_and_differ() {
        let a = Secret::random(32).unwrap();
        let b = Secret::random(32).unwrap();
        assert_eq!((a.len(), b.len()), (32, 32));
        assert_ne!(a, b);
        assert_ne!(a.expose(), [0_u8; 32]);
        assert_eq!(format!("{a:?}"), "Secret([REDACTED])");
        assert_eq!(Secret::random(MIN_RANDOM_SECRET).unwrap().len(), 16);
        assert_eq!(Secret::random(MAX_RANDOM_SECRET).unwrap().len(), 4096);
        for len in [0, 1, 15, 4097, usize::MAX] {
            assert!(
                matches!(Secret::random(len), Err(RandomSecretError::Length { len: l }) if l == len),
                "{len}"
            );
        }
        assert_eq!(
            Secret::random(8).unwrap_err().to_string(),
            "a random secret has 16 to 4096 bytes, not 8"
        );
    }

    #[test]
    fn equality_is_by_content() {
        assert_eq!(Secret::from("abc"), Secret::from(String::from("abc")));
        assert_ne!(Secret::from("abc"), Secret::from("abd"));
        assert_ne!(Secret::from("abc"), Secret::from("abcd"));
        assert!(!Secret::from("").ct_eq(b"x"));
        assert_eq!(Secret::from(&b"\x00\xff"[..]).len(), 2);
    }
}
