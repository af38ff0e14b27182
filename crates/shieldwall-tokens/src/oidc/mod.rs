//! Tokens of an issuer found by OpenID Connect Discovery (feature `oidc`).
//!
//! [`Discovery::load`] reads `ISSUER/.well-known/openid-configuration`
//! (OpenID Connect Discovery 1.0, section 4), checks that its `issuer` is the
//! configured issuer exactly, takes its `jwks_uri` and its asymmetric
//! signing algorithms, and loads that JWKS with [`JwksKeys`] (background
//! refresh, a fetch for an unknown `kid` at most every 30 s, the last good
//! set kept). [`DiscoveredIssuer::verifier`] then builds a [`Verifier`]
//! over those keys that requires `iss` to be the issuer and `aud` to be the
//! configured audience: the [`BearerGuard`](crate::BearerGuard) and the
//! adapters' extractors take it as they take any other.
//!
//! Refused before any request: an issuer that is not `https://` (`http://`
//! only on a loopback host: 127.0.0.0/8, `::1`, `localhost`), or that holds
//! user information, a query or a fragment. Refused when loading: a
//! document that cannot be fetched within the timeout (5 s) and 64 KiB, a
//! redirect (never followed), a document that is not JSON or lacks `issuer`,
//! `jwks_uri` or `id_token_signing_alg_values_supported`, another `issuer`,
//! a `jwks_uri` that is not `https://` (or loopback `http://`), a `jwks_uri`
//! on another host than the issuer's unless [`Discovery::allow_jwks_host`]
//! names it, and a document that lists no asymmetric algorithm. `none` and
//! HS* are never taken, whatever the document says.
//!
//! The document is read once, at load; a provider that moves its
//! `jwks_uri` is followed at the next load (a restart).

mod builder;
mod discovered;
mod document;
mod error;
// Also the rule for the introspection endpoint's URL.
pub(crate) mod url;

use std::time::Duration;

pub use builder::OidcVerifierBuilder;
pub use discovered::DiscoveredIssuer;
pub use error::DiscoveryError;

use crate::Algorithm;
#[cfg(doc)]
use crate::Verifier;
use crate::jwks::{JwksConfig, JwksKeys};

/// The longest issuer or audience taken, in bytes (what a verifier takes).
const MAX_TEXT: usize = 256;

/// How to discover an issuer. Each setting is checked when it is given;
/// [`Discovery::load`] does the network part.
#[must_use]
#[derive(Clone, Debug)]
pub struct Discovery {
    issuer: String,
    issuer_host: String,
    audience: String,
    allowed_jwks_hosts: Vec<String>,
    algorithms: Option<Vec<Algorithm>>,
    timeout: Duration,
    refresh: Option<(Duration, Duration)>,
    unknown_kid_interval: Option<Duration>,
}

impl Discovery {
    /// Discovery of `issuer` (its identifier, exactly as its tokens' `iss`
    /// and its document's `issuer` write it) for tokens whose `aud` holds
    /// `audience`. Each fetch within 5 s.
    pub fn new(issuer: &str, audience: &str) -> Result<Self, DiscoveryError> {
        if issuer.len() > MAX_TEXT {
            return Err(DiscoveryError::IssuerUrl("longer than 256 bytes"));
        }
        let url = url::check_issuer(issuer).map_err(DiscoveryError::IssuerUrl)?;
        if audience.is_empty()
            || audience.len() > MAX_TEXT
            || audience.chars().any(char::is_control)
        {
            return Err(DiscoveryError::InvalidValue(
                "audience (1 to 256 bytes, no control characters)",
            ));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            issuer_host: url.host_str().unwrap_or_default().to_owned(),
            audience: audience.to_owned(),
            allowed_jwks_hosts: Vec::new(),
            algorithms: None,
            timeout: Duration::from_secs(5),
            refresh: None,
            unknown_kid_interval: None,
        })
    }

    /// The issuer, as configured.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Also takes keys from a `jwks_uri` on `host` (a name or an address,
    /// no port), for a provider that publishes its keys on another host than
    /// its issuer's. Call again for several.
    pub fn allow_jwks_host(mut self, host: &str) -> Result<Self, DiscoveryError> {
        let host = url::normalize_host(host).ok_or(DiscoveryError::InvalidValue(
            "host (a name or an address, no port)",
        ))?;
        self.allowed_jwks_hosts.push(host);
        Ok(self)
    }

    /// Accepts only these of the algorithms the document lists (default:
    /// every asymmetric one it lists). HS* is refused.
    pub fn allow_algorithms(
        mut self,
        algorithms: impl IntoIterator<Item = Algorithm>,
    ) -> Result<Self, DiscoveryError> {
        let algorithms: Vec<Algorithm> = algorithms.into_iter().collect();
        if algorithms.is_empty() {
            return Err(DiscoveryError::Algorithms("no algorithm is allowed"));
        }
        if !algorithms.iter().copied().all(document::is_asymmetric) {
            return Err(DiscoveryError::Algorithms(
                "HS* is never taken from an identity provider: its key would be public",
            ));
        }
        self.algorithms = Some(algorithms);
        Ok(self)
    }

    /// The timeout of each fetch, the document's and the JWKS's (default
    /// 5 s; 1 ms to 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Result<Self, DiscoveryError> {
        if timeout < Duration::from_millis(1) || timeout > Duration::from_secs(60) {
            return Err(DiscoveryError::InvalidValue("timeout (1 ms to 60 s)"));
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// Bounds on how often the JWKS is fetched again
    /// ([`JwksConfig::refresh_between`]; default 1 minute .. 1 day).
    pub fn refresh_between(mut self, min: Duration, max: Duration) -> Self {
        self.refresh = Some((min, max));
        self
    }

    /// How often an unknown `kid` may trigger a JWKS fetch
    /// ([`JwksConfig::unknown_kid_interval`]; default 30 s).
    pub fn unknown_kid_interval(mut self, interval: Duration) -> Self {
        self.unknown_kid_interval = Some(interval);
        self
    }

    /// Fetches and checks the discovery document, then loads the JWKS it
    /// names (the first fetch must succeed) and starts its background
    /// refresh. Needs a Tokio runtime.
    pub async fn load(self) -> Result<DiscoveredIssuer, DiscoveryError> {
        let document_url = url::discovery_url(&self.issuer);
        let fetch_error = |reason: String| DiscoveryError::Fetch {
            url: document_url.clone(),
            reason,
        };
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| fetch_error(e.to_string()))?;
        let body = document::fetch(&client, &document_url)
            .await
            .map_err(fetch_error)?;
        let document = document::parse(&body).map_err(|reason| DiscoveryError::Document {
            url: document_url.clone(),
            reason,
        })?;
        if document.issuer != self.issuer {
            return Err(DiscoveryError::IssuerMismatch {
                expected: self.issuer,
                found: error::quoted(&document.issuer),
            });
        }
        let jwks_url =
            url::check(&document.jwks_uri).map_err(|reason| DiscoveryError::JwksUri {
                uri: error::quoted(&document.jwks_uri),
                reason,
            })?;
        let jwks_host = jwks_url.host_str().unwrap_or_default();
        if jwks_host != self.issuer_host && !self.allowed_jwks_hosts.iter().any(|h| h == jwks_host)
        {
            return Err(DiscoveryError::JwksHost {
                found: error::quoted(jwks_host),
                issuer: self.issuer_host,
            });
        }
        let algorithms: Vec<Algorithm> = document
            .algorithms
            .into_iter()
            .filter(|alg| {
                self.algorithms
                    .as_ref()
                    .is_none_or(|only| only.contains(alg))
            })
            .collect();
        if algorithms.is_empty() {
            return Err(DiscoveryError::NoAlgorithm(if self.algorithms.is_some() {
                ", and among those allowed"
            } else {
                ""
            }));
        }
        let mut config = JwksConfig::new(&document.jwks_uri).timeout(self.timeout);
        if jwks_url.scheme() == "http" {
            // `url::check` took it only on a loopback host.
            config = config.allow_http_insecure();
        }
        if algorithms.contains(&Algorithm::RS256) {
            // OpenID Connect's default algorithm, for RSA keys that name none.
            config = config.default_algorithm(Algorithm::RS256);
        }
        if let Some((min, max)) = self.refresh {
            config = config.refresh_between(min, max);
        }
        if let Some(interval) = self.unknown_kid_interval {
            config = config.unknown_kid_interval(interval);
        }
        let keys = JwksKeys::load(config).await?;
        Ok(DiscoveredIssuer::new(
            self.issuer,
            self.audience,
            document.jwks_uri,
            algorithms,
            keys,
        ))
    }
}
