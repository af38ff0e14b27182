//! The `type` member of a problem: `about:blank`, or a URI of the service's
//! own documentation.

use std::borrow::Cow;
use std::sync::Arc;

use crate::ErrorCode;

/// How the `type` member of every problem is written.
///
/// The default is `about:blank` (RFC 9457, section 4.2.1): it names no
/// library and no version, so an error tells a client nothing about the
/// stack behind the API; the `code` member tells problems apart. A service
/// that documents its errors points `type` at its own pages with
/// [`ProblemTypes::base`]; install it on the perimeter, which renders every
/// shieldwall answer and every custom problem with it.
///
/// ```
/// use shieldwall_errors::{ErrorCode, ProblemTypes};
///
/// assert_eq!(ProblemTypes::default().uri_of(ErrorCode::RateLimited), "about:blank");
///
/// let types = ProblemTypes::base("https://api.example.com/problems/").unwrap();
/// assert_eq!(
///     types.uri_of(ErrorCode::RateLimited),
///     "https://api.example.com/problems/rate-limited"
/// );
/// assert!(ProblemTypes::base("api.example.com/problems/").is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProblemTypes {
    base: Option<Arc<str>>,
}

/// Why a base for problem types was refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemTypeError {
    /// Not an absolute `https://` or `http://` URI with a host (and no
    /// user information).
    NotAbsoluteHttp,
    /// It has a query or a fragment: the code is appended to the path.
    HasQueryOrFragment,
    /// Its path does not end in `/`.
    NoTrailingSlash,
    /// Longer than 512 bytes.
    TooLong,
}

impl std::fmt::Display for ProblemTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotAbsoluteHttp => {
                "the problem type base must be an absolute https:// or http:// URI with a host"
            }
            Self::HasQueryOrFragment => {
                "the problem type base must have no query or fragment (the code is appended to its path)"
            }
            Self::NoTrailingSlash => "the problem type base must end in '/'",
            Self::TooLong => "the problem type base must be at most 512 bytes",
        })
    }
}

impl std::error::Error for ProblemTypeError {}

const MAX_BASE: usize = 512;

impl ProblemTypes {
    /// `about:blank` for every problem (the default).
    #[must_use]
    pub const fn about_blank() -> Self {
        Self { base: None }
    }

    /// `base` followed by the code in lowercase, `_` written `-`:
    /// `https://api.example.com/problems/` gives
    /// `https://api.example.com/problems/rate-limited` for `RATE_LIMITED`
    /// (and `.../order-conflict` for a custom `ORDER_CONFLICT`).
    pub fn base(base: &str) -> Result<Self, ProblemTypeError> {
        if base.len() > MAX_BASE {
            return Err(ProblemTypeError::TooLong);
        }
        if base.contains(['?', '#']) {
            return Err(ProblemTypeError::HasQueryOrFragment);
        }
        let uri: http::Uri = base
            .parse()
            .map_err(|_| ProblemTypeError::NotAbsoluteHttp)?;
        let http = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http"));
        let userinfo = uri.authority().is_some_and(|a| a.as_str().contains('@'));
        if !http || userinfo || uri.host().is_none_or(str::is_empty) {
            return Err(ProblemTypeError::NotAbsoluteHttp);
        }
        if !uri.path().ends_with('/') || !base.ends_with('/') {
            return Err(ProblemTypeError::NoTrailingSlash);
        }
        Ok(Self {
            base: Some(Arc::from(base)),
        })
    }

    /// The `type` of a problem with `code`.
    #[must_use]
    pub fn uri_of(&self, code: ErrorCode) -> Cow<'static, str> {
        let Some(base) = &self.base else {
            return Cow::Borrowed("about:blank");
        };
        let code = code.as_str();
        let mut uri = String::with_capacity(base.len() + code.len());
        uri.push_str(base);
        uri.extend(code.chars().map(|c| match c {
            '_' => '-',
            c => c.to_ascii_lowercase(),
        }));
        Cow::Owned(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom_code;

    #[test]
    fn base_must_be_an_absolute_http_uri_ending_in_a_slash() {
        for good in [
            "https://api.example.com/problems/",
            "http://localhost:8080/",
            "HTTPS://docs.example.com/errors/v1/",
        ] {
            assert!(ProblemTypes::base(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("/problems/", ProblemTypeError::NotAbsoluteHttp),
            ("urn:example:problems/", ProblemTypeError::NotAbsoluteHttp),
            ("ftp://example.com/", ProblemTypeError::NotAbsoluteHttp),
            ("https:///problems/", ProblemTypeError::NotAbsoluteHttp),
            (
                "https://user:pass@example.com/p/",
                ProblemTypeError::NotAbsoluteHttp,
            ),
            ("https://exa mple.com/", ProblemTypeError::NotAbsoluteHttp),
            (
                "https://example.com/p?x=/",
                ProblemTypeError::HasQueryOrFragment,
            ),
            (
                "https://example.com/p#/",
                ProblemTypeError::HasQueryOrFragment,
            ),
            (
                "https://example.com/problems",
                ProblemTypeError::NoTrailingSlash,
            ),
            ("https://example.com", ProblemTypeError::NoTrailingSlash),
        ] {
            assert_eq!(ProblemTypes::base(bad), Err(why), "{bad}");
        }
        let long = format!("https://example.com/{}/", "a".repeat(600));
        assert_eq!(ProblemTypes::base(&long), Err(ProblemTypeError::TooLong));
    }

    #[test]
    fn the_code_is_appended_in_lowercase_with_hyphens() {
        let types = ProblemTypes::base("https://example.com/p/").unwrap();
        assert_eq!(
            types.uri_of(ErrorCode::ValidationFailed),
            "https://example.com/p/validation-failed"
        );
        let custom = custom_code!(409, "ORDER_CONFLICT_2", "Order conflict");
        assert_eq!(
            types.uri_of(ErrorCode::Custom(custom)),
            "https://example.com/p/order-conflict-2"
        );
        assert_eq!(
            ProblemTypes::about_blank().uri_of(ErrorCode::Custom(custom)),
            "about:blank"
        );
    }
}
