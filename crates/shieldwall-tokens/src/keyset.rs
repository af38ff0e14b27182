//! `KeySet`: the keys tokens may be signed with, found by `kid`.

use std::sync::Arc;

use crate::{Algorithm, TokenConfigError, VerifyingKey};

/// The keys a verifier accepts. A token's key is chosen by its `kid` from
/// this set, never by its `alg` and never from key material in the token.
/// A token without `kid` is accepted only when the set holds one key.
///
/// ```
/// use shieldwall_core::Secret;
/// use shieldwall_tokens::{Algorithm, KeySet, VerifyingKey};
///
/// let a = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![1; 32]))?.with_kid("2026-01")?;
/// let b = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![2; 32]))?.with_kid("2026-02")?;
/// let set = KeySet::new([a, b])?;
/// assert_eq!(set.len(), 2);
/// # Ok::<(), shieldwall_tokens::TokenConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

impl KeySet {
    /// A set of keys: not empty, `kid`s unique, and every key named when
    /// there are several.
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> Result<Self, TokenConfigError> {
        let keys: Vec<Arc<VerifyingKey>> = keys.into_iter().map(Arc::new).collect();
        Self::from_arcs(keys)
    }

    pub(crate) fn from_arcs(keys: Vec<Arc<VerifyingKey>>) -> Result<Self, TokenConfigError> {
        if keys.is_empty() {
            return Err(TokenConfigError::KeySet("a key set needs at least one key"));
        }
        if keys.len() > 1 && keys.iter().any(|k| k.kid.is_none()) {
            return Err(TokenConfigError::KeySet(
                "with several keys, every key needs a kid",
            ));
        }
        for (i, key) in keys.iter().enumerate() {
            if keys
                .iter()
                .skip(i + 1)
                .any(|other| other.kid.is_some() && other.kid == key.kid)
            {
                return Err(TokenConfigError::KeySet("two keys share a kid"));
            }
        }
        Ok(Self { keys })
    }

    /// The key for a token's `kid`: an exact match, or the only key when the
    /// token names none and the set holds one.
    #[must_use]
    pub fn select(&self, kid: Option<&str>) -> Option<&Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None => match self.keys.as_slice() {
                [only] => Some(only),
                _ => None,
            },
        }
    }

    /// The algorithms of the keys.
    #[must_use]
    pub fn algorithms(&self) -> Vec<Algorithm> {
        let mut algs: Vec<Algorithm> = self.keys.iter().map(|k| k.alg).collect();
        algs.dedup();
        algs
    }

    /// How many keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Never true: a set has at least one key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shieldwall_core::Secret;

    fn key(byte: u8, kid: Option<&str>) -> VerifyingKey {
        let k = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![byte; 32])).unwrap();
        match kid {
            Some(kid) => k.with_kid(kid).unwrap(),
            None => k,
        }
    }

    #[test]
    fn selection_never_falls_back() {
        let one = KeySet::new([key(1, Some("a"))]).unwrap();
        assert!(one.select(Some("a")).is_some());
        assert!(one.select(None).is_some());
        assert!(one.select(Some("b")).is_none());
        assert!(one.select(Some("../../etc/passwd")).is_none());
        assert!(one.select(Some("a' OR '1'='1")).is_none());

        let two = KeySet::new([key(1, Some("a")), key(2, Some("b"))]).unwrap();
        assert!(two.select(None).is_none());
        assert!(two.select(Some("b")).is_some());
        assert!(two.select(Some("A")).is_none());
    }

    #[test]
    fn sets_are_checked_when_built() {
        assert!(KeySet::new([]).is_err());
        assert!(KeySet::new([key(1, Some("a")), key(2, Some("a"))]).is_err());
        assert!(KeySet::new([key(1, Some("a")), key(2, None)]).is_err());
        assert!(KeySet::new([key(1, None)]).is_ok());
    }
}
