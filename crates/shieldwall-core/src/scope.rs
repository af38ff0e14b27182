//! `Scoped`: a guard that applies under one path prefix only.

use crate::{Decision, Guard, RequestView, Step};

/// A prefix that [`Scoped::under`] refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeConfigError {
    /// Not `/` followed by segments of unreserved characters (`A-Z a-z 0-9 - . _ ~`)
    /// separated by single slashes, without a trailing slash or dot segments.
    #[error("path prefix {0:?}: expected `/seg` or `/seg/seg`, unreserved characters only")]
    InvalidPrefix(String),
}

/// Runs `guard` on the requests whose path is the prefix or lies under it,
/// and lets every other request pass untouched.
///
/// Put it on the whole application, outside routing, to cover **every**
/// request under a prefix: matched routes, unknown paths (404) and wrong
/// methods (405) alike. A guard put on routes only never sees the requests
/// that match no route, so a limit there does not slow down a scan for
/// hidden paths.
///
/// The prefix ends at a segment boundary: `/api` covers `/api`, `/api/`,
/// `/api/v1/users` and `/api%2Fx`, not `/apis` or `/api-docs`. Paths are
/// compared as the request spells them (case-sensitively, not decoded), as
/// the routers of both frameworks match them.
///
/// ```
/// use shieldwall_core::{Decision, Guard, Scoped, Step};
/// # struct Count;
/// # impl Guard for Count {
/// #     type Input = ();
/// #     fn extract<R: shieldwall_core::RequestView + ?Sized>(&self, _: &R) -> Step<()> { Step::Decide(()) }
/// #     async fn decide(&self, _: ()) -> Decision { Decision::reject(shieldwall_core::ErrorCode::RateLimited) }
/// # }
/// let api_only = Scoped::under("/api", Count)?;
/// let request = |path| http::Request::get(path).body(()).unwrap();
/// assert!(matches!(api_only.extract(&request("/api/v9/hidden")), Step::Decide(())));
/// assert!(matches!(api_only.extract(&request("/health")), Step::Done(Decision::Continue(_))));
/// # Ok::<(), shieldwall_core::ScopeConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scoped<G> {
    prefix: PathPrefix,
    guard: G,
}

impl<G> Scoped<G> {
    /// `guard` under `prefix` (`/` covers every path).
    pub fn under(prefix: &str, guard: G) -> Result<Self, ScopeConfigError> {
        Ok(Self {
            prefix: PathPrefix::new(prefix)?,
            guard,
        })
    }

    /// The guard.
    pub fn guard(&self) -> &G {
        &self.guard
    }

    /// Whether `path` is the prefix or lies under it.
    #[must_use]
    pub fn covers(&self, path: &str) -> bool {
        self.prefix.covers(path)
    }
}

/// A path prefix that ends at a segment boundary, checked when made: `/api`
/// covers `/api`, `/api/...` and `/api%2F...`, not `/apis`. Used by
/// [`Scoped`] and by every policy that applies under a prefix.
///
/// ```
/// let api = shieldwall_core::PathPrefix::new("/api")?;
/// assert!(api.covers("/api/v1/users") && api.covers("/api") && !api.covers("/api-docs"));
/// assert!(shieldwall_core::PathPrefix::new("/api/").is_err());
/// # Ok::<(), shieldwall_core::ScopeConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPrefix(Box<str>);

impl PathPrefix {
    /// `/seg[/seg...]` of unreserved characters, or `/` for every path.
    pub fn new(prefix: &str) -> Result<Self, ScopeConfigError> {
        let valid = prefix == "/"
            || prefix.strip_prefix('/').is_some_and(|rest| {
                rest.split('/').all(|segment| {
                    !segment.is_empty()
                        && segment != "."
                        && segment != ".."
                        && segment.bytes().all(is_unreserved)
                })
            });
        if !valid {
            return Err(ScopeConfigError::InvalidPrefix(prefix.to_owned()));
        }
        Ok(Self(prefix.trim_end_matches('/').into()))
    }

    /// Whether `path` is the prefix or lies under it.
    #[must_use]
    pub fn covers(&self, path: &str) -> bool {
        match path.strip_prefix(&*self.0) {
            Some(rest) => rest.bytes().next().is_none_or(|b| !is_unreserved(b)),
            None => false,
        }
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

impl<G: Guard> Guard for Scoped<G> {
    fn describe(&self) -> crate::telemetry::GuardInfo<'_> {
        self.guard.describe()
    }

    type Input = G::Input;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<G::Input> {
        if self.covers(request.path()) {
            self.guard.extract(request)
        } else {
            Step::Done(Decision::pass())
        }
    }

    fn decide(&self, input: G::Input) -> impl Future<Output = Decision> + Send {
        self.guard.decide(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_at_a_segment_boundary() {
        let api = Scoped::under("/api", ()).unwrap();
        for path in [
            "/api",
            "/api/",
            "/api/v1/users",
            "/api/v9/hidden",
            "/api//x",
            "/api%2Fv1",
            "/api;x",
        ] {
            assert!(api.covers(path), "{path}");
        }
        for path in [
            "/",
            "/apis",
            "/api-docs",
            "/api.json",
            "/API/v1",
            "//api/v1",
            "/health",
            "",
        ] {
            assert!(!api.covers(path), "{path}");
        }
        let all = Scoped::under("/", ()).unwrap();
        assert!(all.covers("/anything") && all.covers("/"));
        let nested = Scoped::under("/api/v1/auth", ()).unwrap();
        assert!(nested.covers("/api/v1/auth/login") && !nested.covers("/api/v1/authz"));
    }

    #[test]
    fn bad_prefixes_are_refused_when_built() {
        for prefix in [
            "", "api", "/api/", "//api", "/a//b", "/./a", "/a/..", "/a b", "/a%2F", "/é",
        ] {
            assert_eq!(
                Scoped::under(prefix, ()).unwrap_err(),
                ScopeConfigError::InvalidPrefix(prefix.to_owned()),
                "{prefix}"
            );
        }
    }
}
