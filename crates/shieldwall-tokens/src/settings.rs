//! `VerifierSettings`: a verifier's settings from a configuration file
//! (serde `Deserialize`), checked when read by the same checks as
//! [`VerifierBuilder::build`], and applied with [`VerifierBuilder::settings`].

use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use shieldwall_core::Secret;

use crate::claims::Rules;
use crate::compact::DEFAULT_MAX_TOKEN_LEN;
use crate::verifier::{check_settings, seconds};
use crate::{
    Algorithm, KeySet, RevocationStore, SigningKey, TokenConfigError, VerifierBuilder, VerifyingKey,
};

/// A [`Verifier`](crate::Verifier)'s settings, read from a configuration
/// file. What a file leaves out keeps the builder's default.
///
/// | key | type | default |
/// |---|---|---|
/// | `issuers` | list of strings: `iss` must be one of them | not checked |
/// | `audiences` | list of strings: `aud` must hold one of them | not checked |
/// | `algorithms` | list of `alg` names (`"HS256"`, `"RS256"`, `"EdDSA"`, ...) | the keys' |
/// | `leeway_secs` | whole seconds, at most 300 | 30 |
/// | `max_age_secs` | whole seconds since `iat` | 86400 |
/// | `max_token_len` | bytes, at least 64 | 8192 |
/// | `require_iat`, `require_jti`, `require_sub` | booleans | true |
/// | `cache_capacity` | verified tokens remembered (0: off) | 10000 |
/// | `realm` | the `realm` of `WWW-Authenticate` | none |
/// | `hmac_key` | `{ secret = "...", algorithm = "HS256", kid = "..." }` | none |
///
/// The HMAC secret is read into a [`Secret`] (its bytes are the string's
/// UTF-8 bytes) and checked as [`VerifyingKey::hmac`] checks it; no error
/// repeats it. Keys of other kinds (PEM files, a JWKS URL) are yours to load.
///
/// ```
/// use shieldwall_tokens::{MemoryRevocations, Verifier, VerifierSettings};
///
/// let settings: VerifierSettings = serde_json::from_str(
///     r#"{"issuers": ["auth.example"], "audiences": ["api.example"], "leeway_secs": 10,
///         "hmac_key": {"secret": "0123456789abcdef0123456789abcdef"}}"#,
/// )?;
/// let keys = settings.hmac_key_set().cloned().ok_or("no key")?;
/// let verifier = Verifier::builder(keys, MemoryRevocations::new())
///     .settings(&settings)
///     .build()?;
/// # drop(verifier);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct VerifierSettings {
    issuers: Vec<String>,
    audiences: Vec<String>,
    algorithms: Option<Vec<Algorithm>>,
    leeway: Option<Duration>,
    max_age: Option<Duration>,
    max_token_len: Option<usize>,
    require_iat: Option<bool>,
    require_jti: Option<bool>,
    require_sub: Option<bool>,
    cache_capacity: Option<usize>,
    realm: Option<String>,
    hmac: Option<(KeySet, SigningKey)>,
}

impl VerifierSettings {
    /// The key set of `hmac_key`, when the file has one.
    #[must_use]
    pub fn hmac_key_set(&self) -> Option<&KeySet> {
        self.hmac.as_ref().map(|(keys, _)| keys)
    }

    /// The same `hmac_key` as a signing key, for an
    /// [`Issuer`](crate::Issuer) of the same service.
    #[must_use]
    pub fn hmac_signing_key(&self) -> Option<&SigningKey> {
        self.hmac.as_ref().map(|(_, key)| key)
    }
}

impl<R: RevocationStore> VerifierBuilder<R> {
    /// Applies what `settings` hold, through the builder's own setters
    /// (issuers and audiences are added to those already given); the rest
    /// is left as it is. [`VerifierBuilder::build`] checks the result.
    pub fn settings(mut self, settings: &VerifierSettings) -> Self {
        for issuer in &settings.issuers {
            self = self.issuer(issuer);
        }
        for audience in &settings.audiences {
            self = self.audience(audience);
        }
        if let Some(algorithms) = &settings.algorithms {
            self = self.allow_algorithms(algorithms.iter().copied());
        }
        if let Some(leeway) = settings.leeway {
            self = self.leeway(leeway);
        }
        if let Some(max_age) = settings.max_age {
            self = self.max_age(Some(max_age));
        }
        if let Some(bytes) = settings.max_token_len {
            self = self.max_token_len(bytes);
        }
        if let Some(required) = settings.require_iat {
            self = self.require_iat(required);
        }
        if let Some(required) = settings.require_jti {
            self = self.require_jti(required);
        }
        if let Some(required) = settings.require_sub {
            self = self.require_sub(required);
        }
        if let Some(capacity) = settings.cache_capacity {
            self = self.cache_capacity(capacity);
        }
        if let Some(realm) = &settings.realm {
            self = self.realm(realm);
        }
        self
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    /// The exact `alg` name (`"HS256"`, `"ES256"`, `"EdDSA"`, ...); `none`
    /// is never one.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const NAMES: &[&str] = &[
            "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "EdDSA",
        ];
        let name = String::deserialize(deserializer)?;
        Self::from_name(&name).ok_or_else(|| de::Error::unknown_variant(&name, NAMES))
    }
}

fn hs256() -> Algorithm {
    Algorithm::HS256
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHmacKey {
    secret: Secret,
    #[serde(default = "hs256")]
    algorithm: Algorithm,
    #[serde(default)]
    kid: Option<String>,
}

impl RawHmacKey {
    fn keys(self) -> Result<(KeySet, SigningKey), TokenConfigError> {
        let mut verifying = VerifyingKey::hmac(self.algorithm, &self.secret)?;
        let mut signing = SigningKey::hmac(self.algorithm, &self.secret)?;
        if let Some(kid) = &self.kid {
            verifying = verifying.with_kid(kid)?;
            signing = signing.with_kid(kid)?;
        }
        Ok((KeySet::new([verifying])?, signing))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default)]
    issuers: Vec<String>,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    algorithms: Option<Vec<Algorithm>>,
    #[serde(default)]
    leeway_secs: Option<u64>,
    #[serde(default)]
    max_age_secs: Option<u64>,
    #[serde(default)]
    max_token_len: Option<usize>,
    #[serde(default)]
    require_iat: Option<bool>,
    #[serde(default)]
    require_jti: Option<bool>,
    #[serde(default)]
    require_sub: Option<bool>,
    #[serde(default)]
    cache_capacity: Option<usize>,
    #[serde(default)]
    realm: Option<String>,
    #[serde(default)]
    hmac_key: Option<RawHmacKey>,
}

/// The file's name of the setting a check refused.
fn field_of(error: &TokenConfigError) -> &'static str {
    match error {
        TokenConfigError::InvalidValue(what) if what.starts_with("issuer") => "issuers",
        TokenConfigError::InvalidValue(what) if what.starts_with("audience") => "audiences",
        TokenConfigError::InvalidValue(what) if what.starts_with("realm") => "realm",
        TokenConfigError::InvalidValue(what) if what.starts_with("maximum token") => {
            "max_token_len"
        }
        TokenConfigError::InvalidValue(what) if what.starts_with("leeway") => "leeway_secs",
        _ => "algorithms",
    }
}

impl TryFrom<RawSettings> for VerifierSettings {
    type Error = String;

    fn try_from(raw: RawSettings) -> Result<Self, String> {
        let leeway = raw.leeway_secs.map(Duration::from_secs);
        let max_age = raw.max_age_secs.map(Duration::from_secs);
        let defaults = Rules::default();
        let rules = Rules {
            leeway: leeway.map_or(defaults.leeway, seconds),
            issuers: raw.issuers,
            audiences: raw.audiences,
            ..defaults
        };
        check_settings(
            &rules,
            raw.realm.as_deref(),
            raw.max_token_len.unwrap_or(DEFAULT_MAX_TOKEN_LEN),
        )
        .map_err(|e| format!("{}: {e}", field_of(&e)))?;
        let hmac = raw
            .hmac_key
            .map(RawHmacKey::keys)
            .transpose()
            .map_err(|e| format!("hmac_key: {e}"))?;
        if let Some(algorithms) = &raw.algorithms {
            if algorithms.is_empty() {
                return Err("algorithms: no algorithm is allowed".to_owned());
            }
            if let Some((_, key)) = &hmac
                && !algorithms.contains(&key.algorithm())
            {
                return Err(
                    "algorithms: the hmac_key is bound to an algorithm that is not allowed"
                        .to_owned(),
                );
            }
        }
        Ok(Self {
            issuers: rules.issuers,
            audiences: rules.audiences,
            algorithms: raw.algorithms,
            leeway,
            max_age,
            max_token_len: raw.max_token_len,
            require_iat: raw.require_iat,
            require_jti: raw.require_jti,
            require_sub: raw.require_sub,
            cache_capacity: raw.cache_capacity,
            realm: raw.realm,
            hmac,
        })
    }
}

impl<'de> Deserialize<'de> for VerifierSettings {
    /// A table (see the type's documentation), checked when read.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawSettings::deserialize(deserializer)?
            .try_into()
            .map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Issuer, MemoryRevocations, Verifier};

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        verifier: VerifierSettings,
    }

    fn parse(body: &str) -> Result<VerifierSettings, String> {
        toml::from_str::<File>(&format!("[verifier]\n{body}\n"))
            .map(|f| f.verifier)
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn a_table_builds_what_the_builder_builds() {
        let settings = parse(&format!(
            r#"
            issuers = ["auth.example"]
            audiences = ["api.example", "admin.example"]
            algorithms = ["HS256"]
            leeway_secs = 5
            max_age_secs = 3600
            max_token_len = 4096
            require_iat = true
            require_jti = false
            require_sub = true
            cache_capacity = 0
            realm = "api"
            hmac_key = {{ secret = "{SECRET}", kid = "k1" }}
            "#
        ))
        .unwrap();
        let keys = settings.hmac_key_set().cloned().unwrap();
        let from_file = Verifier::builder(keys, MemoryRevocations::new())
            .settings(&settings)
            .build()
            .unwrap();
        let secret = Secret::from(SECRET);
        let key = VerifyingKey::hmac(Algorithm::HS256, &secret)
            .and_then(|k| k.with_kid("k1"))
            .unwrap();
        let built = Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
            .issuer("auth.example")
            .audience("api.example")
            .audience("admin.example")
            .allow_algorithms([Algorithm::HS256])
            .leeway(Duration::from_secs(5))
            .max_age(Some(Duration::from_secs(3600)))
            .max_token_len(4096)
            .require_jti(false)
            .cache_capacity(0)
            .realm("api")
            .build()
            .unwrap();
        assert_eq!(format!("{from_file:?}"), format!("{built:?}"));
        // The signing key of the same file issues what the verifier accepts.
        let issuer = Issuer::builder(settings.hmac_signing_key().cloned().unwrap())
            .issuer("auth.example")
            .audience("api.example")
            .build()
            .unwrap();
        let issued = issuer.issue("user-7", &[]).unwrap();
        assert_eq!(
            from_file.verify(issued.token()).await.unwrap().subject(),
            "user-7"
        );
        assert!(!format!("{settings:?}").contains(SECRET));
        assert!(parse("").unwrap().hmac_key_set().is_none());
    }

    #[test]
    fn bad_values_name_the_field_and_never_the_secret() {
        let short = "hunter2-hunter2";
        for (body, needle) in [
            (
                "leeway_secs = 301".to_owned(),
                "leeway_secs: invalid leeway",
            ),
            ("leeway_secs = -1".to_owned(), "invalid value"),
            ("issuers = [\"\"]".to_owned(), "issuers: invalid issuer"),
            (
                "audiences = [\"a\\nb\"]".to_owned(),
                "audiences: invalid audience",
            ),
            ("realm = \"a\\\"b\"".to_owned(), "realm: invalid realm"),
            (
                "max_token_len = 10".to_owned(),
                "max_token_len: invalid maximum token length",
            ),
            (
                "algorithms = []".to_owned(),
                "algorithms: no algorithm is allowed",
            ),
            (
                "algorithms = [\"none\"]".to_owned(),
                "unknown variant `none`",
            ),
            (
                "algorithms = [\"hs256\"]".to_owned(),
                "unknown variant `hs256`",
            ),
            (
                format!("algorithms = [\"RS256\"]\nhmac_key = {{ secret = \"{SECRET}\" }}"),
                "algorithms: the hmac_key is bound",
            ),
            (
                format!("hmac_key = {{ secret = \"{short}\" }}"),
                "hmac_key: an HS256 secret must have at least 32 bytes, this one has 15",
            ),
            (
                format!("hmac_key = {{ secret = \"{SECRET}\", algorithm = \"RS256\" }}"),
                "hmac_key:",
            ),
            (
                "hmac_key = { secret = 12345678 }".to_owned(),
                "a secret must be a string",
            ),
            (
                format!("hmac_key = {{ secret = \"{short}\", id = \"x\" }}"),
                "unknown field `id`",
            ),
            ("issuer = \"x\"".to_owned(), "unknown field `issuer`"),
            ("require_jti = \"no\"".to_owned(), "invalid type: string"),
        ] {
            let err = toml::from_str::<File>(&format!("[verifier]\n{body}\n")).unwrap_err();
            assert!(err.message().contains(needle), "{body}: {err}");
            assert!(!err.message().contains(short) && !err.message().contains("12345678"));
            let field = body.split([' ', '=']).next().unwrap_or_default();
            assert!(err.to_string().contains(field), "{body}: {err}");
        }
    }
}
