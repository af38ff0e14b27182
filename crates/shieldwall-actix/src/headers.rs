//! Header sets made once in `http` 1 types (security headers, CORS answers),
//! converted to actix-web's types once per worker rather than per response.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Weak};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

/// The actix-web form of one shared header set.
pub(crate) type Converted = Rc<[(HeaderName, HeaderValue)]>;

/// At most this many sets are remembered per worker; more are converted
/// each time (a policy has a handful: four security-header sets, one CORS
/// set per listed origin).
const MAX_SETS: usize = 64;

/// Conversions of shared sets, for one worker (actix services are `!Send`).
///
/// A set is known by the address of its `Arc`; the `Weak` kept beside it
/// holds that allocation, so the address cannot be reused by another set
/// while the entry exists.
#[derive(Default)]
pub(crate) struct ConvertedHeaders {
    sets: RefCell<Vec<(Weak<http::HeaderMap>, Converted)>>,
}

impl std::fmt::Debug for ConvertedHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvertedHeaders").finish_non_exhaustive()
    }
}

impl ConvertedHeaders {
    /// The actix-web form of `set`, converted on first use.
    pub(crate) fn of(&self, set: &Arc<http::HeaderMap>) -> Converted {
        let address = Arc::as_ptr(set);
        if let Ok(sets) = self.sets.try_borrow()
            && let Some((_, converted)) = sets.iter().find(|(weak, _)| weak.as_ptr() == address)
        {
            return Rc::clone(converted);
        }
        let converted = convert(set);
        if let Ok(mut sets) = self.sets.try_borrow_mut()
            && sets.len() < MAX_SETS
        {
            sets.push((Arc::downgrade(set), Rc::clone(&converted)));
        }
        converted
    }
}

/// `set` in actix-web's types (both validate names and values alike, so
/// nothing is dropped in practice; a pair that were refused is skipped).
pub(crate) fn convert(set: &http::HeaderMap) -> Converted {
    set.iter()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_bytes(name.as_str().as_bytes()).ok()?,
                HeaderValue::from_bytes(value.as_bytes()).ok()?,
            ))
        })
        .collect()
}

/// Appends every header of `set`.
pub(crate) fn append(set: &[(HeaderName, HeaderValue)], to: &mut HeaderMap) {
    for (name, value) in set {
        to.append(name.clone(), value.clone());
    }
}

/// Sets the headers of `set` whose names `to` does not hold yet.
pub(crate) fn fill_missing(set: &[(HeaderName, HeaderValue)], to: &mut HeaderMap) {
    let mut filled: Option<&HeaderName> = None;
    for (name, value) in set {
        // Several values of one name in a row: all go in when the first did.
        if filled == Some(name) || !to.contains_key(name) {
            to.append(name.clone(), value.clone());
            filled = Some(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_converted_once_and_applied_like_the_http_one() {
        let mut set = http::HeaderMap::new();
        set.insert("x-a", http::HeaderValue::from_static("1"));
        set.append("x-b", http::HeaderValue::from_static("2"));
        set.append("x-b", http::HeaderValue::from_static("3"));
        let set = Arc::new(set);
        let cache = ConvertedHeaders::default();
        let first = cache.of(&set);
        assert!(Rc::ptr_eq(&first, &cache.of(&set)), "converted once");
        let mut response = HeaderMap::new();
        response.insert(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("mine"),
        );
        fill_missing(&first, &mut response);
        assert_eq!(response.get("x-a").unwrap(), "mine");
        assert_eq!(response.get_all("x-b").count(), 2);
        append(&first, &mut response);
        assert_eq!(response.get_all("x-a").count(), 2);
        // Another set at another address is another entry.
        let other = Arc::new(http::HeaderMap::new());
        assert!(cache.of(&other).is_empty());
    }
}
