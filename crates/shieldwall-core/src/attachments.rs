//! `Attachments`: values a guard hands to later layers and handlers.

use std::any::Any;
use std::sync::Arc;

/// Typed values attached to a request by guards (the API version, ...), one
/// per type: attaching a second value of a type replaces the first. Adapters
/// keep them in the request's extensions; read them with
/// [`crate::RequestView::attachment`] or an adapter's extractor.
///
/// ```
/// use shieldwall_core::Attachments;
///
/// #[derive(Debug, PartialEq)]
/// struct Version(u32);
///
/// let mut attached = Attachments::default();
/// attached.insert(Version(1));
/// attached.insert(Version(2));
/// assert_eq!(attached.get::<Version>().as_deref(), Some(&Version(2)));
/// assert_eq!(attached.get::<u8>(), None);
/// ```
#[derive(Clone, Default)]
pub struct Attachments(Vec<Arc<dyn Any + Send + Sync>>);

impl Attachments {
    /// Attaches `value`, replacing a value of the same type.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.0.retain(|held| !held.is::<T>());
        self.0.push(Arc::new(value));
    }

    /// The value of type `T`, if one is attached.
    #[must_use]
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.0
            .iter()
            .find_map(|held| Arc::clone(held).downcast::<T>().ok())
    }

    /// Whether nothing is attached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts these values with those a request already holds: merged into
    /// `held` when there are some (and `None` comes back), else returned for
    /// the adapter to insert into the request's extensions. Empty: nothing
    /// to do either way.
    #[must_use]
    pub fn merge_into(self, held: Option<&mut Self>) -> Option<Self> {
        if self.is_empty() {
            return None;
        }
        match held {
            Some(held) => {
                held.extend(self);
                None
            }
            None => Some(self),
        }
    }

    /// Adds every value of `other`, replacing values of the same types.
    pub fn extend(&mut self, other: Self) {
        for value in other.0 {
            let id = (*value).type_id();
            self.0.retain(|held| (**held).type_id() != id);
            self.0.push(value);
        }
    }
}

impl std::fmt::Debug for Attachments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachments")
            .field("len", &self.0.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extend_replaces_by_type() {
        let mut a = Attachments::default();
        a.insert(1_u8);
        a.insert("x");
        let mut b = Attachments::default();
        b.insert(2_u8);
        a.extend(b);
        assert_eq!(a.get::<u8>().as_deref(), Some(&2));
        assert_eq!(a.get::<&str>().as_deref(), Some(&"x"));
        assert!(!a.is_empty());
        let mut c = Attachments::default();
        c.insert(3_u8);
        assert!(c.clone().merge_into(Some(&mut a)).is_none());
        assert_eq!(a.get::<u8>().as_deref(), Some(&3));
        assert!(c.clone().merge_into(None).is_some());
        assert!(Attachments::default().merge_into(None).is_none());
    }
}
