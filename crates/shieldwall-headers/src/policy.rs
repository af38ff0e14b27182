//! `SecurityHeaders`: the headers every answer gets, made once.

use std::sync::Arc;
use std::time::Duration;

use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use shieldwall_core::{PathPrefix, ResponseHeaderPolicy};

/// A header configuration that was refused when built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeadersConfigError {
    /// HSTS `max-age` under a day (too short to protect) or over two years.
    #[error("HSTS max-age {0} s is outside 86400 ..= 63072000 s")]
    HstsMaxAge(u64),
    /// `preload` asks browsers to hard-code HTTPS for the whole domain: it
    /// needs `includeSubDomains` and a max-age of at least a year.
    #[error("HSTS preload needs includeSubDomains and a max-age of at least 31536000 s")]
    Preload,
    /// A path prefix that is not `/seg[/seg...]`.
    #[error("path prefix {0:?}: expected `/seg` or `/seg/seg`")]
    PathPrefix(String),
    /// A header name or value that is not valid.
    #[error("header {0:?}: not a valid name or value")]
    Header(String),
}

/// Cross-Origin-Resource-Policy.
const CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

/// Security headers for every answer, and HTTPS enforcement, handed to the
/// perimeter (`Perimeter::response_headers`), which sets them on every
/// answer where it lacks a field of the same name: the handler's, a guard's
/// refusal, a framework's error, the answer to a panic.
///
/// [`SecurityHeaders::json_api`] is the preset for JSON APIs (what a browser
/// should never do with a JSON answer: sniff it, frame it, run scripts from
/// it, send it as a referrer, cache it):
///
/// | header | value |
/// |---|---|
/// | `X-Content-Type-Options` | `nosniff` |
/// | `X-Frame-Options` | `DENY` |
/// | `Referrer-Policy` | `no-referrer` |
/// | `Content-Security-Policy` | `default-src 'none'; frame-ancestors 'none'` |
/// | `Cross-Origin-Resource-Policy` | `same-origin` |
/// | `Cache-Control` | `no-store`, under the API prefix (`/api` by default) |
/// | `Strict-Transport-Security` | `max-age=31536000; includeSubDomains`, only on answers sent over HTTPS |
///
/// ```
/// use shieldwall_core::{PathPrefix, ResponseHeaderPolicy};
/// use shieldwall_headers::SecurityHeaders;
///
/// let headers = SecurityHeaders::json_api().require_https().build()?;
/// let api = headers.headers_for("/api/v1/users", true).unwrap();
/// assert_eq!(api["cache-control"], "no-store");
/// assert_eq!(api["strict-transport-security"], "max-age=31536000; includeSubDomains");
/// let plain = headers.headers_for("/health", false).unwrap();
/// assert!(plain.get("strict-transport-security").is_none(), "never over plain HTTP");
/// assert!(plain.get("cache-control").is_none());
/// assert!(headers.requires_https());
/// # Ok::<(), shieldwall_headers::HeadersConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    /// Indexed by `[under the prefix][over HTTPS]`.
    sets: [[Arc<HeaderMap>; 2]; 2],
    prefix: Option<PathPrefix>,
    require_https: bool,
}

/// Builds [`SecurityHeaders`].
#[must_use]
#[derive(Clone, Debug)]
pub struct SecurityHeadersBuilder {
    base: Vec<(String, String)>,
    no_store_under: Option<String>,
    hsts_max_age: Duration,
    hsts_subdomains: bool,
    hsts_preload: bool,
    hsts: bool,
    require_https: bool,
}

impl SecurityHeaders {
    /// The JSON-API preset (see the table above); plain HTTP is served unless
    /// [`SecurityHeadersBuilder::require_https`] is set.
    pub fn json_api() -> SecurityHeadersBuilder {
        let base = [
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (X_FRAME_OPTIONS, "DENY"),
            (REFERRER_POLICY, "no-referrer"),
            (
                CONTENT_SECURITY_POLICY,
                "default-src 'none'; frame-ancestors 'none'",
            ),
            (CORP, "same-origin"),
        ];
        SecurityHeadersBuilder {
            base: base
                .into_iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.to_owned()))
                .collect(),
            no_store_under: Some("/api".to_owned()),
            hsts_max_age: Duration::from_secs(31_536_000),
            hsts_subdomains: true,
            hsts_preload: false,
            hsts: true,
            require_https: false,
        }
    }

    fn under_prefix(&self, path: &str) -> bool {
        self.prefix
            .as_ref()
            .is_some_and(|prefix| prefix.covers(path))
    }
}

impl ResponseHeaderPolicy for SecurityHeaders {
    fn headers_for(&self, path: &str, https: bool) -> Option<Arc<HeaderMap>> {
        self.sets
            .get(usize::from(self.under_prefix(path)))
            .and_then(|by_path| by_path.get(usize::from(https)))
            .cloned()
    }

    fn requires_https(&self) -> bool {
        self.require_https
    }
}

impl SecurityHeadersBuilder {
    /// Refuses requests that did not come over HTTPS (TLS on this server, or
    /// a trusted proxy's `X-Forwarded-Proto: https`) with 403
    /// `HTTPS_REQUIRED`. Not a redirect: the request's credentials already
    /// crossed the network in the clear, and a client that follows the
    /// redirect would send them again and learn nothing.
    pub fn require_https(mut self) -> Self {
        self.require_https = true;
        self
    }

    /// Whether plain HTTP is refused (see [`Self::require_https`]).
    pub fn https_required(mut self, required: bool) -> Self {
        self.require_https = required;
        self
    }

    /// `Cache-Control: no-store` on answers under this path prefix (default
    /// `/api`), where the handler set no `Cache-Control` of its own.
    pub fn no_store_under(mut self, prefix: &str) -> Self {
        self.no_store_under = Some(prefix.to_owned());
        self
    }

    /// No `Cache-Control` default anywhere.
    pub fn no_cache_control(mut self) -> Self {
        self.no_store_under = None;
        self
    }

    /// HSTS `max-age` (default one year; one day to two years).
    pub fn hsts_max_age(mut self, max_age: Duration) -> Self {
        self.hsts_max_age = max_age;
        self
    }

    /// HSTS `includeSubDomains` (default on).
    pub fn hsts_include_subdomains(mut self, include: bool) -> Self {
        self.hsts_subdomains = include;
        self
    }

    /// HSTS `preload` (default off: a request to browsers to hard-code HTTPS
    /// for the whole domain, hard to undo).
    pub fn hsts_preload(mut self) -> Self {
        self.hsts_preload = true;
        self
    }

    /// No `Strict-Transport-Security` at all (for a host that also serves
    /// plain HTTP on purpose).
    pub fn without_hsts(mut self) -> Self {
        self.hsts = false;
        self
    }

    /// Sets one more header on every answer, or replaces a preset one
    /// (`Content-Security-Policy` for an API that serves some HTML, say).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.base.retain(|(n, _)| *n != name);
        self.base.push((name, value.to_owned()));
        self
    }

    /// Drops a preset header.
    pub fn without(mut self, name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.base.retain(|(n, _)| *n != name);
        self
    }

    /// The headers, every value made now.
    pub fn build(self) -> Result<SecurityHeaders, HeadersConfigError> {
        let mut base = HeaderMap::new();
        for (name, value) in &self.base {
            let header = || HeadersConfigError::Header(name.clone());
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| header())?;
            let value = HeaderValue::from_str(value).map_err(|_| header())?;
            base.insert(name, value);
        }
        let hsts = if self.hsts {
            let secs = self.hsts_max_age.as_secs();
            if !(86_400..=63_072_000).contains(&secs) {
                return Err(HeadersConfigError::HstsMaxAge(secs));
            }
            if self.hsts_preload && (!self.hsts_subdomains || secs < 31_536_000) {
                return Err(HeadersConfigError::Preload);
            }
            let mut text = format!("max-age={secs}");
            if self.hsts_subdomains {
                text.push_str("; includeSubDomains");
            }
            if self.hsts_preload {
                text.push_str("; preload");
            }
            Some(HeaderValue::from_str(&text).map_err(|_| HeadersConfigError::Header(text))?)
        } else {
            None
        };
        let prefix = match self.no_store_under {
            Some(prefix) => {
                Some(PathPrefix::new(&prefix).map_err(|_| HeadersConfigError::PathPrefix(prefix))?)
            }
            None => None,
        };
        let make = |no_store: bool, https: bool| {
            let mut set = base.clone();
            if no_store {
                set.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            if let (true, Some(hsts)) = (https, &hsts) {
                set.insert(STRICT_TRANSPORT_SECURITY, hsts.clone());
            }
            Arc::new(set)
        };
        Ok(SecurityHeaders {
            sets: [
                [make(false, false), make(false, true)],
                [make(true, false), make(true, true)],
            ],
            prefix,
            require_https: self.require_https,
        })
    }
}
