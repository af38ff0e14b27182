//! `Principal`: who is making the request, once a guard has decided.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// What kind of credential identified the principal.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A user, for example from a bearer token's `sub`.
    User,
    /// An API key; `key_id` is the key's public id (never the key).
    ApiKey {
        /// The public key id.
        key_id: String,
    },
    /// Another service, for example a request signer's `keyid`.
    Service,
}

/// Whether `scope` is a scope token as OAuth 2.0 defines one (RFC 6749
/// section 3.3): visible ASCII, at least one character, without space,
/// double quote or backslash. Keys and tokens accept only such scopes.
///
/// ```
/// assert!(shieldwall_core::is_scope_token("users:read"));
/// assert!(!shieldwall_core::is_scope_token("users read"));
/// assert!(!shieldwall_core::is_scope_token(""));
/// ```
#[must_use]
pub fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// An authenticated caller: an id, the kind of credential, and scopes.
///
/// Cheap to clone (one reference count). Guards attach it to the request;
/// later layers (rate limits per user, audit) and handlers read it.
///
/// ```
/// use shieldwall_core::Principal;
///
/// let p = Principal::api_key("user-7", "k_3x9").with_scopes(["users:read"]);
/// assert_eq!(p.id(), "user-7");
/// assert_eq!(p.key_id(), Some("k_3x9"));
/// assert!(p.has_scope("users:read"));
/// assert!(!p.has_scope("users:write"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Principal(Arc<Inner>);

/// What the guard that verified a credential keeps about it (for example a
/// verified token's expiry, so that it can be revoked), typed by that guard.
pub type Credential = Arc<dyn Any + Send + Sync>;

#[derive(Clone)]
struct Inner {
    id: String,
    kind: PrincipalKind,
    scopes: Vec<String>,
    claims: Option<Arc<str>>,
    credential: Option<Credential>,
}

/// Two principals are equal when they say the same about the caller; the
/// credential is compared by identity (the same verification).
impl PartialEq for Inner {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.kind == other.kind
            && self.scopes == other.scopes
            && self.claims == other.claims
            && match (&self.credential, &other.credential) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for Inner {}

impl Principal {
    /// A user principal.
    #[must_use]
    pub fn user(id: impl Into<String>) -> Self {
        Self::new(id.into(), PrincipalKind::User)
    }

    /// A principal identified by an API key owned by `owner_id`.
    #[must_use]
    pub fn api_key(owner_id: impl Into<String>, key_id: impl Into<String>) -> Self {
        Self::new(
            owner_id.into(),
            PrincipalKind::ApiKey {
                key_id: key_id.into(),
            },
        )
    }

    /// A service principal.
    #[must_use]
    pub fn service(id: impl Into<String>) -> Self {
        Self::new(id.into(), PrincipalKind::Service)
    }

    fn new(id: String, kind: PrincipalKind) -> Self {
        Self(Arc::new(Inner {
            id,
            kind,
            scopes: Vec::new(),
            claims: None,
            credential: None,
        }))
    }

    /// Replaces the scopes.
    #[must_use]
    pub fn with_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        scopes.sort_unstable();
        scopes.dedup();
        let inner = Arc::unwrap_or_clone(self.0);
        Self(Arc::new(Inner { scopes, ..inner }))
    }

    /// A user principal from a verified token, made in one allocation: `sub`,
    /// the scopes of its `scope` claim, its claims as JSON text (an object, as
    /// the verifier parsed it), and what the verifier keeps about the token
    /// (see [`Principal::credential`]).
    #[must_use]
    pub fn from_token(
        subject: String,
        mut scopes: Vec<String>,
        claims_json: Arc<str>,
        credential: Option<Credential>,
    ) -> Self {
        scopes.sort_unstable();
        scopes.dedup();
        Self(Arc::new(Inner {
            id: subject,
            kind: PrincipalKind::User,
            scopes,
            claims: Some(claims_json),
            credential,
        }))
    }

    /// Attaches what the verifying guard keeps about the credential.
    #[must_use]
    pub fn with_credential(self, credential: Credential) -> Self {
        let inner = Arc::unwrap_or_clone(self.0);
        Self(Arc::new(Inner {
            credential: Some(credential),
            ..inner
        }))
    }

    /// What the verifying guard kept about the credential, when it is a `T`.
    /// A guard crate reads its own type back here (the tokens crate turns a
    /// principal into the verified token it came from, to revoke it); a `T`
    /// private to that crate cannot be forged by anyone else.
    #[must_use]
    pub fn credential<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let credential = self.0.credential.as_ref()?;
        Arc::clone(credential).downcast::<T>().ok()
    }

    /// What the credential said about the principal (a verified token's
    /// claims), as the JSON object text it arrived in. Read it as a type with
    /// [`crate::claims_of`].
    #[must_use]
    pub fn claims_json(&self) -> Option<&str> {
        self.0.claims.as_deref()
    }

    /// The principal's id (user id, or the owner of an API key).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The kind of credential.
    #[must_use]
    pub fn kind(&self) -> &PrincipalKind {
        &self.0.kind
    }

    /// The API key id, when an API key identified the principal.
    #[must_use]
    pub fn key_id(&self) -> Option<&str> {
        match &self.0.kind {
            PrincipalKind::ApiKey { key_id } => Some(key_id),
            PrincipalKind::User | PrincipalKind::Service => None,
        }
    }

    /// The scopes, sorted.
    #[must_use]
    pub fn scopes(&self) -> &[String] {
        &self.0.scopes
    }

    /// Whether the principal holds `scope` (exact match).
    #[must_use]
    pub fn has_scope(&self, scope: &str) -> bool {
        self.0
            .scopes
            .binary_search_by(|s| s.as_str().cmp(scope))
            .is_ok()
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("id", &self.0.id)
            .field("kind", &self.0.kind)
            .field("scopes", &self.0.scopes)
            .field("claims", &self.0.claims.as_ref().map(|c| c.len()))
            .field("credential", &self.0.credential.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_sorted_deduplicated_and_exact() {
        let p = Principal::user("u1").with_scopes(["b", "a", "b"]);
        assert_eq!(p.scopes(), ["a", "b"]);
        assert!(p.has_scope("a"));
        assert!(!p.has_scope("A"));
        assert!(!p.has_scope(""));
        assert_eq!(p.key_id(), None);
        assert_eq!(p.kind(), &PrincipalKind::User);
        assert_eq!(Principal::service("svc").kind(), &PrincipalKind::Service);
    }

    #[test]
    fn a_credential_is_read_back_only_as_its_own_type() {
        #[derive(Debug, PartialEq)]
        struct Mine(u32);
        let credential: Credential = Arc::new(Mine(7));
        let p = Principal::user("u1").with_credential(Arc::clone(&credential));
        assert_eq!(p.credential::<Mine>().as_deref(), Some(&Mine(7)));
        assert_eq!(p.credential::<u32>(), None);
        assert_eq!(Principal::user("u1").credential::<Mine>(), None);
        assert_eq!(p, p.clone());
        assert_ne!(p, Principal::user("u1"));
        assert_ne!(p, Principal::user("u1").with_credential(Arc::new(Mine(7))));
    }
}
