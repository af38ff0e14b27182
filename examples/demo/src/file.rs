//! `SHIELDWALL_CONFIG`: a TOML file holding any of the variables of
//! DEMO_API.md under a lower-case key (`docs/CONFIG.md` lists them). Read
//! once at start; an unreadable file, a syntax error or an unknown key stops
//! start-up with one line naming the file and what is wrong, never quoting a
//! value.

use std::path::Path;

use toml::{Table, Value};

use crate::env::EnvError;

/// The variable naming the file.
pub(crate) const CONFIG_VAR: &str = "SHIELDWALL_CONFIG";

/// Each key of the file, with the variable it stands for. A variable that
/// is set (and not empty) overrides its key.
pub(crate) const KEYS: [(&str, &str); 24] = [
    ("addr", "SHIELDWALL_ADDR"),
    ("redis_url", "REDIS_URL"),
    ("jwt_secret", "SHIELDWALL_JWT_SECRET"),
    ("jwt_issuer", "SHIELDWALL_JWT_ISSUER"),
    ("jwt_audience", "SHIELDWALL_JWT_AUDIENCE"),
    ("jwt_ttl_secs", "SHIELDWALL_JWT_TTL_SECS"),
    ("jwt_leeway_secs", "SHIELDWALL_JWT_LEEWAY_SECS"),
    ("demo_users", "SHIELDWALL_DEMO_USERS"),
    ("signing_keys", "SHIELDWALL_SIGNING_KEYS"),
    ("limit_public", "SHIELDWALL_LIMIT_PUBLIC"),
    ("limit_auth", "SHIELDWALL_LIMIT_AUTH"),
    ("limit_user", "SHIELDWALL_LIMIT_USER"),
    ("trusted_proxies", "SHIELDWALL_TRUSTED_PROXIES"),
    ("cors_origins", "SHIELDWALL_CORS_ORIGINS"),
    ("require_https", "SHIELDWALL_REQUIRE_HTTPS"),
    ("tls_cert", "SHIELDWALL_TLS_CERT"),
    ("tls_key", "SHIELDWALL_TLS_KEY"),
    ("audit", "SHIELDWALL_AUDIT"),
    (
        "rate_limit_on_store_error",
        "SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR",
    ),
    ("oidc_issuer", "SHIELDWALL_OIDC_ISSUER"),
    ("introspection_url", "SHIELDWALL_INTROSPECTION_URL"),
    ("introspection_client", "SHIELDWALL_INTROSPECTION_CLIENT"),
    ("redis_cluster_nodes", "REDIS_CLUSTER_NODES"),
    ("metrics_addr", "SHIELDWALL_METRICS_ADDR"),
];

/// The file's key for `var`.
pub(crate) fn key_of(var: &str) -> Option<&'static str> {
    KEYS.iter().find(|(_, v)| *v == var).map(|(key, _)| *key)
}

/// A configuration file, read and checked for unknown keys.
#[derive(Debug)]
pub(crate) struct ConfigFile {
    /// The path as `SHIELDWALL_CONFIG` gave it, for messages.
    path: String,
    table: Table,
}

impl ConfigFile {
    /// Reads and parses the file at `path`.
    pub(crate) fn load(path: &str) -> Result<Self, EnvError> {
        let text = std::fs::read_to_string(Path::new(path))
            .map_err(|e| file_error(path, None, format!("cannot read the file: {e}")))?;
        Self::parse(path, &text)
    }

    /// Parses `text`, read from `path`.
    pub(crate) fn parse(path: &str, text: &str) -> Result<Self, EnvError> {
        let table: Table = toml::from_str(text).map_err(|e| {
            // The message and a position only: toml's own rendering quotes
            // the line, which may hold a secret.
            let at = e
                .span()
                .map(|span| position(text, span.start))
                .unwrap_or_default();
            let message = unquoted(&e.message().lines().collect::<Vec<_>>().join("; "));
            file_error(path, None, format!("not valid TOML{at}: {message}"))
        })?;
        if let Some(unknown) = table.keys().find(|k| key_named(k).is_none()) {
            let shown: String = unknown.chars().take(64).collect();
            return Err(file_error(
                path,
                None,
                format!(
                    "unknown key `{}` (docs/CONFIG.md lists the keys)",
                    shown.escape_debug()
                ),
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            table,
        })
    }

    /// The value of the key standing for `var`.
    pub(crate) fn value(&self, var: &str) -> Option<&Value> {
        key_of(var).and_then(|key| self.table.get(key))
    }

    /// An error about the key standing for `var`.
    pub(crate) fn error(&self, var: &str, problem: impl Into<String>) -> EnvError {
        file_error(&self.path, key_of(var), problem.into())
    }
}

fn key_named(key: &str) -> Option<&'static str> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(k, _)| *k)
}

fn file_error(path: &str, key: Option<&'static str>, problem: String) -> EnvError {
    EnvError {
        var: CONFIG_VAR,
        file: Some(path.to_owned()),
        key,
        problem,
    }
}

/// `message` with every `` `quoted` `` span (toml quotes the value it
/// could not read, which may be a secret) replaced by `(a value)`, and no
/// control characters.
fn unquoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (index, part) in message.split('`').enumerate() {
        if index % 2 == 0 {
            out.extend(part.chars().filter(|c| !c.is_control()));
        } else {
            out.push_str("(a value)");
        }
    }
    out
}

/// `" at line L, column C"` of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    format!(" at line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_its_variable_in_lower_case() {
        for (key, var) in KEYS {
            let plain = var.strip_prefix("SHIELDWALL_").unwrap_or(var);
            assert_eq!(key, plain.to_ascii_lowercase(), "{var}");
        }
    }

    #[test]
    fn a_value_toml_cannot_read_is_never_quoted() {
        let error = ConfigFile::parse("x.toml", "jwt_secret = 123456789012345678901234567890123\n")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("1234567890"), "{error}");
        assert!(error.contains("(a value)"), "{error}");
        assert_eq!(unquoted("a `b` c `d`"), "a (a value) c (a value)");
    }

    #[test]
    fn unknown_keys_and_bad_syntax_name_the_file_and_never_a_value() {
        let err = ConfigFile::parse("x.toml", "limit_publik = \"1/1m\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "SHIELDWALL_CONFIG (x.toml): unknown key `limit_publik` (docs/CONFIG.md lists the keys)"
        );
        let nested = ConfigFile::parse("x.toml", "[jwt]\nsecret = \"hunter2\"").unwrap_err();
        assert!(nested.to_string().contains("unknown key `jwt`"), "{nested}");
        let syntax = ConfigFile::parse(
            "x.toml",
            "addr = \"1.2.3.4:80\"\njwt_secret = hunter2hunter2\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            syntax.starts_with("SHIELDWALL_CONFIG (x.toml): not valid TOML at line 2"),
            "{syntax}"
        );
        assert!(
            !syntax.contains("hunter2") && !syntax.contains('\n'),
            "{syntax}"
        );
        let twice = ConfigFile::parse("x.toml", "addr = \"a\"\naddr = \"b\"\n").unwrap_err();
        assert!(twice.to_string().contains("line 2"), "{twice}");
    }
}
