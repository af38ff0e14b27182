//! `OidcVerifierBuilder`: a [`VerifierBuilder`] whose keys, algorithms,
//! issuer and audience come from discovery and cannot be changed.

use std::sync::Arc;
use std::time::Duration;

use shieldwall_core::Clock;

use super::DiscoveredIssuer;
use crate::{RevocationStore, TokenConfigError, Verifier, VerifierBuilder};

/// Builds the [`Verifier`] of a [`DiscoveredIssuer`]. The keys, the
/// algorithms, `iss` and `aud` are the discovered issuer's: one owner each.
/// The other settings are those of [`VerifierBuilder`], with its defaults
/// (`exp`, `iat`, `jti` and `sub` required, 30 s leeway, 24 h maximum age).
#[must_use]
pub struct OidcVerifierBuilder<R> {
    inner: VerifierBuilder<R>,
}

impl<R> std::fmt::Debug for OidcVerifierBuilder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifierBuilder")
            .finish_non_exhaustive()
    }
}

impl<R: RevocationStore> OidcVerifierBuilder<R> {
    pub(crate) fn new(issuer: &DiscoveredIssuer, revocations: R) -> Self {
        let inner = Verifier::builder(Arc::clone(issuer.keys()), revocations)
            .allow_algorithms(issuer.algorithms().iter().copied())
            .issuer(issuer.issuer())
            .audience(issuer.audience());
        Self { inner }
    }

    /// Clock leeway for `exp`, `nbf` and `iat` (default 30 s, at most 300 s).
    pub fn leeway(self, leeway: Duration) -> Self {
        Self {
            inner: self.inner.leeway(leeway),
        }
    }

    /// Refuses tokens issued longer ago than this (default 24 h; `None`: no limit).
    pub fn max_age(self, max_age: Option<Duration>) -> Self {
        Self {
            inner: self.inner.max_age(max_age),
        }
    }

    /// The longest token accepted, checked before decoding (default 8 KiB).
    pub fn max_token_len(self, bytes: usize) -> Self {
        Self {
            inner: self.inner.max_token_len(bytes),
        }
    }

    /// Whether `iat` must be present (default true).
    pub fn require_iat(self, required: bool) -> Self {
        Self {
            inner: self.inner.require_iat(required),
        }
    }

    /// Whether `jti` must be present (default true). Some providers write
    /// none in access tokens; such a token is revoked under a digest of
    /// itself ([`VerifiedToken::revocation_id`](crate::VerifiedToken::revocation_id)).
    pub fn require_jti(self, required: bool) -> Self {
        Self {
            inner: self.inner.require_jti(required),
        }
    }

    /// Whether `sub` must be present (default true).
    pub fn require_sub(self, required: bool) -> Self {
        Self {
            inner: self.inner.require_sub(required),
        }
    }

    /// The clock (default: the system clock).
    pub fn clock(self, clock: impl Clock) -> Self {
        Self {
            inner: self.inner.clock(clock),
        }
    }

    /// How many verified tokens to remember (default 10 000; 0 turns the cache off).
    pub fn cache_capacity(self, capacity: usize) -> Self {
        Self {
            inner: self.inner.cache_capacity(capacity),
        }
    }

    /// The `realm` of `WWW-Authenticate` answers (default: none).
    pub fn realm(self, realm: &str) -> Self {
        Self {
            inner: self.inner.realm(realm),
        }
    }

    /// Sends every bearer value that is not a compact JWS to `introspector`
    /// ([`VerifierBuilder::introspection`]).
    #[cfg(feature = "introspection")]
    pub fn introspection(self, introspector: crate::introspection::Introspector) -> Self {
        Self {
            inner: self.inner.introspection(introspector),
        }
    }

    /// The verifier, checked as [`VerifierBuilder::build`] checks it.
    pub fn build(self) -> Result<Verifier<R>, TokenConfigError> {
        self.inner.build()
    }
}
