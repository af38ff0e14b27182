//! `VerifiedToken`: what a verified token established.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwall_core::Principal;

use crate::Algorithm;

/// A token that passed every check: signature, claims, revocation. Cheap to
/// clone.
#[derive(Clone, Debug)]
pub struct VerifiedToken(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    principal: Principal,
    jti: Option<String>,
    exp: i64,
    iat: Option<i64>,
    alg: Algorithm,
    kid: Option<String>,
    generation: u64,
}

fn to_time(unix: i64) -> SystemTime {
    match u64::try_from(unix) {
        Ok(secs) => UNIX_EPOCH + Duration::from_secs(secs),
        Err(_) => UNIX_EPOCH,
    }
}

impl VerifiedToken {
    #[allow(
        clippy::too_many_arguments,
        reason = "an internal constructor with named call sites"
    )]
    pub(crate) fn new(
        principal: Principal,
        jti: Option<String>,
        exp: i64,
        iat: Option<i64>,
        alg: Algorithm,
        kid: Option<String>,
        generation: u64,
    ) -> Self {
        Self(Arc::new(Inner {
            principal,
            jti,
            exp,
            iat,
            alg,
            kid,
            generation,
        }))
    }

    /// The principal: `sub` as id, the `scope` claim as scopes, every claim as attributes.
    #[must_use]
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }

    /// The `sub` claim.
    #[must_use]
    pub fn subject(&self) -> &str {
        self.0.principal.id()
    }

    /// The `jti` claim.
    #[must_use]
    pub fn jti(&self) -> Option<&str> {
        self.0.jti.as_deref()
    }

    /// When it expires (`exp`).
    #[must_use]
    pub fn expires_at(&self) -> SystemTime {
        to_time(self.0.exp)
    }

    pub(crate) fn expires_at_unix(&self) -> i64 {
        self.0.exp
    }

    pub(crate) fn issued_at_unix(&self) -> Option<i64> {
        self.0.iat
    }

    /// When it was issued (`iat`).
    #[must_use]
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.0.iat.map(to_time)
    }

    /// The scopes of the `scope` claim.
    #[must_use]
    pub fn scopes(&self) -> &[String] {
        self.0.principal.scopes()
    }

    /// Every claim, as the JSON object text of the payload.
    #[must_use]
    pub fn claims_json(&self) -> &str {
        self.0.principal.claims_json().unwrap_or("{}")
    }

    /// The algorithm it was signed with.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.0.alg
    }

    /// The `kid` of the key that verified it.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.0.kid.as_deref()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.0.generation
    }
}
