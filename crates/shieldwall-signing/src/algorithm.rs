//! The signature algorithms this crate speaks.

/// An RFC 9421 signature algorithm (section 3.3).
///
/// A key is bound to one algorithm: a signature whose `alg` parameter names
/// another one is refused, whatever the key would say about it.
///
/// ```
/// use shieldwall_signing::Algorithm;
///
/// assert_eq!(Algorithm::from_name("hmac-sha256"), Some(Algorithm::HmacSha256));
/// assert_eq!(Algorithm::Ed25519.as_str(), "ed25519");
/// assert_eq!(Algorithm::from_name("rsa-pss-sha512"), None);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `hmac-sha256`: HMAC with SHA-256 and a shared secret (RFC 9421 section 3.3.3).
    HmacSha256,
    /// `ed25519`: EdDSA on edwards25519 (RFC 9421 section 3.3.6).
    Ed25519,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Self; 2] = [Self::HmacSha256, Self::Ed25519];

    /// The registered name, as in the `alg` parameter.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::Ed25519 => "ed25519",
        }
    }

    /// The algorithm of a registered name (exact, lowercase).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The length of a signature in bytes.
    #[must_use]
    pub const fn signature_len(self) -> usize {
        match self {
            Self::HmacSha256 => 32,
            Self::Ed25519 => 64,
        }
    }

    pub(crate) const fn bit(self) -> u8 {
        match self {
            Self::HmacSha256 => 1,
            Self::Ed25519 => 2,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
