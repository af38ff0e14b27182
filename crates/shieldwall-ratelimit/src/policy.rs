//! `Policy`: a named quota, algorithm, key, cost, failure mode and skip rule.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;

use shieldwall_core::IpGrouping;

use crate::{Algorithm, KeyFn, KeyStrategy, Quota, RateLimitConfigError};

/// What a limit does when its store cannot answer.
///
/// Parses from its name, `closed`, `open` or `memory`, in any case (for a
/// setting read from the environment or a file):
///
/// ```
/// use shieldwall_ratelimit::FailureMode;
///
/// assert_eq!("memory".parse::<FailureMode>()?, FailureMode::Memory);
/// assert_eq!("Closed".parse::<FailureMode>()?, FailureMode::Closed);
/// assert_eq!(FailureMode::Open.to_string(), "open");
/// let refused = "later".parse::<FailureMode>().unwrap_err();
/// assert_eq!(refused.to_string(), "`later` is not a failure mode (closed, open or memory)");
/// # Ok::<(), shieldwall_ratelimit::RateLimitConfigError>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailureMode {
    /// Refuse with 503 `SERVICE_UNAVAILABLE` and `Retry-After`. The default.
    #[default]
    Closed,
    /// Let requests through uncounted (logged once per interval).
    Open,
    /// Count in this process's memory with the same quota.
    Memory,
}

impl FailureMode {
    /// The name: `closed`, `open` or `memory`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::Memory => "memory",
        }
    }
}

impl fmt::Display for FailureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureMode {
    type Err = RateLimitConfigError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [Self::Closed, Self::Open, Self::Memory]
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| RateLimitConfigError::FailureMode(name.to_owned()))
    }
}

/// Which responses give their count back.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Responses below 400 do not count (limit failures, e.g. failed logins).
    SuccessfulResponses,
    /// Responses of 400 and above do not count.
    FailedResponses,
}

/// A named rate limit.
///
/// ```
/// use shieldwall_ratelimit::{Algorithm, FailureMode, Policy};
///
/// let login = Policy::builder("auth", "5/15m".parse()?)
///     .algorithm(Algorithm::FixedWindow)
///     .count_only_failures()
///     .on_store_error(FailureMode::Memory)
///     .build()?;
/// assert_eq!(login.name(), "auth");
/// # Ok::<(), shieldwall_ratelimit::RateLimitConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) name: Arc<str>,
    pub(crate) quota: Quota,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: KeyStrategy,
    pub(crate) cost: NonZeroU32,
    pub(crate) on_store_error: FailureMode,
    pub(crate) skip: Option<Skip>,
    pub(crate) legacy_headers: bool,
}

/// Builds a [`Policy`].
#[must_use]
#[derive(Debug)]
pub struct PolicyBuilder {
    policy: Policy,
}

impl Policy {
    /// A policy named `name` (it appears in the `RateLimit` headers and in
    /// every store key) with `quota`: GCRA, by client address, cost 1, fail closed.
    pub fn builder(name: &str, quota: Quota) -> PolicyBuilder {
        PolicyBuilder {
            policy: Self {
                name: Arc::from(name),
                quota,
                algorithm: Algorithm::Gcra,
                key: KeyStrategy::default(),
                cost: NonZeroU32::MIN,
                on_store_error: FailureMode::Closed,
                skip: None,
                legacy_headers: false,
            },
        }
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The quota.
    #[must_use]
    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The failure mode.
    #[must_use]
    pub fn failure_mode(&self) -> FailureMode {
        self.on_store_error
    }
}

impl PolicyBuilder {
    /// The algorithm (default GCRA).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.policy.algorithm = algorithm;
        self
    }

    /// Counts by client address (the default), grouped as given.
    pub fn by_client_ip(mut self, grouping: IpGrouping) -> Self {
        self.policy.key = KeyStrategy::ClientIp(grouping);
        self
    }

    /// Counts by principal (falling back to the client address).
    pub fn by_principal(mut self) -> Self {
        self.policy.key = KeyStrategy::Principal(IpGrouping::default());
        self
    }

    /// Counts by API key id (falling back to the client address).
    pub fn by_api_key(mut self) -> Self {
        self.policy.key = KeyStrategy::ApiKeyId(IpGrouping::default());
        self
    }

    /// Counts by a header's value (falling back to the client address).
    pub fn by_header(mut self, name: &str) -> Result<Self, RateLimitConfigError> {
        self.policy.key = KeyStrategy::header(name)?;
        Ok(self)
    }

    /// Counts by a function of the request (falling back to the client address).
    pub fn by_key_fn(mut self, function: KeyFn) -> Self {
        self.policy.key = KeyStrategy::Custom(function, IpGrouping::default());
        self
    }

    /// The cost of each request (default 1).
    pub fn cost(mut self, cost: NonZeroU32) -> Self {
        self.policy.cost = cost;
        self
    }

    /// What happens when the store is down (default: closed, 503).
    pub fn on_store_error(mut self, mode: FailureMode) -> Self {
        self.policy.on_store_error = mode;
        self
    }

    /// Counts only responses of 400 and above (for example failed logins):
    /// each request is counted when it arrives and given back if it
    /// succeeded, so concurrent attempts can never exceed the quota.
    pub fn count_only_failures(mut self) -> Self {
        self.policy.skip = Some(Skip::SuccessfulResponses);
        self
    }

    /// Counts only responses below 400.
    pub fn count_only_successes(mut self) -> Self {
        self.policy.skip = Some(Skip::FailedResponses);
        self
    }

    /// Also sends `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
    pub fn legacy_headers(mut self) -> Self {
        self.policy.legacy_headers = true;
        self
    }

    /// The policy, checked.
    pub fn build(self) -> Result<Policy, RateLimitConfigError> {
        let policy = self.policy;
        let name_ok = !policy.name.is_empty()
            && policy.name.len() <= 32
            && policy
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(RateLimitConfigError::Name);
        }
        if policy.cost > policy.quota.count() || policy.cost > policy.quota.burst() {
            return Err(RateLimitConfigError::Cost);
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_checked_when_built() {
        let q: Quota = "10/1m".parse().unwrap();
        assert!(Policy::builder("public", q).build().is_ok());
        for bad in ["", "Public", "has space", "a:b", &"x".repeat(33)] {
            assert_eq!(
                Policy::builder(bad, q).build().unwrap_err(),
                RateLimitConfigError::Name,
                "{bad}"
            );
        }
        assert_eq!(
            Policy::builder("p", q)
                .cost(NonZeroU32::new(11).unwrap())
                .build()
                .unwrap_err(),
            RateLimitConfigError::Cost
        );
        assert!(Policy::builder("p", q).by_header("bad header").is_err());
    }

    #[test]
    fn failure_modes_parse_from_their_names_in_any_case() {
        for (name, mode) in [
            ("closed", FailureMode::Closed),
            ("OPEN", FailureMode::Open),
            ("Memory", FailureMode::Memory),
        ] {
            assert_eq!(name.parse::<FailureMode>(), Ok(mode));
            assert_eq!(mode.to_string().parse::<FailureMode>(), Ok(mode));
        }
        for bad in ["", "close", "memory ", "fallback"] {
            assert_eq!(
                bad.parse::<FailureMode>(),
                Err(RateLimitConfigError::FailureMode(bad.to_owned()))
            );
        }
    }
}
