//! `Version`: the API version a request asked for.

use std::fmt;

use shieldwall_errors::ApiError;

use crate::RequestView;

/// An API version (a major number), as a versioning guard resolved it for a
/// request (`shieldwall-versioning`). The guard attaches it to the request;
/// handlers read it with the adapters' `ApiVersion` extractor, later guards
/// with [`RequestView::attachment`].
///
/// It displays as it is spelled in a path: `v1`.
///
/// ```
/// use shieldwall_core::Version;
///
/// let v2 = Version::new(2);
/// assert_eq!(v2.major(), 2);
/// assert_eq!(v2.to_string(), "v2");
/// assert!(Version::new(1) < v2);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    major: u32,
}

impl Version {
    /// Version `major`.
    #[must_use]
    pub const fn new(major: u32) -> Self {
        Self { major }
    }

    /// The major number.
    #[must_use]
    pub const fn major(self) -> u32 {
        self.major
    }

    /// The version a versioning guard attached to `request`, or 500
    /// `INTERNAL_ERROR`: a handler that asks for a version on a route that no
    /// versioning guard covers is a server mistake, and guessing a version
    /// would serve the request under rules it did not ask for.
    pub fn attached_to<R: RequestView + ?Sized>(request: &R) -> Result<Self, ApiError> {
        request
            .attachment::<Self>()
            .map(|version| *version)
            .ok_or_else(|| {
                ApiError::internal(
                    "no API version on this request: is the route behind its versioning guard?",
                )
            })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.major)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Attachments;
    use shieldwall_errors::ErrorCode;

    #[test]
    fn displays_and_orders_by_major() {
        assert_eq!(Version::new(0).to_string(), "v0");
        assert_eq!(Version::new(u32::MAX).to_string(), "v4294967295");
        let mut versions = [Version::new(3), Version::new(1), Version::new(2)];
        versions.sort();
        assert_eq!(versions.map(Version::major), [1, 2, 3]);
    }

    #[test]
    fn attached_or_a_server_mistake() {
        let mut request = http::Request::new(());
        assert_eq!(
            Version::attached_to(&request).unwrap_err().code(),
            ErrorCode::InternalError
        );
        let mut attached = Attachments::default();
        attached.insert(Version::new(7));
        request.extensions_mut().insert(attached);
        assert_eq!(Version::attached_to(&request).unwrap(), Version::new(7));
    }
}
