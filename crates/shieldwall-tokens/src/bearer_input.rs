//! `BearerInput`: what `BearerGuard` reads of a request.

use std::fmt;

/// What [`BearerGuard`](crate::BearerGuard) reads of a request and decides
/// on: the access token and, when it came with the `DPoP` scheme (feature
/// `dpop`), what its proof must match. A plain bearer token costs nothing
/// more than the token.
pub struct BearerInput {
    token: String,
    #[cfg(feature = "dpop")]
    proof: Option<Box<crate::dpop::ProofInput>>,
}

impl fmt::Debug for BearerInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerInput")
            .field("dpop", &self.is_dpop())
            .finish_non_exhaustive()
    }
}

impl BearerInput {
    /// A token sent as `Bearer`.
    pub(crate) fn bearer(token: String) -> Self {
        Self {
            token,
            #[cfg(feature = "dpop")]
            proof: None,
        }
    }

    /// A token sent as `DPoP`, with what its proof must match.
    #[cfg(feature = "dpop")]
    pub(crate) fn dpop(token: String, proof: crate::dpop::ProofInput) -> Self {
        Self {
            token,
            proof: Some(Box::new(proof)),
        }
    }

    /// The access token.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether the token came with the `DPoP` scheme.
    #[must_use]
    pub fn is_dpop(&self) -> bool {
        #[cfg(feature = "dpop")]
        {
            self.proof.is_some()
        }
        #[cfg(not(feature = "dpop"))]
        {
            false
        }
    }

    /// What the proof must match, for the `DPoP` scheme.
    #[cfg(feature = "dpop")]
    pub(crate) fn proof(&self) -> Option<&crate::dpop::ProofInput> {
        self.proof.as_deref()
    }
}
