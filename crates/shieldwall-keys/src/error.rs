//! Rejections at request time, and configuration errors.

use std::borrow::Cow;
use std::fmt;

use shieldwall_errors::{ErrorCode, Rejection};

/// Why an API key was refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyErrorKind {
    /// No key header.
    Missing,
    /// More than one key header.
    Ambiguous,
    /// Not the shape of a key (refused without a store call).
    Malformed,
    /// Unknown id, wrong secret, revoked or expired: one answer for all four.
    Invalid,
    /// The key lacks a scope the route requires.
    InsufficientScope,
    /// The key store could not be asked: fail closed.
    StoreUnavailable,
}

/// A refused API key. Never holds the key.
#[derive(Clone, Debug)]
pub struct KeyRejection {
    kind: KeyErrorKind,
    reason: &'static str,
    cause: Option<&'static str>,
}

impl KeyRejection {
    pub(crate) fn new(kind: KeyErrorKind, reason: &'static str) -> Self {
        Self {
            kind,
            reason,
            cause: None,
        }
    }

    /// Which of the causes one answer stands for (`unknown_key`,
    /// `wrong_secret`, `key_revoked`, `key_expired`), for the audit log.
    pub(crate) fn with_cause(mut self, cause: &'static str) -> Self {
        self.cause = Some(cause);
        self
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> KeyErrorKind {
        self.kind
    }

    /// The reason, for logs.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for KeyRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API key refused ({:?}): {}", self.kind, self.reason)
    }
}

impl std::error::Error for KeyRejection {}

impl Rejection for KeyRejection {
    fn audit_reason(&self) -> Option<&'static str> {
        self.cause.or(Some(match self.kind {
            KeyErrorKind::Missing => "key_missing",
            KeyErrorKind::Ambiguous => "ambiguous_credentials",
            KeyErrorKind::Malformed => "malformed_key",
            KeyErrorKind::Invalid => "invalid_key",
            KeyErrorKind::InsufficientScope => "insufficient_scope",
            KeyErrorKind::StoreUnavailable => "store_unavailable",
        }))
    }

    fn code(&self) -> ErrorCode {
        match self.kind {
            KeyErrorKind::Missing => ErrorCode::ApiKeyRequired,
            KeyErrorKind::Ambiguous => ErrorCode::MalformedRequest,
            KeyErrorKind::Malformed | KeyErrorKind::Invalid => ErrorCode::InvalidApiKey,
            KeyErrorKind::InsufficientScope => ErrorCode::InsufficientScope,
            KeyErrorKind::StoreUnavailable => ErrorCode::ServiceUnavailable,
        }
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(match self.kind {
            KeyErrorKind::Missing => "send an API key in the X-API-Key header",
            KeyErrorKind::Ambiguous => "send exactly one API key header",
            KeyErrorKind::Malformed | KeyErrorKind::Invalid => "the API key is not valid",
            KeyErrorKind::InsufficientScope => "the API key lacks a scope this route requires",
            KeyErrorKind::StoreUnavailable => return None,
        }))
    }
}

/// An API key configuration was refused.
#[non_exhaustive]
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyConfigError {
    /// A key prefix outside the rules.
    #[error(
        "a key prefix is 1 to 16 characters of a-z 0-9 _, starting with a letter and not ending with _"
    )]
    Prefix,
    /// A pepper shorter than 32 bytes.
    #[error("the pepper must have at least 32 bytes, this one has {len}")]
    WeakPepper {
        /// Its length.
        len: usize,
    },
    /// A header name that is not a valid header name.
    #[error("`{0}` is not a valid header name")]
    HeaderName(String),
    /// A scope outside the rules (visible ASCII without space, quote or
    /// backslash), named.
    #[error(transparent)]
    Scope(#[from] shieldwall_core::ScopeError),
}
