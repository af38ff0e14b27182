//! `DiscoveryError`: why an issuer could not be discovered or configured.

use crate::TokenConfigError;

/// An issuer that discovery refused, at configuration or while loading.
/// Values read from the network are quoted, escaped and cut to 200
/// characters.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The configured issuer URL: not `https://` (nor `http://` on a
    /// loopback host), not a URL, or with user information, a query or a
    /// fragment.
    #[error("the issuer URL is refused: {0}")]
    IssuerUrl(&'static str),
    /// A configured value that is empty, too long, or holds characters it
    /// must not (audience, allowed host, timeout).
    #[error("invalid {0}")]
    InvalidValue(&'static str),
    /// `allow_algorithms` named a symmetric algorithm, or none.
    #[error("{0}")]
    Algorithms(&'static str),
    /// The discovery document could not be fetched: connection, timeout,
    /// a status other than 200 (redirects are not followed), too large.
    #[error("the discovery document at {url} cannot be fetched: {reason}")]
    Fetch {
        /// The URL asked.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The discovery document is not a JSON object with `issuer`,
    /// `jwks_uri` and `id_token_signing_alg_values_supported` of their types.
    #[error("the discovery document at {url} is refused: {reason}")]
    Document {
        /// The URL asked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The document's `issuer` is not the configured issuer, character for
    /// character (OpenID Connect Discovery 1.0 section 4.3: a mix-up).
    #[error(
        "the discovery document names the issuer {found}, not the configured {expected:?} \
         (they must be equal exactly)"
    )]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The document's, quoted.
        found: String,
    },
    /// The document's `jwks_uri` is not a URL, or not `https://` (nor
    /// `http://` on a loopback host).
    #[error("the jwks_uri {uri} is refused: {reason}")]
    JwksUri {
        /// The document's `jwks_uri`, quoted.
        uri: String,
        /// Why.
        reason: &'static str,
    },
    /// The document's `jwks_uri` is on another host than the issuer, and
    /// that host was not allowed.
    #[error(
        "the jwks_uri is on host {found}, not on the issuer's host {issuer:?}; keys from \
         another host are refused unless that host is allowed with `allow_jwks_host`"
    )]
    JwksHost {
        /// The `jwks_uri`'s host, quoted.
        found: String,
        /// The issuer's host.
        issuer: String,
    },
    /// No algorithm left: the document lists no asymmetric algorithm this
    /// verifier knows (or none of those allowed).
    #[error(
        "the discovery document lists no usable signing algorithm (asymmetric only: \
         RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA{0})"
    )]
    NoAlgorithm(&'static str),
    /// The JWKS could not be loaded.
    #[error(transparent)]
    Keys(#[from] TokenConfigError),
}

/// `value` cut to 200 characters, and whether it was cut.
pub(crate) fn cut(value: &str) -> (&str, bool) {
    const MAX: usize = 200;
    match value.char_indices().nth(MAX) {
        Some((at, _)) => (value.get(..at).unwrap_or_default(), true),
        None => (value, false),
    }
}

/// `value` quoted and escaped, cut to 200 characters: it came from the network.
pub(crate) fn quoted(value: &str) -> String {
    match cut(value) {
        (shown, true) => format!("{shown:?}..."),
        (shown, false) => format!("{shown:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_values_are_quoted_escaped_and_cut() {
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
        let long = "é".repeat(500);
        let shown = quoted(&long);
        assert!(shown.ends_with("\"..."));
        assert_eq!(shown.chars().filter(|c| *c == 'é').count(), 200);
    }
}
