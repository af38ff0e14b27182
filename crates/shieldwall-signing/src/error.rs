//! The refusal of a request (one public answer, a private reason), and
//! configuration and signing errors.

use std::borrow::Cow;
use std::fmt;

use shieldwall_core::StoreError;
use shieldwall_errors::{ApiError, ErrorCode, Rejection};

use crate::Reason;

/// The detail every `INVALID_SIGNATURE` answer carries, whatever the cause.
pub(crate) const INVALID_DETAIL: &str = "the request signature is not valid";

/// The detail of `SIGNATURE_REQUIRED`.
pub(crate) const REQUIRED_DETAIL: &str =
    "sign the request with RFC 9421 `Signature-Input` and `Signature` headers";

/// A refused signature: a [`Reason`] and, for a store failure, the store's
/// error (logged, never sent). Holds no client text.
///
/// Converts into an [`ApiError`] whose reason is [`Reason::as_str`].
#[derive(Debug)]
pub struct SignatureRejection {
    reason: Reason,
    store: Option<StoreError>,
}

impl SignatureRejection {
    pub(crate) fn new(reason: Reason) -> Self {
        Self {
            reason,
            store: None,
        }
    }

    pub(crate) fn store(reason: Reason, error: StoreError) -> Self {
        Self {
            reason,
            store: Some(error),
        }
    }

    /// Why.
    #[must_use]
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The public code.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        self.reason.code()
    }
}

impl From<Reason> for SignatureRejection {
    fn from(reason: Reason) -> Self {
        Self::new(reason)
    }
}

impl fmt::Display for SignatureRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request signature refused: {}", self.reason)
    }
}

impl std::error::Error for SignatureRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.store
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Rejection for SignatureRejection {
    fn code(&self) -> ErrorCode {
        self.reason.code()
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        match self.reason.code() {
            ErrorCode::SignatureRequired => Some(Cow::Borrowed(REQUIRED_DETAIL)),
            ErrorCode::InvalidSignature => Some(Cow::Borrowed(INVALID_DETAIL)),
            _ => None,
        }
    }
}

impl From<SignatureRejection> for ApiError {
    fn from(rejection: SignatureRejection) -> Self {
        let reason = rejection.reason.as_str();
        rejection.into_api_error().with_reason(reason)
    }
}

/// A signing configuration (policy, key, signer) was refused.
#[non_exhaustive]
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SigningConfigError {
    /// A policy that requires no component at all.
    #[error("a signature policy must require at least one covered component")]
    NoComponents,
    /// A component identifier this crate cannot derive or that is not lowercase.
    #[error(
        "`{0}` is not a component this crate covers: a lowercase header name, or one of \
         @method, @target-uri, @authority, @scheme, @path, @query, @request-target"
    )]
    Component(String),
    /// The same component named twice.
    #[error("component `{0}` is named twice")]
    DuplicateComponent(String),
    /// A label that is not a structured-field key (`a-z`, `0-9`, `_-.*`, starting with a letter or `*`).
    #[error("`{0}` is not a valid signature label (a structured-field key such as sig1)")]
    Label(String),
    /// A window of zero or longer than a day.
    #[error("the created window must be between 1 second and 1 day")]
    Window,
    /// A clock-skew margin longer than an hour.
    #[error("the clock skew margin must be at most 1 hour")]
    ClockSkew,
    /// No algorithm allowed.
    #[error("a signature policy must allow at least one algorithm")]
    NoAlgorithms,
    /// A tag that is empty, too long or not visible ASCII.
    #[error("a tag is 1 to 128 visible ASCII characters other than `\"` and `\\`")]
    Tag,
    /// An authority that is not `host[:port]` in lowercase.
    #[error("`{0}` is not an authority (lowercase host[:port], no user info)")]
    Authority(String),
    /// A header size limit outside 256 bytes to 64 KiB.
    #[error("the header size limit must be between 256 and 65536 bytes, not {0}")]
    MaxHeaderBytes(usize),
    /// A key id that is empty, too long or not visible ASCII.
    #[error("a key id is 1 to 256 visible ASCII characters other than `\"` and `\\`")]
    KeyId,
    /// An owner id that is empty or longer than 256 bytes.
    #[error("an owner id is 1 to 256 bytes")]
    Owner,
    /// An HMAC secret shorter than 32 bytes.
    #[error("an hmac-sha256 secret must have at least 32 bytes, this one has {len}")]
    WeakSecret {
        /// Its length.
        len: usize,
    },
    /// Bytes that are not a usable Ed25519 public key.
    #[error("not an Ed25519 public key (32 bytes encoding a point that is not of small order)")]
    Ed25519PublicKey,
    /// Bytes that are not an Ed25519 private key.
    #[error("an Ed25519 private key is a 32-byte seed")]
    Ed25519PrivateKey,
}

/// A request could not be signed.
#[non_exhaustive]
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// `@authority` or `@target-uri` is covered and the request has neither
    /// an absolute URI nor a `Host` header.
    #[error("the request has neither an absolute URI nor a Host header")]
    MissingAuthority,
    /// A covered header field is absent.
    #[error("the covered header `{0}` is absent from the request")]
    MissingHeader(String),
    /// A covered value is not visible ASCII, or the authority is not one.
    #[error("the value of `{0}` cannot be signed (not visible ASCII)")]
    InvalidValue(String),
}
