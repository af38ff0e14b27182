//! `DpopPolicy`: what a DPoP proof must be, and where its `jti`s are kept.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use shieldwall_core::{Clock, LogThrottle, SystemClock};

use super::htu::Origin;
use super::store::ReplayStore;
use super::{DpopConfigError, NonceStore};
use crate::Algorithm;
use crate::algorithm::Family;

/// How old a proof's `iat` may be (300 s).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// How far in the future a proof's `iat` may be, for clients whose clocks run
/// ahead (30 s); also kept on every `jti`, for instances whose clocks run
/// behind.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(30);

/// The longest `DPoP` header taken, checked before any decoding (8 KiB).
pub const MAX_PROOF_LEN: usize = 8 * 1024;

const MAX_MAX_AGE: Duration = Duration::from_secs(3600);
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Checks DPoP proofs (RFC 9449) for tokens bound to a key by `cnf.jkt`.
/// Cheap to clone. Give it to [`BearerGuard::dpop`](crate::BearerGuard::dpop).
///
/// ```
/// use shieldwall_tokens::dpop::{DpopPolicy, MemoryNonceStore};
///
/// let policy = DpopPolicy::builder(MemoryNonceStore::new())
///     .public_origin("https://api.example.com")
///     .build()?;
/// assert_eq!(policy.max_age().as_secs(), 300);
/// // No origin: `htu` could not be checked.
/// assert!(DpopPolicy::builder(MemoryNonceStore::new()).build().is_err());
/// # Ok::<(), shieldwall_tokens::dpop::DpopConfigError>(())
/// ```
#[derive(Clone)]
pub struct DpopPolicy {
    pub(super) inner: Arc<Inner>,
    pub(super) challenges: Arc<Challenges>,
}

impl std::fmt::Debug for DpopPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopPolicy")
            .field("origin", &self.inner.origin)
            .field("algorithms", &self.inner.algorithms)
            .field("max_age", &self.inner.max_age)
            .field("clock_skew", &self.inner.clock_skew)
            .finish_non_exhaustive()
    }
}

pub(super) struct Inner {
    pub(super) store: Box<dyn ReplayStore>,
    /// `None`: the origin of each request (`Host`), by the user's choice.
    pub(super) origin: Option<Origin>,
    pub(super) algorithms: Vec<Algorithm>,
    pub(super) max_age: i64,
    pub(super) clock_skew: i64,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) store_log: LogThrottle,
}

/// The `WWW-Authenticate` values, made once per realm.
pub(super) struct Challenges {
    /// `algs="ES256 ..."`.
    algs: Box<str>,
    /// `DPoP algs=...`: for a request with no credential.
    pub(super) bare: HeaderValue,
    /// `DPoP error="invalid_dpop_proof", algs=...`.
    pub(super) proof: HeaderValue,
    /// `DPoP error="invalid_token", algs=...`.
    pub(super) token: HeaderValue,
}

fn header(text: &str) -> HeaderValue {
    // Invariant: the realm is checked to be visible ASCII without quotes when
    // the verifier is built, and algorithm names are ASCII; the fallback is
    // never taken.
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("DPoP"))
}

impl Challenges {
    pub(super) fn new(algorithms: &[Algorithm], realm: Option<&str>) -> Self {
        let names: Vec<&str> = algorithms.iter().map(|a| a.as_str()).collect();
        let algs = format!("algs=\"{}\"", names.join(" "));
        let realm = realm
            .map(|r| format!("realm=\"{r}\", "))
            .unwrap_or_default();
        Self {
            bare: header(&format!("DPoP {realm}{algs}")),
            proof: header(&format!("DPoP {realm}error=\"invalid_dpop_proof\", {algs}")),
            token: header(&format!("DPoP {realm}error=\"invalid_token\", {algs}")),
            algs: algs.into_boxed_str(),
        }
    }

    /// A bearer challenge (`Bearer realm=..., error=...`) in the DPoP
    /// scheme, with `algs`.
    pub(super) fn dpop_of_bearer(&self, bearer: &HeaderValue) -> HeaderValue {
        let params = bearer
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer"))
            .unwrap_or_default()
            .trim_start();
        if params.is_empty() {
            self.bare.clone()
        } else {
            header(&format!("DPoP {params}, {}", self.algs))
        }
    }
}

/// Builds a [`DpopPolicy`]; every setting is checked by
/// [`DpopPolicyBuilder::build`].
#[must_use]
pub struct DpopPolicyBuilder {
    store: Box<dyn ReplayStore>,
    origin: Option<String>,
    origin_from_host: bool,
    algorithms: Option<Vec<Algorithm>>,
    max_age: Duration,
    clock_skew: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DpopPolicyBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopPolicyBuilder")
            .field("origin", &self.origin)
            .field("origin_from_host", &self.origin_from_host)
            .finish_non_exhaustive()
    }
}

/// Every asymmetric algorithm.
fn asymmetric() -> Vec<Algorithm> {
    Algorithm::ALL
        .into_iter()
        .filter(|a| a.family() != Family::Hmac)
        .collect()
}

impl DpopPolicy {
    /// A builder whose proofs' `jti`s are kept in `store`: the
    /// [`NonceStore`] of request signing, in memory for one instance or on
    /// Redis for all (`RedisNonceStore`, feature `redis`). Entries are keyed
    /// `dpop:<jkt>` and the `jti`, so a store shared with request signing
    /// keeps them apart from signature nonces.
    pub fn builder(store: impl NonceStore) -> DpopPolicyBuilder {
        DpopPolicyBuilder {
            store: Box::new(store),
            origin: None,
            origin_from_host: false,
            algorithms: None,
            max_age: DEFAULT_MAX_AGE,
            clock_skew: DEFAULT_CLOCK_SKEW,
            clock: Arc::new(SystemClock::new()),
        }
    }

    /// The algorithms a proof may be signed with.
    #[must_use]
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.inner.algorithms
    }

    /// How old a proof's `iat` may be.
    #[must_use]
    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.inner.max_age.unsigned_abs())
    }

    /// The same policy answering with `realm` in its challenges.
    pub(crate) fn for_realm(&self, realm: Option<&str>) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            challenges: Arc::new(Challenges::new(&self.inner.algorithms, realm)),
        }
    }
}

impl DpopPolicyBuilder {
    /// The server's public origin, `https://host[:port]` (`http://` too), as
    /// clients write it in `htu`: the scheme and host are compared without
    /// case, a default port is the same as none. The request's path is
    /// appended as received. Give this whenever the origin is known: the
    /// `Host` header is the client's to choose.
    pub fn public_origin(mut self, origin: &str) -> Self {
        self.origin = Some(origin.to_owned());
        self
    }

    /// Takes each request's origin from the request itself: `https` when the
    /// request came over HTTPS (TLS on this listener, or a trusted proxy's
    /// `X-Forwarded-Proto`, as the perimeter decided), the host from the
    /// request target or the one `Host` header. Insecure: the host is the
    /// client's to choose, so a proof made for another server that shares
    /// this server's tokens and replay store passes here too. For a server
    /// reached under several names.
    pub fn origin_from_host_header_insecure(mut self) -> Self {
        self.origin_from_host = true;
        self
    }

    /// The algorithms a proof may be signed with (default: every asymmetric
    /// one, RS256 to EdDSA). HS* is refused: a proof's key is public.
    pub fn allow_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// How old a proof's `iat` may be (default 300 s; 1 s to 1 hour).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// How far ahead a client's clock may run (default 30 s; at most 300 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The policy.
    pub fn build(self) -> Result<DpopPolicy, DpopConfigError> {
        let origin = match (self.origin, self.origin_from_host) {
            (Some(_), true) => return Err(DpopConfigError::TwoOrigins),
            (None, false) => return Err(DpopConfigError::NoOrigin),
            (None, true) => None,
            (Some(origin), false) => Some(
                Origin::configured(&origin)
                    .map_err(|reason| DpopConfigError::Origin { origin, reason })?,
            ),
        };
        let algorithms = self.algorithms.unwrap_or_else(asymmetric);
        if algorithms.is_empty() {
            return Err(DpopConfigError::Algorithms("no algorithm is allowed"));
        }
        if algorithms.iter().any(|a| a.family() == Family::Hmac) {
            return Err(DpopConfigError::Algorithms(
                "HS* cannot sign a DPoP proof: its key is in the proof",
            ));
        }
        if self.max_age < Duration::from_secs(1) || self.max_age > MAX_MAX_AGE {
            return Err(DpopConfigError::InvalidValue("max_age (1 s to 1 hour)"));
        }
        if self.clock_skew > MAX_CLOCK_SKEW {
            return Err(DpopConfigError::InvalidValue("clock_skew (at most 300 s)"));
        }
        let challenges = Arc::new(Challenges::new(&algorithms, None));
        Ok(DpopPolicy {
            inner: Arc::new(Inner {
                store: self.store,
                origin,
                algorithms,
                max_age: crate::verifier::seconds(self.max_age),
                clock_skew: crate::verifier::seconds(self.clock_skew),
                clock: self.clock,
                store_log: LogThrottle::new(Duration::from_secs(10)),
            }),
            challenges,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpop::MemoryNonceStore;

    fn builder() -> DpopPolicyBuilder {
        DpopPolicy::builder(MemoryNonceStore::new())
    }

    #[test]
    fn settings_are_checked_when_built() {
        assert!(matches!(builder().build(), Err(DpopConfigError::NoOrigin)));
        assert!(matches!(
            builder()
                .public_origin("https://a.example")
                .origin_from_host_header_insecure()
                .build(),
            Err(DpopConfigError::TwoOrigins)
        ));
        let err = builder()
            .public_origin("https://a.example/v1")
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid public origin \"https://a.example/v1\": an origin has no path, query or fragment"
        );
        let origin = || builder().public_origin("https://a.example");
        assert!(origin().allow_algorithms([]).build().is_err());
        assert!(
            origin()
                .allow_algorithms([Algorithm::ES256, Algorithm::HS256])
                .build()
                .is_err()
        );
        assert!(origin().max_age(Duration::ZERO).build().is_err());
        assert!(origin().max_age(Duration::from_secs(3601)).build().is_err());
        assert!(
            origin()
                .clock_skew(Duration::from_secs(301))
                .build()
                .is_err()
        );
        let policy = origin().build().unwrap();
        assert_eq!(policy.algorithms().len(), 9);
        assert!(builder().origin_from_host_header_insecure().build().is_ok());
    }

    #[test]
    fn challenges_are_made_once_with_the_realm() {
        let policy = builder()
            .public_origin("https://a.example")
            .allow_algorithms([Algorithm::ES256, Algorithm::EdDSA])
            .build()
            .unwrap()
            .for_realm(Some("api"));
        let c = &policy.challenges;
        assert_eq!(c.bare, "DPoP realm=\"api\", algs=\"ES256 EdDSA\"");
        assert_eq!(
            c.proof,
            "DPoP realm=\"api\", error=\"invalid_dpop_proof\", algs=\"ES256 EdDSA\""
        );
        assert_eq!(
            c.dpop_of_bearer(&HeaderValue::from_static(
                "Bearer realm=\"api\", error=\"invalid_token\""
            )),
            "DPoP realm=\"api\", error=\"invalid_token\", algs=\"ES256 EdDSA\""
        );
        assert_eq!(
            c.dpop_of_bearer(&HeaderValue::from_static("Bearer")),
            c.bare
        );
    }
}
