//! `Deprecation`: what a deprecated version announces, and the headers that
//! say it, built once.

use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue, LINK};

use shieldwall_core::imf_fixdate;

use crate::VersionConfigError;
use crate::date::unix_seconds;

/// The `Deprecation` header (RFC 9745).
pub const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
/// The `Sunset` header (RFC 8594).
pub const SUNSET: HeaderName = HeaderName::from_static("sunset");

/// The longest link a policy accepts, in bytes.
const MAX_LINK: usize = 2048;

/// How a deprecated version is announced: since when (RFC 9745), until when
/// (RFC 8594), what replaces it and where it is documented.
///
/// Dates are whole seconds (a fraction is dropped) between 1970 and 9999;
/// [`utc_date`](crate::utc_date) makes the start of a day. A deprecation
/// date may lie in the future ("will be deprecated on"); a sunset date may
/// not come before the deprecation date. Everything is checked by
/// [`VersionPolicyBuilder::build`](crate::VersionPolicyBuilder::build).
///
/// ```
/// use shieldwall_versioning::{Deprecation, utc_date};
///
/// let v1 = Deprecation::since(utc_date(2025, 1, 1).unwrap())
///     .sunset(utc_date(2026, 1, 1).unwrap())
///     .successor("https://api.example.com/v2/")
///     .documentation("https://developer.example.com/deprecations/v1");
/// # let _ = v1;
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deprecation {
    since: SystemTime,
    sunset: Option<SystemTime>,
    successor: Option<String>,
    documentation: Option<String>,
}

impl Deprecation {
    /// Deprecated since (or from) `date`: `Deprecation: @<unix seconds>`.
    #[must_use]
    pub fn since(date: SystemTime) -> Self {
        Self {
            since: date,
            sunset: None,
            successor: None,
            documentation: None,
        }
    }

    /// Expected to stop answering after `date`: `Sunset: <IMF-fixdate>`.
    ///
    /// Announced, not enforced: remove the version from the policy when the
    /// day comes.
    #[must_use]
    pub fn sunset(mut self, date: SystemTime) -> Self {
        self.sunset = Some(date);
        self
    }

    /// The version that replaces this one:
    /// `Link: <link>; rel="successor-version"` (RFC 5829). One fixed URI
    /// reference per version (for example the new version's base or its
    /// migration guide), the same on every response.
    #[must_use]
    pub fn successor(mut self, link: impl Into<String>) -> Self {
        self.successor = Some(link.into());
        self
    }

    /// Where the deprecation is explained: `Link: <link>; rel="deprecation"`
    /// (RFC 9745 §3).
    #[must_use]
    pub fn documentation(mut self, link: impl Into<String>) -> Self {
        self.documentation = Some(link.into());
        self
    }

    /// The response headers of this deprecation, in the order
    /// `Deprecation`, `Sunset`, `Link` (successor), `Link` (documentation).
    pub(crate) fn headers(
        &self,
        version: u32,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, VersionConfigError> {
        let out_of_range = || VersionConfigError::DateOutOfRange { version };
        let since = unix_seconds(self.since).ok_or_else(out_of_range)?;
        let mut headers = vec![(DEPRECATION, value(format!("@{since}"), version)?)];
        if let Some(sunset) = self.sunset {
            if unix_seconds(sunset).ok_or_else(out_of_range)? < since {
                return Err(VersionConfigError::SunsetBeforeDeprecation { version });
            }
            headers.push((SUNSET, value(imf_fixdate(sunset), version)?));
        }
        for (link, rel) in [
            (&self.successor, "successor-version"),
            (&self.documentation, "deprecation"),
        ] {
            if let Some(link) = link {
                check_link(link, version)?;
                headers.push((LINK, value(format!("<{link}>; rel=\"{rel}\""), version)?));
            }
        }
        Ok(headers)
    }
}

/// A URI reference (RFC 3986 characters only, so nothing can close the
/// `<...>` or start another header field), not empty, at most 2048 bytes.
fn check_link(link: &str, version: u32) -> Result<(), VersionConfigError> {
    let uri_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
    if link.is_empty() || link.len() > MAX_LINK || !link.bytes().all(uri_char) {
        return Err(VersionConfigError::InvalidLink {
            version,
            link: link.to_owned(),
        });
    }
    Ok(())
}

fn value(text: String, version: u32) -> Result<HeaderValue, VersionConfigError> {
    // Every value built here is visible ASCII (digits, a date, a checked
    // link); an error would be a bug here, reported rather than hidden.
    HeaderValue::try_from(text).map_err(|_| VersionConfigError::DateOutOfRange { version })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn rendered(deprecation: &Deprecation) -> Vec<(String, String)> {
        deprecation
            .headers(1)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn headers_follow_the_rfcs() {
        let full = Deprecation::since(at(1_688_169_599))
            .sunset(at(1_719_791_999))
            .successor("https://api.example.com/v2/")
            .documentation("/docs/deprecations#v1");
        assert_eq!(
            rendered(&full),
            [
                ("deprecation".into(), "@1688169599".into()),
                ("sunset".into(), "Sun, 30 Jun 2024 23:59:59 GMT".into()),
                (
                    "link".into(),
                    "<https://api.example.com/v2/>; rel=\"successor-version\"".into()
                ),
                (
                    "link".into(),
                    "</docs/deprecations#v1>; rel=\"deprecation\"".into()
                ),
            ]
        );
        assert_eq!(
            rendered(&Deprecation::since(at(0))),
            [("deprecation".into(), "@0".into())]
        );
        // Sunset on the deprecation day itself is fine.
        assert_eq!(rendered(&Deprecation::since(at(5)).sunset(at(5))).len(), 2);
    }

    #[test]
    fn bad_settings_are_refused() {
        let err = |d: Deprecation| d.headers(3).unwrap_err();
        assert_eq!(
            err(Deprecation::since(at(10)).sunset(at(9))),
            VersionConfigError::SunsetBeforeDeprecation { version: 3 }
        );
        assert_eq!(
            err(Deprecation::since(UNIX_EPOCH - Duration::from_secs(1))),
            VersionConfigError::DateOutOfRange { version: 3 }
        );
        assert_eq!(
            err(Deprecation::since(at(0)).sunset(at(300_000_000_000))),
            VersionConfigError::DateOutOfRange { version: 3 }
        );
        for link in [
            "",
            "https://a.example/>; rel=\"x\"",
            "https://a.example/ x",
            "https://a.example/\r\nSet-Cookie: a=b",
            "https://a.example/é",
            "https://a.example/\"",
            "https://a.example/<",
            &format!("https://a.example/{}", "a".repeat(MAX_LINK)),
        ] {
            assert_eq!(
                err(Deprecation::since(at(0)).successor(link)),
                VersionConfigError::InvalidLink {
                    version: 3,
                    link: link.to_owned()
                },
                "{link:?}"
            );
            assert!(matches!(
                err(Deprecation::since(at(0)).documentation(link)),
                VersionConfigError::InvalidLink { .. }
            ));
        }
    }
}
