//! `VerifiedSignature`: what a handler learns about a verified signature.

use std::time::SystemTime;

use crate::Algorithm;

/// A signature that verified, attached to the request for handlers (read it
/// with `RequestView::attachment::<VerifiedSignature>()` or the adapters'
/// attachment extractors). The signature guard attaches no principal: the
/// API key or token guard before it does, and [`SignatureGuard`]'s owner
/// check ties the two together.
///
/// [`SignatureGuard`]: crate::SignatureGuard
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The `keyid` of the key that verified it.
    pub key_id: String,
    /// The owner of that key.
    pub owner: String,
    /// The key's algorithm.
    pub algorithm: Algorithm,
    /// The label of the verified entry.
    pub label: String,
    /// The `created` parameter.
    pub created: SystemTime,
    /// The `expires` parameter, when there was one.
    pub expires: Option<SystemTime>,
}
