//! `VersionPolicyBuilder`: a policy's settings, checked once when built.

use http::header::{HeaderName, HeaderValue};
use shieldwall_core::{Scoped, Version};

use crate::grammar::MAX_VERSION;
use crate::policy::{Entry, Source};
use crate::{Deprecation, VersionConfigError, VersionPolicy};

#[derive(Clone, Debug)]
pub(crate) enum SourceSpec {
    Path(String),
    Header(String),
    MediaTypeParam(String),
}

/// Builds a [`VersionPolicy`]; nothing is checked before [`build`](Self::build).
#[must_use]
#[derive(Clone, Debug)]
pub struct VersionPolicyBuilder {
    source: SourceSpec,
    versions: Vec<(u32, Option<Deprecation>)>,
    default: Option<u32>,
}

impl VersionPolicyBuilder {
    pub(crate) fn new(source: SourceSpec) -> Self {
        Self {
            source,
            versions: Vec::new(),
            default: None,
        }
    }

    /// Supports version `major`.
    pub fn supports(mut self, major: u32) -> Self {
        self.versions.push((major, None));
        self
    }

    /// Supports version `major`, deprecated: its responses carry
    /// `Deprecation`, and `Sunset` and `Link` when set.
    pub fn deprecated(mut self, major: u32, deprecation: Deprecation) -> Self {
        self.versions.push((major, Some(deprecation)));
        self
    }

    /// The version of a request that names none (header and media type
    /// sources only). Without one, such a request is refused with 400.
    pub fn default_version(mut self, major: u32) -> Self {
        self.default = Some(major);
        self
    }

    /// Checks everything and makes every response header.
    pub fn build(self) -> Result<VersionPolicy, VersionConfigError> {
        let (source, vary) = match self.source {
            SourceSpec::Path(prefix) => {
                Scoped::under(&prefix, ())
                    .map_err(|_| VersionConfigError::InvalidPrefix(prefix.clone()))?;
                (Source::Path(prefix.trim_end_matches('/').into()), None)
            }
            SourceSpec::Header(name) => {
                let header = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| VersionConfigError::InvalidHeaderName(name.clone()))?;
                let vary = HeaderValue::from_str(header.as_str())
                    .map_err(|_| VersionConfigError::InvalidHeaderName(name))?;
                (Source::Header(header), Some(vary))
            }
            SourceSpec::MediaTypeParam(param) => {
                let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
                if param.is_empty() || !param.bytes().all(tchar) || param.eq_ignore_ascii_case("q")
                {
                    return Err(VersionConfigError::InvalidParameter(param));
                }
                let lower = param.to_ascii_lowercase().into();
                (
                    Source::MediaTypeParam(lower),
                    Some(HeaderValue::from_static("accept")),
                )
            }
        };
        if self.versions.is_empty() {
            return Err(VersionConfigError::NoVersions);
        }
        let mut versions = Vec::with_capacity(self.versions.len());
        for (major, deprecation) in &self.versions {
            let major = *major;
            if major > MAX_VERSION {
                return Err(VersionConfigError::VersionTooLarge(major));
            }
            if versions.iter().any(|e: &Entry| e.version.major() == major) {
                return Err(VersionConfigError::DuplicateVersion(major));
            }
            let headers = match deprecation {
                Some(deprecation) => deprecation.headers(major)?,
                None => Vec::new(),
            };
            versions.push(Entry {
                version: Version::new(major),
                headers: headers.into(),
            });
        }
        versions.sort_by_key(|entry| entry.version);
        let default = match (self.default, &source) {
            (None, _) => None,
            (Some(_), Source::Path(_)) => return Err(VersionConfigError::DefaultWithPath),
            (Some(major), _) => {
                if !versions.iter().any(|e| e.version.major() == major) {
                    return Err(VersionConfigError::DefaultNotSupported(major));
                }
                Some(Version::new(major))
            }
        };
        Ok(VersionPolicy {
            source,
            versions: versions.into(),
            default,
            vary,
        })
    }
}
