//! `VersionPolicy`: where the version comes from, which versions exist, and
//! what a deprecated one announces.

use http::header::{ACCEPT, HeaderName, HeaderValue};
use shieldwall_core::{RequestView, Version};

use crate::accept;
use crate::builder::SourceSpec;
use crate::grammar::{self, Found};
use crate::{VersionPolicyBuilder, VersionRejected, VersionRejectedKind};

/// Which versions an API serves and how a request names one.
///
/// Built with [`VersionPolicy::from_path`], [`VersionPolicy::from_header`] or
/// [`VersionPolicy::from_media_type_param`], then checked once by
/// [`VersionPolicyBuilder::build`]; every response header a deprecated
/// version sends is made there, never per request. It is a
/// [`Guard`](shieldwall_core::Guard): put it in front of your routes with the
/// adapters' guard layer.
///
/// ```
/// use shieldwall_core::Version;
/// use shieldwall_versioning::{Deprecation, VersionPolicy, VersionRejectedKind, utc_date};
///
/// let policy = VersionPolicy::from_path("/api")
///     .deprecated(1, Deprecation::since(utc_date(2025, 1, 1).unwrap()))
///     .supports(2)
///     .build()?;
/// let get = |path| http::Request::get(path).body(()).unwrap();
///
/// assert_eq!(policy.resolve(&get("/api/v2/things")).unwrap(), Some(Version::new(2)));
/// assert_eq!(
///     policy.resolve(&get("/api/v3/things")).unwrap_err().kind(),
///     VersionRejectedKind::Unsupported
/// );
/// // Not a version: left to the router (404 NOT_FOUND).
/// assert_eq!(policy.resolve(&get("/api/v01/things")).unwrap(), None);
/// // Mount each operation once per version, with its guards attached to it.
/// assert_eq!(policy.paths("/things"), ["/api/v1/things", "/api/v2/things"]);
/// # Ok::<(), shieldwall_versioning::VersionConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct VersionPolicy {
    pub(crate) source: Source,
    /// Sorted by version.
    pub(crate) versions: Box<[Entry]>,
    pub(crate) default: Option<Version>,
    /// `Vary` for the header and media type sources.
    pub(crate) vary: Option<HeaderValue>,
}

#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// The prefix without a trailing slash (empty for `/`).
    Path(Box<str>),
    Header(HeaderName),
    /// Lowercase.
    MediaTypeParam(Box<str>),
}

#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) version: Version,
    /// Empty unless deprecated.
    pub(crate) headers: Box<[(HeaderName, HeaderValue)]>,
}

impl VersionPolicy {
    /// The version is the path segment right after `prefix`: `v` followed by
    /// 1 to 9 digits without a leading zero (`/api/v1/...`, `/api/v12`).
    /// A path outside the prefix, or whose segment is not spelled so
    /// (`v01`, `V1`, `vx`, `v1%2F`), is not versioned: the guard lets it
    /// through untouched and the router answers it.
    pub fn from_path(prefix: &str) -> VersionPolicyBuilder {
        VersionPolicyBuilder::new(SourceSpec::Path(prefix.to_owned()))
    }

    /// The version is the value of header `name` (`API-Version: 2`; `v2`
    /// is read the same).
    pub fn from_header(name: &str) -> VersionPolicyBuilder {
        VersionPolicyBuilder::new(SourceSpec::Header(name.to_owned()))
    }

    /// The version is media type parameter `param` in `Accept`
    /// (`Accept: application/json; version=2`), in any media range.
    pub fn from_media_type_param(param: &str) -> VersionPolicyBuilder {
        VersionPolicyBuilder::new(SourceSpec::MediaTypeParam(param.to_owned()))
    }

    /// The version `request` asks for: `Ok(None)` when a path source finds
    /// the path unversioned; the default version when a header or media type
    /// source finds none.
    pub fn resolve<R: RequestView + ?Sized>(
        &self,
        request: &R,
    ) -> Result<Option<Version>, VersionRejected> {
        let found = match &self.source {
            Source::Path(prefix) => path_version(prefix, request.path()),
            Source::Header(name) => match request.single_header(name.as_str()) {
                Err(_) => Found::Ambiguous,
                Ok(None) => Found::Nothing,
                Ok(Some(value)) => grammar::value(value).map_or(Found::Malformed, Found::Version),
            },
            Source::MediaTypeParam(param) => {
                accept::version_param(request.header_values(ACCEPT.as_str()), param)
            }
        };
        let reject = |kind| VersionRejected {
            kind,
            vary: self.vary.clone(),
        };
        match found {
            Found::Version(major) if self.entry(Version::new(major)).is_some() => {
                Ok(Some(Version::new(major)))
            }
            Found::Version(_) => Err(reject(VersionRejectedKind::Unsupported)),
            Found::Nothing => match (&self.source, self.default) {
                (Source::Path(_), _) => Ok(None),
                (_, Some(default)) => Ok(Some(default)),
                (_, None) => Err(reject(VersionRejectedKind::Missing)),
            },
            Found::Malformed => Err(reject(VersionRejectedKind::Malformed)),
            Found::Ambiguous => Err(reject(VersionRejectedKind::Ambiguous)),
        }
    }

    /// The supported versions, deprecated ones included, in order.
    pub fn versions(&self) -> impl Iterator<Item = Version> + '_ {
        self.versions.iter().map(|entry| entry.version)
    }

    /// Whether `version` is supported.
    #[must_use]
    pub fn is_supported(&self, version: Version) -> bool {
        self.entry(version).is_some()
    }

    /// Whether `version` is supported and deprecated.
    #[must_use]
    pub fn is_deprecated(&self, version: Version) -> bool {
        self.entry(version)
            .is_some_and(|entry| !entry.headers.is_empty())
    }

    /// The version of a request that names none (header and media type
    /// sources).
    #[must_use]
    pub fn default_version(&self) -> Option<Version> {
        self.default
    }

    /// Where to mount the operation at `route` (`/things/{id}`): once per
    /// supported version under a path source (`/api/v1/things/{id}`,
    /// `/api/v2/things/{id}`), once as it is under a header or media type
    /// source. Mount one handler, with its guards attached to it, at every
    /// path, so that no version of the operation lacks a check that another
    /// has.
    #[must_use]
    pub fn paths(&self, route: &str) -> Vec<String> {
        let slash = if route.is_empty() || route.starts_with('/') {
            ""
        } else {
            "/"
        };
        match &self.source {
            Source::Path(prefix) => self
                .versions()
                .map(|version| format!("{prefix}/{version}{slash}{route}"))
                .collect(),
            Source::Header(_) | Source::MediaTypeParam(_) if route.is_empty() => vec!["/".into()],
            Source::Header(_) | Source::MediaTypeParam(_) => vec![format!("{slash}{route}")],
        }
    }

    pub(crate) fn entry(&self, version: Version) -> Option<&Entry> {
        self.versions
            .binary_search_by_key(&version, |entry| entry.version)
            .ok()
            .and_then(|at| self.versions.get(at))
    }

    pub(crate) fn vary(&self) -> Option<&HeaderValue> {
        self.vary.as_ref()
    }
}

/// The version segment right after `prefix`, if the path lies under it.
fn path_version(prefix: &str, path: &str) -> Found {
    let Some(rest) = path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'))
    else {
        return Found::Nothing;
    };
    let segment = rest.split('/').next().unwrap_or_default();
    grammar::path_segment(segment).map_or(Found::Nothing, Found::Version)
}
