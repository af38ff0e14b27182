#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod algorithm;
mod bearer_input;
mod cache;
mod claims;
mod compact;
mod confirmation;
mod date;
mod error;
mod guard;
mod issuer;
mod json;
mod key;
mod keyset;
mod provider;
mod revocation;
mod settings;
mod source;
mod verified;
mod verifier;

#[cfg(feature = "dpop")]
pub mod dpop;
#[cfg(feature = "introspection")]
pub mod introspection;
#[cfg(feature = "jwks")]
pub mod jwks;
#[cfg(feature = "oidc")]
pub mod oidc;

pub use algorithm::Algorithm;
pub use bearer_input::BearerInput;
pub use claims::MAX_JTI_LEN;
pub use compact::DEFAULT_MAX_TOKEN_LEN;
pub use date::NumericDate;
pub use error::{TokenConfigError, TokenErrorKind, TokenRejection};
pub use guard::BearerGuard;
pub use issuer::{IssueError, IssuedToken, Issuer, IssuerBuilder};
pub use key::{MAX_KID_LEN, SigningKey, VerifyingKey};
pub use keyset::KeySet;
pub use provider::backend_name;
#[cfg(feature = "redis")]
pub use revocation::RedisRevocations;
pub use revocation::{MemoryRevocations, RevocationStore, Revocations};
pub use settings::VerifierSettings;
pub use source::KeySource;
pub use verified::VerifiedToken;
pub use verifier::{REVOCATION_MARGIN, Verifier, VerifierBuilder};

/// The registered claims, for handlers: `Claims<RegisteredClaims>`. Time
/// claims are read as the verifier reads them ([`NumericDate`]), so every
/// token the verifier accepts reads here.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct RegisteredClaims {
    /// `sub`.
    pub sub: String,
    /// `jti`.
    #[serde(default)]
    pub jti: Option<String>,
    /// `exp`.
    pub exp: NumericDate,
    /// `iat`.
    #[serde(default)]
    pub iat: Option<NumericDate>,
    /// `iss`.
    #[serde(default)]
    pub iss: Option<String>,
    /// `scope`.
    #[serde(default)]
    pub scope: Option<String>,
}
