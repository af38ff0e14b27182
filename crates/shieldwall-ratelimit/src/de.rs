//! Rate-limit settings from configuration files (serde `Deserialize`),
//! through the same parsers and builder as in code: a file can never make
//! what they refuse.
//!
//! - [`Quota`]: `"100/15m"` (the [`FromStr`](std::str::FromStr) form).
//! - [`FailureMode`]: `"closed"`, `"open"` or `"memory"`.
//! - [`Algorithm`]: `"gcra"`, `"sliding_window"` or `"fixed_window"`.
//! - [`KeyStrategy`]: `"client_ip"`, `"principal"`, `"api_key"` or
//!   `{ header = "x-tenant" }`; a key function cannot come from a file.
//! - [`Policy`]: a table of `name` and `quota` (required), `burst`,
//!   `algorithm`, `key`, `ip_grouping` (with the client-address key),
//!   `cost`, `on_store_error`, `count_only` (`"failures"` or `"successes"`)
//!   and `legacy_headers`, built by [`Policy::builder`].

use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use shieldwall_core::IpGrouping;

use crate::{Algorithm, FailureMode, KeyStrategy, Policy, Quota, RateLimitConfigError};

/// A visitor for a value written as text and read by its `FromStr`.
struct FromText<T>(&'static str, PhantomData<T>);

impl<T> Visitor<'_> for FromText<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Quota {
    /// `"N/Ws"`, `"N/Wm"` or `"N/Wh"`, as [`Quota::from_str`] reads it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromText("a quota like \"100/15m\"", PhantomData))
    }
}

impl<'de> Deserialize<'de> for FailureMode {
    /// `"closed"`, `"open"` or `"memory"`, in any case.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromText(
            "a failure mode: \"closed\", \"open\" or \"memory\"",
            PhantomData,
        ))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawAlgorithm {
    Gcra,
    SlidingWindow,
    FixedWindow,
}

impl<'de> Deserialize<'de> for Algorithm {
    /// `"gcra"`, `"sliding_window"` or `"fixed_window"`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match RawAlgorithm::deserialize(deserializer)? {
            RawAlgorithm::Gcra => Self::Gcra,
            RawAlgorithm::SlidingWindow => Self::SlidingWindow,
            RawAlgorithm::FixedWindow => Self::FixedWindow,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RawKey {
    ClientIp,
    Principal,
    ApiKey,
    Header(String),
}

impl<'de> Deserialize<'de> for KeyStrategy {
    /// `"client_ip"`, `"principal"`, `"api_key"` or `{ header = "x-tenant" }`
    /// (checked as [`KeyStrategy::header`] checks it).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let grouping = IpGrouping::default();
        match RawKey::deserialize(deserializer)? {
            RawKey::ClientIp => Ok(Self::ClientIp(grouping)),
            RawKey::Principal => Ok(Self::Principal(grouping)),
            RawKey::ApiKey => Ok(Self::ApiKeyId(grouping)),
            RawKey::Header(name) => Self::header(&name).map_err(de::Error::custom),
        }
    }
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CountOnly {
    Failures,
    Successes,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    quota: Quota,
    #[serde(default)]
    burst: Option<NonZeroU32>,
    #[serde(default)]
    algorithm: Option<Algorithm>,
    #[serde(default)]
    key: Option<KeyStrategy>,
    #[serde(default)]
    ip_grouping: Option<IpGrouping>,
    #[serde(default)]
    cost: Option<NonZeroU32>,
    #[serde(default)]
    on_store_error: Option<FailureMode>,
    #[serde(default)]
    count_only: Option<CountOnly>,
    #[serde(default)]
    legacy_headers: bool,
}

/// The field a builder error is about.
fn field_of(error: &RateLimitConfigError) -> &'static str {
    match error {
        RateLimitConfigError::Name => "name",
        RateLimitConfigError::Cost => "cost",
        RateLimitConfigError::HeaderName(_) => "key",
        _ => "quota",
    }
}

impl TryFrom<RawPolicy> for Policy {
    type Error = String;

    fn try_from(raw: RawPolicy) -> Result<Self, String> {
        let quota = match raw.burst {
            Some(burst) => raw.quota.with_burst(burst),
            None => raw.quota,
        };
        let mut builder = Policy::builder(&raw.name, quota);
        if let Some(algorithm) = raw.algorithm {
            builder = builder.algorithm(algorithm);
        }
        builder = match (raw.key, raw.ip_grouping) {
            (None | Some(KeyStrategy::ClientIp(_)), Some(grouping)) => {
                builder.by_client_ip(grouping)
            }
            (Some(_), Some(_)) => {
                return Err("ip_grouping: applies only with key = \"client_ip\"".to_owned());
            }
            (None, None) => builder,
            (Some(KeyStrategy::ClientIp(grouping)), None) => builder.by_client_ip(grouping),
            (Some(KeyStrategy::Principal(_)), None) => builder.by_principal(),
            (Some(KeyStrategy::ApiKeyId(_)), None) => builder.by_api_key(),
            (Some(KeyStrategy::Header(name, _)), None) => {
                builder.by_header(&name).map_err(|e| format!("key: {e}"))?
            }
            (Some(KeyStrategy::Custom(..)), None) => {
                return Err("key: a key function cannot come from a file".to_owned());
            }
        };
        if let Some(cost) = raw.cost {
            builder = builder.cost(cost);
        }
        if let Some(mode) = raw.on_store_error {
            builder = builder.on_store_error(mode);
        }
        builder = match raw.count_only {
            Some(CountOnly::Failures) => builder.count_only_failures(),
            Some(CountOnly::Successes) => builder.count_only_successes(),
            None => builder,
        };
        if raw.legacy_headers {
            builder = builder.legacy_headers();
        }
        builder
            .build()
            .map_err(|e| format!("{}: {e}", field_of(&e)))
    }
}

impl<'de> Deserialize<'de> for Policy {
    /// A table checked by [`Policy::builder`] and
    /// [`PolicyBuilder::build`](crate::PolicyBuilder::build).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawPolicy::deserialize(deserializer)?
            .try_into()
            .map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Skip;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        limit: Policy,
    }

    fn parse(text: &str) -> Result<Policy, String> {
        toml::from_str::<File>(text)
            .map(|f| f.limit)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_table_builds_what_the_builder_builds() {
        let from_file = parse(
            r#"
            [limit]
            name = "auth"
            quota = "5/15m"
            burst = 7
            algorithm = "fixed_window"
            key = { header = "X-Tenant" }
            cost = 2
            on_store_error = "memory"
            count_only = "failures"
            legacy_headers = true
            "#,
        )
        .unwrap();
        let quota: Quota = "5/15m".parse().unwrap();
        let built = Policy::builder("auth", quota.with_burst(NonZeroU32::new(7).unwrap()))
            .algorithm(Algorithm::FixedWindow)
            .by_header("X-Tenant")
            .unwrap()
            .cost(NonZeroU32::new(2).unwrap())
            .on_store_error(FailureMode::Memory)
            .count_only_failures()
            .legacy_headers()
            .build()
            .unwrap();
        assert_eq!(format!("{from_file:?}"), format!("{built:?}"));
        assert_eq!(from_file.skip, Some(Skip::SuccessfulResponses));
        assert_eq!(from_file.quota.burst().get(), 7);

        let minimal = parse("[limit]\nname = \"public\"\nquota = \"100/15m\"\n").unwrap();
        let default = Policy::builder("public", "100/15m".parse().unwrap())
            .build()
            .unwrap();
        assert_eq!(format!("{minimal:?}"), format!("{default:?}"));
        let grouped =
            parse("[limit]\nname = \"p\"\nquota = \"1/1s\"\nip_grouping = { v6_prefix = 48 }\n")
                .unwrap();
        assert!(
            matches!(grouped.key, KeyStrategy::ClientIp(g) if g == IpGrouping::new(32, 48).unwrap())
        );
        for (key, shown) in [("\"principal\"", "Principal"), ("\"api_key\"", "ApiKeyId")] {
            let p = parse(&format!(
                "[limit]\nname = \"p\"\nquota = \"1/1s\"\nkey = {key}\n"
            ))
            .unwrap();
            assert_eq!(format!("{:?}", p.key), shown);
        }
    }

    #[test]
    fn scalars_read_their_text_forms() {
        #[derive(Deserialize)]
        struct Scalars {
            quota: Quota,
            mode: FailureMode,
            algorithm: Algorithm,
        }
        let s: Scalars =
            toml::from_str("quota = \"60/1h\"\nmode = \"Open\"\nalgorithm = \"sliding_window\"\n")
                .unwrap();
        assert_eq!(s.quota, "60/1h".parse().unwrap());
        assert_eq!(s.mode, FailureMode::Open);
        assert_eq!(s.algorithm, Algorithm::SlidingWindow);
    }

    #[test]
    fn unknown_keys_bad_values_and_wrong_types_name_the_field() {
        let base = "[limit]\nname = \"p\"\nquota = \"10/1m\"\n";
        for (extra, field, needle) in [
            ("colour = \"red\"", "colour", "unknown field `colour`"),
            ("cost = 11", "cost", "cost: the cost must be at most"),
            ("cost = 0", "cost", "nonzero"),
            ("cost = \"1\"", "cost", "invalid type"),
            (
                "algorithm = \"leaky\"",
                "algorithm",
                "unknown variant `leaky`",
            ),
            (
                "on_store_error = \"later\"",
                "on_store_error",
                "`later` is not a failure mode",
            ),
            (
                "key = { header = \"bad header\" }",
                "key",
                "`bad header` is not a valid header name",
            ),
            ("key = \"tenant\"", "key", "unknown variant `tenant`"),
            (
                "key = \"principal\"\nip_grouping = {}",
                "ip_grouping",
                "ip_grouping: applies only",
            ),
            (
                "ip_grouping = { v4_prefix = 40 }",
                "ip_grouping",
                "v4_prefix: prefix length 40",
            ),
            (
                "count_only = \"never\"",
                "count_only",
                "unknown variant `never`",
            ),
            ("legacy_headers = \"yes\"", "legacy_headers", "invalid type"),
        ] {
            let err = parse(&format!("{base}{extra}\n")).unwrap_err();
            assert!(err.contains(field), "{extra}: {err}");
            assert!(err.contains(needle), "{extra}: {err}");
        }
        for (text, needle) in [
            (
                "[limit]\nname = \"Bad Name\"\nquota = \"1/1m\"\n",
                "name: a policy name",
            ),
            (
                "[limit]\nname = \"p\"\nquota = \"0/1m\"\n",
                "`0/1m` is not a quota",
            ),
            (
                "[limit]\nname = \"p\"\nquota = 100\n",
                "invalid type: integer `100`",
            ),
            ("[limit]\nname = \"p\"\n", "missing field `quota`"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
