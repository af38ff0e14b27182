//! Configuration errors and the versioning rejection.

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, HeaderValue, header::VARY};
use shieldwall_errors::{ErrorCode, Rejection};

/// A versioning configuration was refused by
/// [`VersionPolicyBuilder::build`](crate::VersionPolicyBuilder::build).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionConfigError {
    /// A path prefix that is not `/` or `/seg`, `/seg/seg` of unreserved characters.
    #[error("path prefix {0:?}: expected `/`, `/seg` or `/seg/seg`, unreserved characters only")]
    InvalidPrefix(String),
    /// A header name that is not a valid header name.
    #[error("{0:?} is not a valid header name")]
    InvalidHeaderName(String),
    /// A media type parameter name that is not a token, or is `q` (the weight).
    #[error("{0:?} is not a media type parameter name (a token other than `q`)")]
    InvalidParameter(String),
    /// The policy supports no version.
    #[error("a versioning policy supports at least one version")]
    NoVersions,
    /// A version given twice (supported and deprecated count as one setting).
    #[error("version {0} is given more than once")]
    DuplicateVersion(u32),
    /// A version above 999999999: no request could name it.
    #[error("version {0} is over 999999999, the largest a request can name")]
    VersionTooLarge(u32),
    /// The default version is not one of the supported versions.
    #[error("the default version {0} is not a supported version")]
    DefaultNotSupported(u32),
    /// A default version on a path source: a path names its version or is not versioned.
    #[error("a default version applies to a header or media type source, not to a path")]
    DefaultWithPath,
    /// A deprecation or sunset date before 1970 or after 9999.
    #[error("version {version}: dates must lie between 1970 and 9999")]
    DateOutOfRange {
        /// The version.
        version: u32,
    },
    /// A sunset before the deprecation (RFC 9745 §3: the sunset should not come first).
    #[error("version {version}: the sunset date is before the deprecation date")]
    SunsetBeforeDeprecation {
        /// The version.
        version: u32,
    },
    /// A link that is not a URI reference of at most 2048 visible ASCII characters.
    #[error("version {version}: {link:?} is not a URI reference for a Link header")]
    InvalidLink {
        /// The version.
        version: u32,
        /// The link as given.
        link: String,
    },
}

/// Why a request's version was refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionRejectedKind {
    /// A well-formed version that the policy does not support: 404
    /// `UNSUPPORTED_VERSION`.
    Unsupported,
    /// A header or parameter that is not a version (`2.0`, `02`, non-UTF-8
    /// bytes): 400 `MALFORMED_REQUEST`.
    Malformed,
    /// The header sent twice, or two media ranges naming different versions:
    /// 400 `MALFORMED_REQUEST`.
    Ambiguous,
    /// No version, and the policy has no default: 400 `MALFORMED_REQUEST`.
    Missing,
}

/// A request-time rejection of a [`VersionPolicy`](crate::VersionPolicy).
///
/// Its detail is fixed per kind and never quotes what the client sent.
#[derive(Clone, Debug)]
pub struct VersionRejected {
    pub(crate) kind: VersionRejectedKind,
    pub(crate) vary: Option<HeaderValue>,
}

impl VersionRejected {
    /// Why.
    #[must_use]
    pub fn kind(&self) -> VersionRejectedKind {
        self.kind
    }

    /// The status of the answer (404 or 400).
    #[must_use]
    pub fn status(&self) -> http::StatusCode {
        self.code().status()
    }
}

impl fmt::Display for VersionRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            VersionRejectedKind::Unsupported => "unsupported API version",
            VersionRejectedKind::Malformed => "malformed API version",
            VersionRejectedKind::Ambiguous => "more than one API version",
            VersionRejectedKind::Missing => "no API version",
        })
    }
}

impl std::error::Error for VersionRejected {}

impl Rejection for VersionRejected {
    fn code(&self) -> ErrorCode {
        match self.kind {
            VersionRejectedKind::Unsupported => ErrorCode::UnsupportedVersion,
            VersionRejectedKind::Malformed
            | VersionRejectedKind::Ambiguous
            | VersionRejectedKind::Missing => ErrorCode::MalformedRequest,
        }
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(match self.kind {
            VersionRejectedKind::Unsupported => "this API version is not supported",
            VersionRejectedKind::Malformed => {
                "the API version must be a number such as 2 (or v2), without leading zeros"
            }
            VersionRejectedKind::Ambiguous => "the request names more than one API version",
            VersionRejectedKind::Missing => "the request names no API version",
        }))
    }

    /// `Vary` naming the header the version came from (header and media
    /// type sources), so that a cache never answers one version's request
    /// with another's rejection.
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(vary) = &self.vary {
            headers.insert(VARY, vary.clone());
        }
        headers
    }
}
