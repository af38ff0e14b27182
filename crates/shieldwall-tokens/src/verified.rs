//! `VerifiedToken`: what a verified token established.

use std::sync::Arc;
use std::time::SystemTime;

use shieldwall_core::{Credential, Principal};

use crate::Algorithm;
use crate::date::system_time;

/// A token that passed every check: signature, claims, revocation. Cheap to
/// clone.
///
/// The principal that [`crate::BearerGuard`] attaches to a request carries
/// its token: [`VerifiedToken::of`] gets it back in a handler, for example to
/// revoke it with [`crate::Verifier::revoke`] (logout).
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    principal: Principal,
    facts: Arc<Facts>,
}

/// What the verifier established beside the principal. Private to this
/// crate, so a principal carries one only when this crate's verifier made it.
#[derive(Debug)]
pub(crate) struct Facts {
    pub(crate) jti: Option<String>,
    /// What a revocation is stored under: [`revocation_id`].
    pub(crate) revocation_id: Box<str>,
    pub(crate) exp: i64,
    pub(crate) iat: Option<i64>,
    /// `None` for a token the introspection endpoint vouched for.
    pub(crate) alg: Option<Algorithm>,
    pub(crate) kid: Option<String>,
    pub(crate) generation: u64,
    /// `cnf.jkt` (RFC 9449): the token is bound to that DPoP key.
    pub(crate) jkt: Option<Box<str>>,
}

/// The prefix of a revocation id made from the token itself.
const DIGEST_PREFIX: &str = "#sha256:";

/// What a token's revocation is stored under: its `jti`, or for a token
/// without one (an identity provider's that has none, an introspected
/// token), `#sha256:` and the base64url SHA-256 of `signed`: a JWS's
/// signing input (`header.payload`, never the signature, which another
/// encoding of the same signature would change: an ECDSA `s` is as good as
/// `n - s`), an opaque token's whole text. Never the token itself.
pub(crate) fn revocation_id(jti: Option<&str>, signed: &[u8]) -> Box<str> {
    use base64::Engine as _;
    use sha2::Digest as _;
    match jti {
        Some(jti) => Box::from(jti),
        None => {
            let digest = sha2::Sha256::digest(signed);
            let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
            format!("{DIGEST_PREFIX}{encoded}").into_boxed_str()
        }
    }
}

impl Facts {
    /// The principal's credential slot for these facts.
    pub(crate) fn into_credential(self) -> (Arc<Self>, Credential) {
        let facts = Arc::new(self);
        let credential: Credential = Arc::clone(&facts) as Credential;
        (facts, credential)
    }
}

impl VerifiedToken {
    /// `principal` must carry `facts` as its credential.
    pub(crate) fn new(principal: Principal, facts: Arc<Facts>) -> Self {
        Self { principal, facts }
    }

    /// The verified token a principal came from, when this crate's verifier
    /// made that principal (`None` for an API key's principal, or any other).
    #[must_use]
    pub fn of(principal: &Principal) -> Option<Self> {
        let facts = principal.credential::<Facts>()?;
        Some(Self {
            principal: principal.clone(),
            facts,
        })
    }

    /// The principal: `sub` as id, the `scope` (or `scp`) claim as scopes, every claim as attributes.
    #[must_use]
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The `sub` claim.
    #[must_use]
    pub fn subject(&self) -> &str {
        self.principal.id()
    }

    /// The `jti` claim.
    #[must_use]
    pub fn jti(&self) -> Option<&str> {
        self.facts.jti.as_deref()
    }

    /// What a revocation of this token is stored under: the `jti`, or for
    /// a token without one, `#sha256:` and the base64url SHA-256 of what
    /// was signed (a JWS's `header.payload`, so that no re-encoding of its
    /// signature escapes the revocation; an opaque token's text).
    #[must_use]
    pub fn revocation_id(&self) -> &str {
        &self.facts.revocation_id
    }

    /// When it expires (`exp`, whole seconds).
    #[must_use]
    pub fn expires_at(&self) -> SystemTime {
        system_time(self.facts.exp)
    }

    pub(crate) fn expires_at_unix(&self) -> i64 {
        self.facts.exp
    }

    pub(crate) fn issued_at_unix(&self) -> Option<i64> {
        self.facts.iat
    }

    /// When it was issued (`iat`).
    #[must_use]
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.facts.iat.map(system_time)
    }

    /// The scopes of the `scope` (or `scp`) claim.
    #[must_use]
    pub fn scopes(&self) -> &[String] {
        self.principal.scopes()
    }

    /// Every claim, as the JSON object text of the payload.
    #[must_use]
    pub fn claims_json(&self) -> &str {
        self.principal.claims_json().unwrap_or("{}")
    }

    /// The algorithm it was signed with (`None` for an opaque token that
    /// introspection vouched for).
    #[must_use]
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.facts.alg
    }

    /// The `kid` of the key that verified it.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.facts.kid.as_deref()
    }

    /// The `cnf.jkt` claim: the RFC 7638 thumbprint of the DPoP key this
    /// token is bound to (RFC 9449), if any. [`crate::BearerGuard`] refuses
    /// such a token sent as `Bearer`.
    #[must_use]
    pub fn cnf_jkt(&self) -> Option<&str> {
        self.facts.jkt.as_deref()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.facts.generation
    }
}
