//! [`SecurityHeaders`] from a configuration file (serde `Deserialize`): the
//! preset, then the same setters as in code, checked by
//! [`SecurityHeadersBuilder::build`].
//!
//! A table of `preset` (`"json_api"`, the only one and the default),
//! `require_https`, `no_store_under` (a path prefix) or `no_cache_control`,
//! `hsts` (default true), `hsts_max_age_secs` (whole seconds),
//! `hsts_include_subdomains`, `hsts_preload`, `headers` (a table of header
//! names to values, set or replaced) and `without` (header names dropped).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::{HeadersConfigError, SecurityHeaders, SecurityHeadersBuilder};

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Preset {
    #[default]
    JsonApi,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeaders {
    #[serde(default)]
    preset: Preset,
    #[serde(default)]
    require_https: bool,
    #[serde(default)]
    no_store_under: Option<String>,
    #[serde(default)]
    no_cache_control: bool,
    #[serde(default)]
    hsts: Option<bool>,
    #[serde(default)]
    hsts_max_age_secs: Option<u64>,
    #[serde(default)]
    hsts_include_subdomains: Option<bool>,
    #[serde(default)]
    hsts_preload: bool,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    without: Vec<String>,
}

impl TryFrom<RawHeaders> for SecurityHeadersBuilder {
    type Error = String;

    fn try_from(raw: RawHeaders) -> Result<Self, String> {
        let mut builder = match raw.preset {
            Preset::JsonApi => SecurityHeaders::json_api(),
        };
        builder = builder.https_required(raw.require_https);
        match (raw.no_store_under, raw.no_cache_control) {
            (Some(_), true) => {
                return Err("no_store_under: give it or no_cache_control, not both".to_owned());
            }
            (Some(prefix), false) => builder = builder.no_store_under(&prefix),
            (None, true) => builder = builder.no_cache_control(),
            (None, false) => {}
        }
        if raw.hsts == Some(false) {
            if raw.hsts_max_age_secs.is_some()
                || raw.hsts_include_subdomains.is_some()
                || raw.hsts_preload
            {
                return Err("hsts: the hsts_* settings have no effect with hsts = false".to_owned());
            }
            builder = builder.without_hsts();
        }
        if let Some(secs) = raw.hsts_max_age_secs {
            builder = builder.hsts_max_age(std::time::Duration::from_secs(secs));
        }
        if let Some(include) = raw.hsts_include_subdomains {
            builder = builder.hsts_include_subdomains(include);
        }
        if raw.hsts_preload {
            builder = builder.hsts_preload();
        }
        for name in &raw.without {
            builder = builder.without(name);
        }
        for (name, value) in &raw.headers {
            builder = builder.header(name, value);
        }
        Ok(builder)
    }
}

/// The field a build error is about.
fn field_of(error: &HeadersConfigError) -> &'static str {
    match error {
        HeadersConfigError::HstsMaxAge(_) => "hsts_max_age_secs",
        HeadersConfigError::Preload => "hsts_preload",
        HeadersConfigError::PathPrefix(_) => "no_store_under",
        _ => "headers",
    }
}

impl<'de> Deserialize<'de> for SecurityHeaders {
    /// A table (see the module's documentation), checked when built.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let builder = SecurityHeadersBuilder::try_from(RawHeaders::deserialize(deserializer)?)
            .map_err(de::Error::custom)?;
        builder
            .build()
            .map_err(|e| de::Error::custom(format_args!("{}: {e}", field_of(&e))))
    }
}

#[cfg(test)]
mod tests {
    use shieldwall_core::ResponseHeaderPolicy;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        headers: SecurityHeaders,
    }

    fn parse(body: &str) -> Result<SecurityHeaders, String> {
        toml::from_str::<File>(&format!("[headers]\n{body}\n"))
            .map(|f| f.headers)
            .map_err(|e| e.to_string())
    }

    fn same(a: &SecurityHeaders, b: &SecurityHeaders) {
        for path in ["/api/x", "/health"] {
            for https in [false, true] {
                assert_eq!(a.headers_for(path, https), b.headers_for(path, https));
            }
        }
        assert_eq!(a.requires_https(), b.requires_https());
    }

    #[test]
    fn a_table_builds_what_the_builder_builds() {
        same(
            &parse("").unwrap(),
            &SecurityHeaders::json_api().build().unwrap(),
        );
        let from_file = parse(
            r#"
            preset = "json_api"
            require_https = true
            no_store_under = "/v2"
            hsts_max_age_secs = 63072000
            hsts_preload = true
            without = ["x-frame-options"]
            headers = { content-security-policy = "default-src 'self'" }
            "#,
        )
        .unwrap();
        let built = SecurityHeaders::json_api()
            .require_https()
            .no_store_under("/v2")
            .hsts_max_age(std::time::Duration::from_secs(63_072_000))
            .hsts_preload()
            .without("X-Frame-Options")
            .header("Content-Security-Policy", "default-src 'self'")
            .build()
            .unwrap();
        same(&from_file, &built);
        let plain = parse("hsts = false\nno_cache_control = true").unwrap();
        same(
            &plain,
            &SecurityHeaders::json_api()
                .without_hsts()
                .no_cache_control()
                .build()
                .unwrap(),
        );
    }

    #[test]
    fn what_the_builder_refuses_the_file_cannot_hold() {
        for (body, needle) in [
            (
                "hsts_max_age_secs = 60",
                "hsts_max_age_secs: HSTS max-age 60 s",
            ),
            (
                "hsts_preload = true\nhsts_include_subdomains = false",
                "hsts_preload: HSTS preload",
            ),
            ("no_store_under = \"api\"", "no_store_under: path prefix"),
            (
                "no_store_under = \"/api\"\nno_cache_control = true",
                "no_store_under: give it",
            ),
            (
                "hsts = false\nhsts_preload = true",
                "hsts: the hsts_* settings",
            ),
            ("headers = { \"bad name\" = \"x\" }", "headers: header"),
            ("preset = \"html\"", "unknown variant `html`"),
            ("hsts_max_age = 86400", "unknown field `hsts_max_age`"),
            ("require_https = \"yes\"", "invalid type: string"),
        ] {
            let err = parse(body).unwrap_err();
            assert!(err.contains(needle), "{body}: {err}");
        }
    }
}
