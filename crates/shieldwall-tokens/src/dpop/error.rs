//! DPoP configuration errors and refusals.

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, HeaderValue, header::WWW_AUTHENTICATE};
use shieldwall_errors::{ErrorCode, Rejection};

/// A DPoP configuration was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DpopConfigError {
    /// Neither a public origin nor the `Host` fallback was given: `htu`
    /// could not be checked.
    #[error(
        "DPoP needs the server's public origin (public_origin), or origin_from_host_header_insecure"
    )]
    NoOrigin,
    /// Both a public origin and the `Host` fallback were given.
    #[error("give public_origin or origin_from_host_header_insecure, not both")]
    TwoOrigins,
    /// A public origin that is not `http(s)://host[:port]`.
    #[error("invalid public origin {origin:?}: {reason}")]
    Origin {
        /// The origin given.
        origin: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No algorithm allowed, or a symmetric one.
    #[error("{0}")]
    Algorithms(&'static str),
    /// A window or skew out of its range.
    #[error("invalid {0}")]
    InvalidValue(&'static str),
}

/// Why a DPoP request was refused. Every kind but
/// [`DpopErrorKind::StoreUnavailable`] answers 401 `INVALID_TOKEN`, and all
/// proof kinds alike: the reason is for logs and the audit record only.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DpopErrorKind {
    /// The proof is missing, sent twice, malformed, or does not fit this
    /// request, this token or this key (`error="invalid_dpop_proof"`).
    Proof,
    /// The proof's `jti` was seen before, within its window
    /// (`error="invalid_dpop_proof"`).
    Replayed,
    /// The token does not fit the scheme: a DPoP-bound token sent as
    /// `Bearer`, an unbound token sent as `DPoP`, a malformed `DPoP`
    /// credential (`error="invalid_token"`).
    Token,
    /// The replay store could not be asked: fail closed, 503.
    StoreUnavailable,
}

/// A refused DPoP request: a kind (which fixes the answer), a reason for the
/// logs, and the `WWW-Authenticate` challenge. Never holds the token or the
/// proof.
#[derive(Clone, Debug)]
pub struct DpopRejection {
    kind: DpopErrorKind,
    reason: &'static str,
    challenge: Option<HeaderValue>,
}

impl DpopRejection {
    pub(super) fn new(
        kind: DpopErrorKind,
        reason: &'static str,
        challenge: Option<HeaderValue>,
    ) -> Self {
        Self {
            kind,
            reason,
            challenge,
        }
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> DpopErrorKind {
        self.kind
    }

    /// The reason, for logs.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The `WWW-Authenticate` value: `DPoP error="invalid_dpop_proof",
    /// algs="..."` or `DPoP error="invalid_token", algs="..."` (with the
    /// realm first when there is one); none for a store failure.
    #[must_use]
    pub fn www_authenticate(&self) -> Option<&HeaderValue> {
        self.challenge.as_ref()
    }
}

impl fmt::Display for DpopRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DPoP refused ({:?}): {}", self.kind, self.reason)
    }
}

impl std::error::Error for DpopRejection {}

impl Rejection for DpopRejection {
    fn code(&self) -> ErrorCode {
        match self.kind {
            DpopErrorKind::StoreUnavailable => ErrorCode::ServiceUnavailable,
            DpopErrorKind::Proof | DpopErrorKind::Replayed | DpopErrorKind::Token => {
                ErrorCode::InvalidToken
            }
        }
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        None
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = &self.challenge {
            headers.insert(WWW_AUTHENTICATE, value.clone());
        }
        headers
    }

    fn audit_reason(&self) -> Option<&'static str> {
        Some(match self.kind {
            DpopErrorKind::Proof => "invalid_dpop_proof",
            DpopErrorKind::Replayed => "dpop_replayed",
            DpopErrorKind::Token => "dpop_binding",
            DpopErrorKind::StoreUnavailable => "store_unavailable",
        })
    }
}
