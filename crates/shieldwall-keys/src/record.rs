//! `KeyRecord`: what the store holds about a key (never the key).

use std::time::SystemTime;

use shieldwall_core::Principal;

use crate::KeyDigest;

/// A stored key. Cheap to share (`Arc<KeyRecord>`); carries the principal
/// that verification attaches, built once.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct KeyRecord {
    /// The public id.
    pub id: String,
    /// The digest of the secret.
    pub digest: KeyDigest,
    /// The owner (a user id).
    pub owner: String,
    /// A name the owner chose.
    pub name: String,
    /// The scopes, sorted.
    pub scopes: Vec<String>,
    /// When it was made.
    pub created_at: SystemTime,
    /// When it stops working, if ever.
    pub expires_at: Option<SystemTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<SystemTime>,
    /// When it was last used (updated in batches, not per request).
    pub last_used_at: Option<SystemTime>,
    principal: Principal,
}

impl KeyRecord {
    /// A record.
    #[allow(
        clippy::too_many_arguments,
        reason = "every field of a stored key; stores and the manager build it"
    )]
    #[must_use]
    pub fn new(
        id: String,
        digest: KeyDigest,
        owner: String,
        name: String,
        mut scopes: Vec<String>,
        created_at: SystemTime,
        expires_at: Option<SystemTime>,
        revoked_at: Option<SystemTime>,
        last_used_at: Option<SystemTime>,
    ) -> Self {
        scopes.sort_unstable();
        scopes.dedup();
        let principal =
            Principal::api_key(owner.clone(), id.clone()).with_scopes(scopes.iter().cloned());
        Self {
            id,
            digest,
            owner,
            name,
            scopes,
            created_at,
            expires_at,
            revoked_at,
            last_used_at,
            principal,
        }
    }

    /// The principal of requests made with this key: the owner, the key id, the scopes.
    #[must_use]
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// Whether it works at `now`: not revoked, not expired.
    #[must_use]
    pub fn is_active(&self, now: SystemTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}
