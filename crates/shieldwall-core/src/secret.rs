//! `Secret`: key material that cannot be printed and is wiped when dropped.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

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
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of the bytes.
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
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
    fn equality_is_by_content() {
        assert_eq!(Secret::from("abc"), Secret::from(String::from("abc")));
        assert_ne!(Secret::from("abc"), Secret::from("abd"));
        assert_ne!(Secret::from("abc"), Secret::from("abcd"));
        assert!(!Secret::from("").ct_eq(b"x"));
        assert_eq!(Secret::from(&b"\x00\xff"[..]).len(), 2);
    }
}
