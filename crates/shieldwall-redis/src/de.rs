//! [`RedisConfig`] from a configuration file (serde `Deserialize`), through
//! the same constructor and setters as in code.
//!
//! Either the URL alone, `"redis://127.0.0.1:6379/0"`, or a table with `url`
//! or `cluster_nodes` (a list of seed node URLs: a Redis Cluster), `key_prefix`, `command_timeout_ms`, `connect_timeout_ms`,
//! `pool_size`, `breaker_threshold` and `breaker_cooldown_ms`. Durations are
//! whole milliseconds. No error repeats the URL: it may hold a password.

use std::fmt;
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor, value::MapAccessDeserializer};

use crate::{RedisConfig, RedisConfigError};

/// The URL, read without ever quoting it in an error.
struct Url(String);

impl<'de> Deserialize<'de> for Url {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;

        impl Visitor<'_> for Text {
            type Value = Url;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a redis:// URL")
            }

            fn visit_str<E: de::Error>(self, url: &str) -> Result<Url, E> {
                Ok(Url(url.to_owned()))
            }
        }

        deserializer.deserialize_str(Text)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedis {
    #[serde(default)]
    url: Option<Url>,
    #[serde(default)]
    cluster_nodes: Option<Vec<Url>>,
    #[serde(default)]
    key_prefix: Option<String>,
    #[serde(default)]
    command_timeout_ms: Option<u64>,
    #[serde(default)]
    connect_timeout_ms: Option<u64>,
    #[serde(default)]
    pool_size: Option<NonZeroUsize>,
    #[serde(default)]
    breaker_threshold: Option<NonZeroU32>,
    #[serde(default)]
    breaker_cooldown_ms: Option<u64>,
}

/// Names the field a setter refused.
fn at(field: &'static str) -> impl Fn(RedisConfigError) -> String {
    move |e| format!("{field}: {e}")
}

impl TryFrom<RawRedis> for RedisConfig {
    type Error = String;

    fn try_from(raw: RawRedis) -> Result<Self, String> {
        let mut config = match (raw.url, raw.cluster_nodes) {
            (Some(url), None) => RedisConfig::new(&url.0).map_err(at("url"))?,
            (None, Some(nodes)) => RedisConfig::cluster(nodes.iter().map(|n| n.0.as_str()))
                .map_err(at("cluster_nodes"))?,
            (Some(_), Some(_)) => return Err("set `url` or `cluster_nodes`, not both".to_owned()),
            (None, None) => return Err("missing field `url` (or `cluster_nodes`)".to_owned()),
        };
        if let Some(prefix) = raw.key_prefix {
            config = config.key_prefix(&prefix).map_err(at("key_prefix"))?;
        }
        if let Some(ms) = raw.command_timeout_ms {
            config = config
                .command_timeout(Duration::from_millis(ms))
                .map_err(at("command_timeout_ms"))?;
        }
        if let Some(ms) = raw.connect_timeout_ms {
            config = config
                .connect_timeout(Duration::from_millis(ms))
                .map_err(at("connect_timeout_ms"))?;
        }
        if let Some(size) = raw.pool_size {
            config = config.pool_size(size).map_err(at("pool_size"))?;
        }
        if let Some(failures) = raw.breaker_threshold {
            config = config.breaker_threshold(failures);
        }
        if let Some(ms) = raw.breaker_cooldown_ms {
            config = config
                .breaker_cooldown(Duration::from_millis(ms))
                .map_err(at("breaker_cooldown_ms"))?;
        }
        Ok(config)
    }
}

impl<'de> Deserialize<'de> for RedisConfig {
    /// The URL alone, or a table (see the module's documentation).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;

        impl<'de> Visitor<'de> for Either {
            type Value = RedisConfig;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a redis:// URL or a table with `url` or `cluster_nodes`")
            }

            fn visit_str<E: de::Error>(self, url: &str) -> Result<RedisConfig, E> {
                RedisConfig::new(url).map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RedisConfig, A::Error> {
                RawRedis::deserialize(MapAccessDeserializer::new(map))?
                    .try_into()
                    .map_err(de::Error::custom)
            }
        }

        deserializer.deserialize_any(Either)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        redis: RedisConfig,
    }

    fn parse(text: &str) -> Result<RedisConfig, String> {
        toml::from_str::<File>(text)
            .map(|f| f.redis)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_url_or_a_table_builds_what_the_setters_build() {
        let url = parse("redis = \"redis://127.0.0.1:6379/0\"").unwrap();
        let built = RedisConfig::new("redis://127.0.0.1:6379/0").unwrap();
        assert_eq!(format!("{url:?}"), format!("{built:?}"));
        let table = parse(
            r#"
            [redis]
            url = "redis://:pw@127.0.0.1:6379/0"
            key_prefix = "myapp"
            command_timeout_ms = 250
            connect_timeout_ms = 1000
            pool_size = 4
            breaker_threshold = 3
            breaker_cooldown_ms = 5000
            "#,
        )
        .unwrap();
        let built = RedisConfig::new("redis://:pw@127.0.0.1:6379/0")
            .and_then(|c| c.key_prefix("myapp"))
            .and_then(|c| c.command_timeout(Duration::from_millis(250)))
            .and_then(|c| c.connect_timeout(Duration::from_secs(1)))
            .and_then(|c| c.pool_size(NonZeroUsize::new(4).unwrap()))
            .map(|c| c.breaker_threshold(NonZeroU32::new(3).unwrap()))
            .and_then(|c| c.breaker_cooldown(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(format!("{table:?}"), format!("{built:?}"));
        assert!(table.target == built.target);
    }

    #[test]
    fn bad_values_name_the_field_and_never_the_url() {
        let secret = "s3cret-passw0rd";
        let url = format!("[redis]\nurl = \"redis://:{secret}@x\"\n");
        for (text, field, needle) in [
            (
                format!("redis = \"http://:{secret}@x\""),
                "redis",
                "the Redis URL is invalid",
            ),
            (
                format!("[redis]\nurl = \"nope://:{secret}@x\""),
                "url",
                "url: the Redis URL is invalid",
            ),
            (
                format!("{url}key_prefix = \"a b\""),
                "key_prefix",
                "key_prefix: the key prefix",
            ),
            (
                format!("{url}command_timeout_ms = 0"),
                "command_timeout_ms",
                "command_timeout_ms: command timeout must be greater than zero",
            ),
            (
                format!("{url}breaker_cooldown_ms = 600000"),
                "breaker_cooldown_ms",
                "breaker_cooldown_ms: the circuit breaker cool-down must be at most 5 minutes",
            ),
            (format!("{url}pool_size = 0"), "pool_size", "nonzero"),
            (
                format!("{url}timeout = 1"),
                "timeout",
                "unknown field `timeout`",
            ),
            (
                format!("{url}connect_timeout_ms = \"1s\""),
                "connect_timeout_ms",
                "invalid type",
            ),
            ("redis = 6379".to_owned(), "redis", "invalid type"),
            (
                "[redis]\nkey_prefix = \"x\"".to_owned(),
                "url",
                "missing field `url`",
            ),
        ] {
            let err = toml::from_str::<File>(&text).unwrap_err();
            // The message never holds the URL; toml's rendering around it
            // quotes the line, and with it the field's name.
            assert!(err.message().contains(needle), "{text}: {err}");
            assert!(!err.message().contains(secret), "{err}");
            assert!(parse(&text).unwrap_err().contains(field), "{err}");
        }
    }

    #[test]
    fn a_huge_pool_is_refused_naming_the_field() {
        let error = toml::from_str::<File>(
            "redis = { url = \"redis://127.0.0.1:6379\", pool_size = 9223372036854775807 }",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("pool_size: the pool size must be at most 1024"),
            "{error}"
        );
    }
}
