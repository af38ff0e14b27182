//! `DiscoveredIssuer`: what discovery established, and the verifier over it.

use std::sync::Arc;

#[cfg(doc)]
use super::Discovery;
use super::OidcVerifierBuilder;
use crate::jwks::JwksKeys;
use crate::{Algorithm, RevocationStore};

/// An issuer whose discovery document checked out and whose keys loaded.
/// Cheap to clone; the keys are shared by every verifier built from it.
#[derive(Clone, Debug)]
pub struct DiscoveredIssuer {
    issuer: String,
    audience: String,
    jwks_uri: String,
    algorithms: Vec<Algorithm>,
    keys: Arc<JwksKeys>,
}

impl DiscoveredIssuer {
    pub(crate) fn new(
        issuer: String,
        audience: String,
        jwks_uri: String,
        algorithms: Vec<Algorithm>,
        keys: Arc<JwksKeys>,
    ) -> Self {
        Self {
            issuer,
            audience,
            jwks_uri,
            algorithms,
            keys,
        }
    }

    /// The issuer identifier (what `iss` must be).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience `aud` must hold.
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The document's `jwks_uri`.
    #[must_use]
    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }

    /// The algorithms accepted: the document's asymmetric ones (and, when
    /// [`Discovery::allow_algorithms`] was called, among those).
    #[must_use]
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The key set.
    #[must_use]
    pub fn keys(&self) -> &Arc<JwksKeys> {
        &self.keys
    }

    /// A verifier builder over these keys and algorithms, requiring `iss` to
    /// be the issuer and `aud` the audience; the other settings (leeway,
    /// maximum age, required claims, realm, cache) are as
    /// [`VerifierBuilder`](crate::VerifierBuilder)'s.
    pub fn verifier<R: RevocationStore>(&self, revocations: R) -> OidcVerifierBuilder<R> {
        OidcVerifierBuilder::new(self, revocations)
    }
}
