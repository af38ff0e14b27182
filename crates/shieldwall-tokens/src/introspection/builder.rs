//! `IntrospectorBuilder`: every setting of an [`Introspector`], checked by
//! [`IntrospectorBuilder::build`].

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use shieldwall_core::{Clock, LogThrottle, Secret, SystemClock};

use super::answer::Rules;
use super::breaker::Breaker;
use super::cache::AnswerCache;
use super::request::Endpoint;
use super::{Inner, IntrospectionError, Introspector};

/// The longest client id, issuer or audience taken, in bytes.
const MAX_TEXT: usize = 256;
/// The longest a cache entry may live.
const MAX_CACHE_TTL: Duration = Duration::from_secs(3600);
/// The longest circuit breaker cool-down.
const MAX_COOLDOWN: Duration = Duration::from_secs(300);

const DEFAULT_THRESHOLD: NonZeroU32 = match NonZeroU32::new(5) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// Builds an [`Introspector`]. Defaults: 2 s per call, answers cached up to
/// 60 s (refusals 10 s), 10 000 entries, a breaker that opens after 5
/// failures in a row for 2 s, `sub` required, no issuer or audience check.
#[must_use]
pub struct IntrospectorBuilder {
    url: String,
    client_id: String,
    client_secret: Secret,
    issuer: Option<String>,
    audience: Option<String>,
    allow_missing: bool,
    require_sub: bool,
    timeout: Duration,
    cache_ttl: Duration,
    negative_ttl: Duration,
    cache_capacity: usize,
    breaker_threshold: NonZeroU32,
    breaker_cooldown: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for IntrospectorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectorBuilder")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn check_text(value: &str, what: &'static str) -> Result<(), IntrospectionError> {
    if value.is_empty() || value.len() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(IntrospectionError::InvalidValue(what));
    }
    Ok(())
}

impl IntrospectorBuilder {
    pub(super) fn new(url: &str, client_id: &str, client_secret: Secret) -> Self {
        Self {
            url: url.to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
            issuer: None,
            audience: None,
            allow_missing: false,
            require_sub: true,
            timeout: Duration::from_secs(2),
            cache_ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(10),
            cache_capacity: 10_000,
            breaker_threshold: DEFAULT_THRESHOLD,
            breaker_cooldown: Duration::from_secs(2),
            clock: Arc::new(SystemClock::new()),
        }
    }

    /// Requires an active token's `iss` to be this value exactly.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.issuer = Some(issuer.to_owned());
        self
    }

    /// Requires an active token's `aud` (a string or an array) to hold this
    /// value.
    pub fn audience(mut self, audience: &str) -> Self {
        self.audience = Some(audience.to_owned());
        self
    }

    /// Accepts an active answer that has no `iss` or no `aud` (RFC 7662
    /// makes both optional; some providers write neither); one that has
    /// them must still match [`issuer`](Self::issuer) and
    /// [`audience`](Self::audience). Default: a configured claim is
    /// required.
    pub fn allow_missing_iss_and_aud(mut self) -> Self {
        self.allow_missing = true;
        self
    }

    /// Whether an active token must carry a non-empty `sub` (default true;
    /// without it the principal's id is empty).
    pub fn require_sub(mut self, required: bool) -> Self {
        self.require_sub = required;
        self
    }

    /// How long one call may take, connection included (default 2 s; 1 ms
    /// to 60 s). Slower is a failure: 503.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest an answer is remembered (default 60 s; at most 1 h; zero
    /// turns the cache off). An active token's entry also ends at its `exp`.
    /// This bounds how long a token revoked at the provider is still taken.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// The longest a refusal (not active, or refused by the checks) is
    /// remembered (default 10 s; at most the `cache_ttl`).
    pub fn negative_cache_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = ttl;
        self
    }

    /// How many answers are remembered (default 10 000; 0 turns the cache
    /// off). Each holds at most one 16 KiB answer.
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The circuit breaker: after `threshold` failed calls in a row, every
    /// call fails at once (503, no round trip) for `cooldown` (default 5
    /// and 2 s; the cool-down 1 ms to 5 min), then one call probes.
    pub fn breaker(mut self, threshold: NonZeroU32, cooldown: Duration) -> Self {
        self.breaker_threshold = threshold;
        self.breaker_cooldown = cooldown;
        self
    }

    /// The clock (default: the system clock): `exp` is checked on its wall
    /// time, cache entries and the breaker's cool-down run on its monotonic
    /// time.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The introspector: the URL must be `https://` (`http://` only on a
    /// loopback host: 127.0.0.0/8, `::1`, `localhost`), without user
    /// information or a fragment; the client id, issuer and audience 1 to
    /// 256 bytes without control characters; each duration in its range.
    pub fn build(self) -> Result<Introspector, IntrospectionError> {
        let url = crate::oidc::url::check(&self.url).map_err(IntrospectionError::EndpointUrl)?;
        check_text(
            &self.client_id,
            "client id (1 to 256 bytes, no control characters)",
        )?;
        if let Some(issuer) = &self.issuer {
            check_text(issuer, "issuer (1 to 256 bytes, no control characters)")?;
        }
        if let Some(audience) = &self.audience {
            check_text(audience, "audience (1 to 256 bytes, no control characters)")?;
        }
        if self.timeout < Duration::from_millis(1) || self.timeout > Duration::from_secs(60) {
            return Err(IntrospectionError::InvalidValue("timeout (1 ms to 60 s)"));
        }
        if self.cache_ttl > MAX_CACHE_TTL {
            return Err(IntrospectionError::InvalidValue("cache ttl (at most 1 h)"));
        }
        if self.negative_ttl > self.cache_ttl {
            return Err(IntrospectionError::InvalidValue(
                "negative cache ttl (at most the cache ttl)",
            ));
        }
        if self.breaker_cooldown < Duration::from_millis(1) || self.breaker_cooldown > MAX_COOLDOWN
        {
            return Err(IntrospectionError::InvalidValue(
                "breaker cool-down (1 ms to 5 min)",
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| IntrospectionError::Client(e.to_string()))?;
        let cache = if self.cache_capacity > 0 && !self.cache_ttl.is_zero() {
            // A fresh key per cache: the hashes mean nothing outside this process.
            let key: [u8; 32] = rand::random();
            Some(AnswerCache::new(self.cache_capacity, &key).ok_or(
                IntrospectionError::InvalidValue("cache key (HMAC refused it)"),
            )?)
        } else {
            None
        };
        Ok(Introspector {
            inner: Arc::new(Inner {
                endpoint: Endpoint::new(url, client, &self.client_id, &self.client_secret),
                rules: Rules {
                    issuer: self.issuer,
                    audience: self.audience,
                    allow_missing: self.allow_missing,
                    require_sub: self.require_sub,
                },
                cache,
                cache_ttl: self.cache_ttl,
                negative_ttl: self.negative_ttl,
                breaker: Breaker::new(
                    self.breaker_threshold,
                    self.breaker_cooldown,
                    Arc::clone(&self.clock),
                ),
                clock: self.clock,
                log: LogThrottle::new(Duration::from_secs(10)),
            }),
        })
    }
}
