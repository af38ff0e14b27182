//! `CorsPolicy` and its builder: everything checked, every header value made, once.

use std::sync::Arc;
use std::time::Duration;

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS,
    VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::origin::{Origin, SubdomainPattern};

/// A CORS configuration that was refused when the policy was built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorsConfigError {
    /// An origin that does not parse as `scheme://host[:port]`.
    #[error("origin {origin:?}: {reason}")]
    InvalidOrigin {
        /// The origin as given (cut at 100 characters).
        origin: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A method that is not an HTTP token.
    #[error("method {0:?} is not a valid HTTP method")]
    InvalidMethod(String),
    /// A header name that is not an HTTP token.
    #[error("header {0:?} is not a valid header name")]
    InvalidHeader(String),
    /// Any origin together with credentials: every site on the web could
    /// read credentialed answers.
    #[error("any origin together with credentials is refused: list the origins")]
    AnyOriginWithCredentials,
    /// `*` given as an origin or a header: use the explicit methods.
    #[error("{0:?} is not accepted here; use allow_any_origin_insecure for any origin")]
    Wildcard(String),
    /// No origin allowed at all.
    #[error("no origin is allowed")]
    NoOrigin,
    /// A max age above a day (browsers cap it lower anyway).
    #[error("max age {0} s is above 86400 s")]
    MaxAge(u64),
}

/// Which origins a policy allows.
#[derive(Clone, Debug)]
pub(crate) enum Origins {
    /// Exact origins and subdomain patterns (and `null` when dangerously asked for).
    Listed {
        /// Each origin with its `Access-Control-Allow-Origin` value and the
        /// headers every answer to it carries, made once.
        exact: Vec<(Origin, HeaderValue, Arc<HeaderMap>)>,
        patterns: Vec<SubdomainPattern>,
        null: bool,
    },
    /// Any origin, answered with `*` (never with credentials).
    Any,
}

/// A CORS policy for one API, checked when built; cheap to clone.
///
/// As a [`shieldwall_core::Guard`] it runs in front of every other guard
/// (authentication, rate limits): a preflight is answered there, allowed
/// (204 with the `Access-Control-Allow-*` headers) or refused (403
/// `CORS_FORBIDDEN`, no CORS headers), and never reaches a guard or a
/// handler; any other request goes on, and its answer (errors and 429s
/// included) carries `Vary: Origin` and, for an allowed origin, the
/// `Access-Control-Allow-Origin`, `-Credentials` and `-Expose-Headers`
/// headers.
///
/// ```
/// use std::time::Duration;
/// use shieldwall_cors::CorsPolicy;
///
/// let cors = CorsPolicy::builder()
///     .allow_origins(["https://myapp.com", "https://admin.myapp.com"])
///     .allow_methods(["GET", "POST", "PUT", "DELETE", "PATCH"])
///     .allow_headers(["Content-Type", "Authorization", "X-API-Key"])
///     .expose_headers(["X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After"])
///     .allow_credentials()
///     .max_age(Duration::from_secs(86_400))
///     .build()?;
/// assert!(cors.allows_origin("https://myapp.com"));
/// assert!(!cors.allows_origin("https://myapp.com.evil.test"));
/// assert!(!cors.allows_origin("http://myapp.com"));
///
/// // Refused when built, never at request time:
/// assert!(CorsPolicy::builder().allow_any_origin_insecure().allow_credentials().build().is_err());
/// assert!(CorsPolicy::builder().allow_origins(["https://myapp.com/"]).build().is_err());
/// # Ok::<(), shieldwall_cors::CorsConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct CorsPolicy {
    pub(crate) origins: Origins,
    pub(crate) methods: Vec<Method>,
    pub(crate) allowed_headers: Vec<HeaderName>,
    pub(crate) credentials: bool,
    pub(crate) private_network: bool,
    pub(crate) values: Values,
}

/// Header values made when the policy is built.
#[derive(Clone, Debug)]
pub(crate) struct Values {
    pub(crate) allow_methods: HeaderValue,
    pub(crate) allow_headers: Option<HeaderValue>,
    pub(crate) expose_headers: Option<HeaderValue>,
    pub(crate) max_age: Option<HeaderValue>,
    pub(crate) vary_preflight: HeaderValue,
    /// `Vary: Origin` alone: what an answer to another origin, or to none, carries.
    pub(crate) vary_only: Arc<HeaderMap>,
}

/// Builds a [`CorsPolicy`]; [`CorsPolicyBuilder::build`] checks everything.
#[must_use]
#[derive(Clone, Debug, Default)]
pub struct CorsPolicyBuilder {
    origins: Vec<String>,
    subdomains_of: Vec<String>,
    any_origin: bool,
    null_origin: bool,
    methods: Vec<String>,
    headers: Vec<String>,
    exposed: Vec<String>,
    credentials: bool,
    max_age: Option<Duration>,
    private_network: bool,
}

impl CorsPolicy {
    /// A builder that allows nothing yet; methods default to `GET, HEAD, POST`.
    pub fn builder() -> CorsPolicyBuilder {
        CorsPolicyBuilder::default()
    }

    /// Whether a request's `Origin` value (as sent) is allowed.
    #[must_use]
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origin_value(origin.as_bytes()).is_some()
    }

    /// The headers of an answer to an exactly listed `origin`, made once.
    pub(crate) fn prepared_for(&self, origin: &[u8]) -> Option<&Arc<HeaderMap>> {
        match &self.origins {
            Origins::Listed { exact, .. } => exact
                .iter()
                .find(|(o, _, _)| o.text.as_bytes() == origin)
                .map(|(_, _, headers)| headers),
            Origins::Any => None,
        }
    }

    /// The `Access-Control-Allow-Origin` value for an allowed `origin`.
    pub(crate) fn allowed_origin_value(&self, origin: &[u8]) -> Option<HeaderValue> {
        match &self.origins {
            Origins::Any => Some(HeaderValue::from_static("*")),
            Origins::Listed {
                exact,
                patterns,
                null,
            } => {
                if let Some((_, value, _)) =
                    exact.iter().find(|(o, _, _)| o.text.as_bytes() == origin)
                {
                    return Some(value.clone());
                }
                if *null && origin == b"null" {
                    return Some(HeaderValue::from_static("null"));
                }
                let text = std::str::from_utf8(origin).ok()?;
                if patterns.iter().any(|p| p.matches(text)) {
                    // A matched origin is scheme, labels and a suffix: visible ASCII.
                    return HeaderValue::from_str(text).ok();
                }
                None
            }
        }
    }
}

impl CorsPolicyBuilder {
    /// Allows these exact origins (`https://myapp.com`); call again to add more.
    pub fn allow_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.origins.extend(origins.into_iter().map(Into::into));
        self
    }

    /// Allows the origins of every subdomain of `parent` (`https://myapp.com`
    /// allows `https://a.myapp.com` and `https://b.c.myapp.com` with the same
    /// scheme and port, not `https://myapp.com` itself and never
    /// `https://evilmyapp.com`). Any subdomain can read answers: only for
    /// domains whose every subdomain you control.
    pub fn allow_subdomains_of(mut self, parent: &str) -> Self {
        self.subdomains_of.push(parent.to_owned());
        self
    }

    /// Allows any origin, answered with `*`. Refused together with
    /// credentials. Insecure for anything but public, unauthenticated data.
    pub fn allow_any_origin_insecure(mut self) -> Self {
        self.any_origin = true;
        self
    }

    /// Allows the origin `null` (sandboxed iframes, `file:` pages, some
    /// redirects: any site can produce it). Insecure.
    pub fn allow_null_origin_insecure(mut self) -> Self {
        self.null_origin = true;
        self
    }

    /// The methods a preflight may ask for (default `GET, HEAD, POST`).
    pub fn allow_methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// The request headers a preflight may ask for (default none).
    pub fn allow_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// The response headers scripts may read (default none beyond the safelisted ones).
    pub fn expose_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exposed = headers.into_iter().map(Into::into).collect();
        self
    }

    /// Lets browsers send cookies and `Authorization` and read the answers
    /// (`Access-Control-Allow-Credentials: true`).
    pub fn allow_credentials(mut self) -> Self {
        self.credentials = true;
        self
    }

    /// How long browsers may cache a preflight answer (at most a day).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Answers Private Network Access preflights
    /// (`Access-Control-Request-Private-Network: true`) with
    /// `Access-Control-Allow-Private-Network: true`. Off by default: such a
    /// preflight is refused.
    pub fn allow_private_network(mut self) -> Self {
        self.private_network = true;
        self
    }

    /// The policy, or what is wrong with the configuration.
    pub fn build(self) -> Result<CorsPolicy, CorsConfigError> {
        let origins = self.origins()?;
        let methods = if self.methods.is_empty() {
            vec![Method::GET, Method::HEAD, Method::POST]
        } else {
            self.methods
                .iter()
                .map(|m| {
                    if m == "*" {
                        return Err(CorsConfigError::Wildcard(m.clone()));
                    }
                    Method::from_bytes(m.as_bytes())
                        .map_err(|_| CorsConfigError::InvalidMethod(m.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let allowed_headers = names(&self.headers)?;
        let exposed = names(&self.exposed)?;
        let max_age = match self.max_age {
            Some(age) if age.as_secs() > 86_400 => {
                return Err(CorsConfigError::MaxAge(age.as_secs()));
            }
            Some(age) => Some(HeaderValue::from(age.as_secs())),
            None => None,
        };
        let vary_only = {
            let mut map = HeaderMap::new();
            map.insert(VARY, HeaderValue::from_static("origin"));
            Arc::new(map)
        };
        let mut origins = origins;
        if let Origins::Listed { exact, .. } = &mut origins {
            for (_, allow_origin, prepared) in exact.iter_mut() {
                let mut map = (*vary_only).clone();
                map.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin.clone());
                if self.credentials {
                    map.insert(
                        ACCESS_CONTROL_ALLOW_CREDENTIALS,
                        HeaderValue::from_static("true"),
                    );
                }
                if !exposed.is_empty() {
                    map.insert(
                        ACCESS_CONTROL_EXPOSE_HEADERS,
                        joined(exposed.iter().map(HeaderName::as_str))?,
                    );
                }
                *prepared = Arc::new(map);
            }
        }
        let values = Values {
            vary_only,
            allow_methods: joined(methods.iter().map(Method::as_str))?,
            allow_headers: (!allowed_headers.is_empty())
                .then(|| joined(allowed_headers.iter().map(HeaderName::as_str)))
                .transpose()?,
            expose_headers: (!exposed.is_empty())
                .then(|| joined(exposed.iter().map(HeaderName::as_str)))
                .transpose()?,
            max_age,
            vary_preflight: HeaderValue::from_static(
                "origin, access-control-request-method, access-control-request-headers",
            ),
        };
        Ok(CorsPolicy {
            origins,
            methods,
            allowed_headers,
            credentials: self.credentials,
            private_network: self.private_network,
            values,
        })
    }

    fn origins(&self) -> Result<Origins, CorsConfigError> {
        if self.any_origin {
            if self.credentials {
                return Err(CorsConfigError::AnyOriginWithCredentials);
            }
            return Ok(Origins::Any);
        }
        let mut exact = Vec::new();
        for text in &self.origins {
            if text == "*" || text == "null" {
                return Err(CorsConfigError::Wildcard(text.clone()));
            }
            let origin = Origin::parse(text)?;
            let value = HeaderValue::from_str(&origin.text).map_err(|_| {
                CorsConfigError::InvalidOrigin {
                    origin: origin.text.clone(),
                    reason: "not a header value",
                }
            })?;
            if !exact
                .iter()
                .any(|(o, _, _): &(Origin, HeaderValue, Arc<HeaderMap>)| *o == origin)
            {
                exact.push((origin, value, Arc::new(HeaderMap::new())));
            }
        }
        let patterns = self
            .subdomains_of
            .iter()
            .map(|parent| SubdomainPattern::of(&Origin::parse(parent)?))
            .collect::<Result<Vec<_>, _>>()?;
        if exact.is_empty() && patterns.is_empty() && !self.null_origin {
            return Err(CorsConfigError::NoOrigin);
        }
        Ok(Origins::Listed {
            exact,
            patterns,
            null: self.null_origin,
        })
    }
}

fn names(names: &[String]) -> Result<Vec<HeaderName>, CorsConfigError> {
    let mut out: Vec<HeaderName> = Vec::new();
    for name in names {
        if name == "*" {
            return Err(CorsConfigError::Wildcard(name.clone()));
        }
        let parsed = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| CorsConfigError::InvalidHeader(name.clone()))?;
        if !out.contains(&parsed) {
            out.push(parsed);
        }
    }
    Ok(out)
}

fn joined<'a>(items: impl Iterator<Item = &'a str>) -> Result<HeaderValue, CorsConfigError> {
    let text = items.collect::<Vec<_>>().join(", ");
    HeaderValue::from_str(&text).map_err(|_| CorsConfigError::InvalidHeader(text))
}
