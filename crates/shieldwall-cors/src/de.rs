//! [`CorsPolicy`] from a configuration file (serde `Deserialize`), built by
//! [`CorsPolicy::builder`] and checked by [`CorsPolicyBuilder::build`]: a
//! file can never make a policy the builder refuses.
//!
//! A table of `origins`, `subdomains_of`, `methods`, `allow_headers`,
//! `expose_headers` (lists of strings), `credentials`,
//! `allow_any_origin_insecure`, `allow_null_origin_insecure`,
//! `allow_private_network` (booleans, default false) and `max_age_secs`
//! (whole seconds, at most 86400).

use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::{CorsConfigError, CorsPolicy, CorsPolicyBuilder};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCors {
    #[serde(default)]
    origins: Vec<String>,
    #[serde(default)]
    subdomains_of: Vec<String>,
    #[serde(default)]
    allow_any_origin_insecure: bool,
    #[serde(default)]
    allow_null_origin_insecure: bool,
    #[serde(default)]
    methods: Option<Vec<String>>,
    #[serde(default)]
    allow_headers: Vec<String>,
    #[serde(default)]
    expose_headers: Vec<String>,
    #[serde(default)]
    credentials: bool,
    #[serde(default)]
    max_age_secs: Option<u64>,
    #[serde(default)]
    allow_private_network: bool,
}

impl RawCors {
    fn builder(self) -> CorsPolicyBuilder {
        let mut builder = CorsPolicy::builder()
            .allow_origins(self.origins)
            .allow_headers(self.allow_headers)
            .expose_headers(self.expose_headers);
        for parent in &self.subdomains_of {
            builder = builder.allow_subdomains_of(parent);
        }
        if self.allow_any_origin_insecure {
            builder = builder.allow_any_origin_insecure();
        }
        if self.allow_null_origin_insecure {
            builder = builder.allow_null_origin_insecure();
        }
        if let Some(methods) = self.methods {
            builder = builder.allow_methods(methods);
        }
        if self.credentials {
            builder = builder.allow_credentials();
        }
        if let Some(secs) = self.max_age_secs {
            builder = builder.max_age(Duration::from_secs(secs));
        }
        if self.allow_private_network {
            builder = builder.allow_private_network();
        }
        builder
    }
}

/// The field a build error is about. (An origin names itself; a bad
/// subdomain parent is reported as an origin too.)
fn field_of(error: &CorsConfigError) -> &'static str {
    match error {
        CorsConfigError::InvalidOrigin { .. } | CorsConfigError::NoOrigin => "origins",
        CorsConfigError::InvalidMethod(_) => "methods",
        CorsConfigError::InvalidHeader(_) => "allow_headers or expose_headers",
        CorsConfigError::AnyOriginWithCredentials => "credentials",
        CorsConfigError::Wildcard(_) => "origins, methods or headers",
        CorsConfigError::MaxAge(_) => "max_age_secs",
    }
}

impl<'de> Deserialize<'de> for CorsPolicy {
    /// A table (see the module's documentation), checked when built.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawCors::deserialize(deserializer)?
            .builder()
            .build()
            .map_err(|e| de::Error::custom(format_args!("{}: {e}", field_of(&e))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[allow(dead_code)]
        cors: CorsPolicy,
    }

    fn parse(body: &str) -> Result<CorsPolicy, String> {
        toml::from_str::<File>(&format!("[cors]\n{body}\n"))
            .map(|f| f.cors)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_table_builds_what_the_builder_builds() {
        let from_file = parse(
            r#"
            origins = ["https://myapp.com", "https://admin.myapp.com"]
            subdomains_of = ["https://tenants.myapp.com"]
            methods = ["GET", "POST"]
            allow_headers = ["Content-Type", "Authorization"]
            expose_headers = ["X-Request-Id"]
            credentials = true
            max_age_secs = 600
            allow_private_network = true
            "#,
        )
        .unwrap();
        let built = CorsPolicy::builder()
            .allow_origins(["https://myapp.com", "https://admin.myapp.com"])
            .allow_subdomains_of("https://tenants.myapp.com")
            .allow_methods(["GET", "POST"])
            .allow_headers(["Content-Type", "Authorization"])
            .expose_headers(["X-Request-Id"])
            .allow_credentials()
            .max_age(Duration::from_secs(600))
            .allow_private_network()
            .build()
            .unwrap();
        assert_eq!(format!("{from_file:?}"), format!("{built:?}"));
        assert!(from_file.allows_origin("https://a.tenants.myapp.com"));
        let any = parse("allow_any_origin_insecure = true").unwrap();
        assert!(any.allows_origin("https://anyone.example"));
    }

    #[test]
    fn what_the_builder_refuses_the_file_cannot_hold() {
        for (body, needle) in [
            ("origins = []", "origins: no origin is allowed"),
            ("origins = [\"https://myapp.com/\"]", "origins: origin"),
            ("origins = [\"*\"]", "is not accepted here"),
            (
                "allow_any_origin_insecure = true\ncredentials = true",
                "credentials: any origin together with credentials is refused",
            ),
            (
                "origins = [\"https://a.com\"]\nmax_age_secs = 90000",
                "max_age_secs: max age 90000 s",
            ),
            (
                "origins = [\"https://a.com\"]\nmethods = [\"GE T\"]",
                "methods: method",
            ),
            (
                "origins = [\"https://a.com\"]\nallow_headers = [\"a b\"]",
                "allow_headers or expose_headers: header",
            ),
            (
                "origins = [\"https://a.com\"]\norigin = []",
                "unknown field `origin`",
            ),
            ("origins = \"https://a.com\"", "invalid type: string"),
            (
                "origins = [\"https://a.com\"]\ncredentials = 1",
                "invalid type: integer",
            ),
            (
                "origins = [\"https://a.com\"]\nmax_age_secs = -1",
                "invalid value",
            ),
        ] {
            let err = parse(body).unwrap_err();
            assert!(err.contains(needle), "{body}: {err}");
        }
    }
}
