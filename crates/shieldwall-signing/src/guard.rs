//! `SignatureGuard`: the verifier on a route, as a `BodyGuard`.

use std::num::NonZeroUsize;

use bytes::Bytes;
use shieldwall_core::{BodyGuard, DEFAULT_BODY_LIMIT, Decision, Grant, RequestView, Step};

use crate::{KeyResolver, NonceStore, PendingSignature, SignatureRejection, Verifier};

/// Requires a valid RFC 9421 signature on a route.
///
/// - Before the body is read ([`BodyGuard::precheck`]): no `Signature` or
///   `Signature-Input` is 401 `SIGNATURE_REQUIRED`; either header over the
///   size limit is 401 `INVALID_SIGNATURE`.
/// - With the body (at most [`SignatureGuard::max_body_bytes`], buffered by
///   the adapter): [`Verifier::prepare`] in `extract`, [`Verifier::finish`]
///   in `decide`.
/// - Every other failure is 401 `INVALID_SIGNATURE`, one body for all; the
///   cause is the answer's private reason (see [`crate::Reason`]). A store
///   that cannot be asked is 503 `SERVICE_UNAVAILABLE`.
/// - On success the request carries a [`crate::VerifiedSignature`]
///   attachment, and no principal.
///
/// Put it after the authentication guard (API key or token): with
/// [`SignatureGuard::require_owner_of_principal`], the signing key must
/// belong to the principal that guard identified.
pub struct SignatureGuard<K, N> {
    verifier: Verifier<K, N>,
    body_limit: NonZeroUsize,
    owner_of_principal: bool,
}

impl<K: Clone, N: Clone> Clone for SignatureGuard<K, N> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            body_limit: self.body_limit,
            owner_of_principal: self.owner_of_principal,
        }
    }
}

impl<K, N> std::fmt::Debug for SignatureGuard<K, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureGuard")
            .field("verifier", &self.verifier)
            .field("body_limit", &self.body_limit)
            .field("owner_of_principal", &self.owner_of_principal)
            .finish()
    }
}

fn reject(rejection: SignatureRejection) -> Decision {
    Decision::Reject(rejection.into())
}

impl<K: KeyResolver, N: NonceStore> SignatureGuard<K, N> {
    /// A guard running `verifier`, buffering at most
    /// [`shieldwall_core::DEFAULT_BODY_LIMIT`] body bytes.
    #[must_use]
    pub fn new(verifier: Verifier<K, N>) -> Self {
        Self {
            verifier,
            body_limit: DEFAULT_BODY_LIMIT,
            owner_of_principal: false,
        }
    }

    /// Buffers at most `limit` body bytes (a longer body is 413
    /// `PAYLOAD_TOO_LARGE`); read back with [`BodyGuard::body_limit`].
    #[must_use]
    pub fn max_body_bytes(mut self, limit: NonZeroUsize) -> Self {
        self.body_limit = limit;
        self
    }

    /// Requires the signing key's owner to be the id of the principal an
    /// earlier guard attached (the API key's owner). Without a principal the
    /// request is refused.
    #[must_use]
    pub fn require_owner_of_principal(mut self) -> Self {
        self.owner_of_principal = true;
        self
    }

    /// The verifier.
    #[must_use]
    pub fn verifier(&self) -> &Verifier<K, N> {
        &self.verifier
    }
}

impl<K: KeyResolver, N: NonceStore> BodyGuard for SignatureGuard<K, N> {
    fn describe(&self) -> shieldwall_core::telemetry::GuardInfo<'_> {
        shieldwall_core::telemetry::GuardInfo::new("signature")
    }

    type Input = PendingSignature;

    fn body_limit(&self) -> NonZeroUsize {
        self.body_limit
    }

    fn precheck<R: RequestView + ?Sized>(&self, request: &R) -> Option<Decision> {
        self.verifier.precheck(request).err().map(reject)
    }

    fn extract<R: RequestView + ?Sized>(
        &self,
        request: &R,
        body: &Bytes,
    ) -> Step<PendingSignature> {
        match self.verifier.prepare(request, body) {
            Ok(pending) if self.owner_of_principal => {
                let principal = request.principal();
                Step::Decide(pending.expect_owner(principal.as_ref().map(|p| p.id())))
            }
            Ok(pending) => Step::Decide(pending),
            Err(rejection) => Step::Done(reject(rejection)),
        }
    }

    async fn decide(&self, pending: PendingSignature) -> Decision {
        match self.verifier.finish(pending).await {
            Ok(verified) => Decision::allow(Grant::new().with_attachment(verified)),
            Err(rejection) => reject(rejection),
        }
    }
}
