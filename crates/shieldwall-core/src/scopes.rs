//! `Scopes`: the OAuth 2.0 scopes a route requires, parsed once and checked by one function.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use shieldwall_errors::{ErrorCode, Rejection};

use crate::{Principal, is_scope_token};

/// A scope that is not a scope token, refused when the scopes were made.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Not a scope token (RFC 6749 section 3.3): empty, or holding a space,
    /// a double quote, a backslash or a character outside visible ASCII.
    #[error("{0:?} is not a scope (visible ASCII without space, double quote or backslash)")]
    NotAScopeToken(String),
}

/// A set of scopes, each a scope token (RFC 6749 section 3.3), sorted and
/// without repeats; checked when made, so a route cannot require a scope no
/// credential could hold.
///
/// The API key guard, the bearer guard, key creation and token issuing all
/// take their scopes through this type, and both guards check them with
/// [`Scopes::check`]: one rule for what a scope is and for what "holds the
/// scopes" means. Cheap to clone (one reference count); the space-separated
/// form ([`Scopes::as_str`], as a `scope` claim and in a
/// `WWW-Authenticate: Bearer ... scope="..."` challenge) is made once.
///
/// ```
/// use shieldwall_core::{Principal, Scopes};
///
/// let required = Scopes::new(["users:write", "users:read", "users:read"])?;
/// assert_eq!(required.as_str(), "users:read users:write");
/// assert_eq!("users:write users:read".parse::<Scopes>()?, required);
/// assert!(Scopes::new(["users read"]).is_err());
///
/// let reader = Principal::user("u1").with_scopes(["users:read"]);
/// let refused = required.check(&reader).unwrap_err();
/// assert_eq!(refused.missing(), "users:write");
/// let writer = reader.with_scopes(["users:read", "users:write", "admin"]);
/// assert!(required.check(&writer).is_ok());
/// assert!(Scopes::default().check(&Principal::user("anyone")).is_ok());
/// # Ok::<(), shieldwall_core::ScopeError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes(Arc<Inner>);

#[derive(Default, PartialEq, Eq, Hash)]
struct Inner {
    /// Sorted, without repeats.
    list: Box<[String]>,
    /// `list` joined by single spaces.
    text: Box<str>,
}

/// The scopes of a [`Scopes`], in order.
pub type ScopesIter<'a> = std::iter::Map<std::slice::Iter<'a, String>, fn(&String) -> &str>;

impl Scopes {
    /// The scopes of `scopes`, each checked to be a scope token; order and
    /// repeats do not matter.
    pub fn new<I, S>(scopes: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        for scope in scopes {
            let scope = scope.as_ref();
            if !is_scope_token(scope) {
                return Err(ScopeError::NotAScopeToken(scope.to_owned()));
            }
            list.push(scope.to_owned());
        }
        list.sort_unstable();
        list.dedup();
        let text = list.join(" ").into_boxed_str();
        Ok(Self(Arc::new(Inner {
            list: list.into_boxed_slice(),
            text,
        })))
    }

    /// The scopes of a space-separated list (`"users:read users:write"`,
    /// the form of a `scope` claim); runs of spaces count as one, and an
    /// empty list is no scope.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        Self::new(text.split(' ').filter(|s| !s.is_empty()))
    }

    /// No scope at all: every principal holds it.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether there is no scope.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.list.is_empty()
    }

    /// How many scopes there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.list.len()
    }

    /// Whether `scope` is one of them (exact match).
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.0
            .list
            .binary_search_by(|s| s.as_str().cmp(scope))
            .is_ok()
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> ScopesIter<'_> {
        self.0
            .list
            .iter()
            .map(String::as_str as fn(&String) -> &str)
    }

    /// The scopes joined by single spaces, sorted: the value of a `scope`
    /// claim and of the `scope` parameter of a bearer challenge (RFC 6750
    /// section 3). Made once; holds no quote or backslash.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    /// Whether `principal` holds every one of these scopes: the one check
    /// of the API key and bearer guards. The refusal names the first scope
    /// missing, for the logs.
    pub fn check(&self, principal: &Principal) -> Result<(), InsufficientScope> {
        match self.0.list.iter().position(|s| !principal.has_scope(s)) {
            None => Ok(()),
            Some(missing) => Err(InsufficientScope {
                required: self.clone(),
                missing,
            }),
        }
    }
}

impl FromStr for Scopes {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, ScopeError> {
        Self::parse(text)
    }
}

impl<'a> IntoIterator for &'a Scopes {
    type Item = &'a str;
    type IntoIter = ScopesIter<'a>;

    fn into_iter(self) -> ScopesIter<'a> {
        self.iter()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scopes").field(&self.as_str()).finish()
    }
}

/// A principal lacks a scope that [`Scopes::check`] required.
///
/// As a [`Rejection`] it is 403 `INSUFFICIENT_SCOPE`, for a handler that
/// checks a scope of its own; the API key and bearer guards answer with
/// their own rejection of that code (the bearer one adds its
/// `WWW-Authenticate` challenge naming [`InsufficientScope::required`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientScope {
    required: Scopes,
    missing: usize,
}

impl InsufficientScope {
    /// Every scope that was required.
    #[must_use]
    pub fn required(&self) -> &Scopes {
        &self.required
    }

    /// The first required scope the principal lacks.
    #[must_use]
    pub fn missing(&self) -> &str {
        self.required
            .0
            .list
            .get(self.missing)
            .map_or("", String::as_str)
    }
}

impl fmt::Display for InsufficientScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the principal lacks the scope {:?}", self.missing())
    }
}

impl std::error::Error for InsufficientScope {}

impl Rejection for InsufficientScope {
    fn code(&self) -> ErrorCode {
        ErrorCode::InsufficientScope
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(
            "the credentials lack a scope this route requires",
        ))
    }

    fn audit_reason(&self) -> Option<&'static str> {
        Some("insufficient_scope")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_sorted_and_deduplicated_when_made() {
        let scopes = Scopes::new(["b", "a", "b", "c:d"]).unwrap();
        assert_eq!(scopes.iter().collect::<Vec<_>>(), ["a", "b", "c:d"]);
        assert_eq!(scopes.as_str(), "a b c:d");
        assert_eq!(scopes.to_string(), "a b c:d");
        assert_eq!(format!("{scopes:?}"), "Scopes(\"a b c:d\")");
        assert_eq!(scopes.len(), 3);
        assert!(scopes.contains("c:d") && !scopes.contains("c") && !scopes.contains(""));
        assert_eq!(Scopes::parse("  c:d b  a b ").unwrap(), scopes);
        assert_eq!(Scopes::parse("").unwrap(), Scopes::none());
        assert!(Scopes::none().is_empty() && Scopes::none().as_str().is_empty());
        for bad in ["", "a b", "a\"b", "a\\b", "caf\u{e9}", "a\tb", "a\u{7f}"] {
            assert_eq!(
                Scopes::new(["ok", bad]),
                Err(ScopeError::NotAScopeToken(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert!(Scopes::parse("a \"b").is_err());
        let borrowed: Vec<&str> = (&scopes).into_iter().collect();
        assert_eq!(Scopes::new(borrowed).unwrap(), scopes);
    }

    #[test]
    fn check_requires_every_scope_and_names_the_first_missing() {
        let required = Scopes::new(["users:write", "users:read"]).unwrap();
        let none = Principal::user("u1");
        let refused = required.check(&none).unwrap_err();
        assert_eq!(refused.missing(), "users:read");
        assert_eq!(refused.required(), &required);
        assert_eq!(
            refused.to_string(),
            "the principal lacks the scope \"users:read\""
        );
        let reader = Principal::user("u1").with_scopes(["users:read"]);
        assert_eq!(
            required.check(&reader).unwrap_err().missing(),
            "users:write"
        );
        // Exact matches only: no prefix, no case folding, no wildcard.
        let near = Principal::user("u1").with_scopes(["users", "USERS:WRITE", "users:*"]);
        assert!(required.check(&near).is_err());
        let both = Principal::user("u1").with_scopes(["users:read", "users:write"]);
        assert!(required.check(&both).is_ok());
        assert!(Scopes::none().check(&none).is_ok());
    }

    #[test]
    fn a_refusal_is_403_insufficient_scope() {
        let refused = Scopes::new(["a"])
            .unwrap()
            .check(&Principal::user("u1"))
            .unwrap_err()
            .into_api_error();
        assert_eq!(refused.status(), 403);
        assert_eq!(refused.code(), ErrorCode::InsufficientScope);
        assert_eq!(refused.reason(), Some("insufficient_scope"));
    }
}
