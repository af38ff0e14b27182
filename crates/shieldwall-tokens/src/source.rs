//! Where a verifier's keys come from: a fixed set, or a JWKS URL.

use std::sync::Arc;

use crate::KeySet;

/// The keys of a verifier.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A fixed set.
    Static(Arc<KeySet>),
    /// A set fetched from a JWKS URL and refreshed in the background.
    #[cfg(feature = "jwks")]
    Jwks(Arc<crate::jwks::JwksKeys>),
}

impl From<KeySet> for KeySource {
    fn from(set: KeySet) -> Self {
        Self::Static(Arc::new(set))
    }
}

#[cfg(feature = "jwks")]
impl From<Arc<crate::jwks::JwksKeys>> for KeySource {
    fn from(jwks: Arc<crate::jwks::JwksKeys>) -> Self {
        Self::Jwks(jwks)
    }
}

impl KeySource {
    /// The current set and its generation (which changes when the set does).
    pub(crate) fn current(&self) -> (Arc<KeySet>, u64) {
        match self {
            Self::Static(set) => (Arc::clone(set), 0),
            #[cfg(feature = "jwks")]
            Self::Jwks(jwks) => jwks.current(),
        }
    }

    /// For a `kid` not in the set: fetches the set again if the rate limit
    /// allows; whether a new set was loaded.
    pub(crate) async fn refresh_for_unknown_kid(&self) -> bool {
        match self {
            Self::Static(_) => false,
            #[cfg(feature = "jwks")]
            Self::Jwks(jwks) => jwks.refresh_for_unknown_kid().await,
        }
    }

    pub(crate) fn static_algorithms(&self) -> Option<Vec<crate::Algorithm>> {
        match self {
            Self::Static(set) => Some(set.algorithms()),
            #[cfg(feature = "jwks")]
            Self::Jwks(_) => None,
        }
    }
}
