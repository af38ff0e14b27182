//! `Reason`: why a signature was refused, one word per cause, and the public
//! code each stands for.

use std::fmt;

use shieldwall_errors::ErrorCode;

/// Why a signature was refused: one fixed lowercase word per cause.
///
/// The client sees only the code ([`Reason::code`]): 401
/// `SIGNATURE_REQUIRED` when there is no signature at all, 401
/// `INVALID_SIGNATURE` with one identical body for every other cause, 503
/// `SERVICE_UNAVAILABLE` when a store cannot be asked. The word goes to the
/// audit log through [`ApiError::with_reason`](shieldwall_errors::ApiError::with_reason) and is never rendered.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// No `Signature` or no `Signature-Input` header (`SIGNATURE_REQUIRED`).
    SignatureMissing,
    /// `Signature-Input`, `Signature` or `Content-Digest` is over the size limit.
    HeaderTooLarge,
    /// `Signature-Input` is not a dictionary of inner lists of strings with
    /// well-typed parameters (or repeats a parameter).
    MalformedSignatureInput,
    /// `Signature` is not a dictionary of byte sequences, or lacks the chosen label.
    MalformedSignature,
    /// A label appears twice in `Signature-Input` or in `Signature` (across
    /// all their field lines).
    DuplicateLabel,
    /// The configured label is not in `Signature-Input`.
    LabelMissing,
    /// Several signatures, and none meets the policy.
    NoAcceptableSignature,
    /// Several signatures, and more than one meets the policy (no label configured).
    AmbiguousSignature,
    /// The signature covers less than the policy requires.
    ComponentsMissing,
    /// A component is covered twice.
    DuplicateComponent,
    /// A component this crate does not derive (`@status`, `@query-param`,
    /// component parameters such as `;sf` or `;req`, an unknown `@` name).
    UnsupportedComponent,
    /// No `created` parameter.
    MissingCreated,
    /// `created` is older than the window.
    CreatedTooOld,
    /// `created` is further in the future than the window.
    CreatedInFuture,
    /// `expires` has passed.
    Expired,
    /// No `keyid` parameter.
    MissingKeyId,
    /// No `nonce` parameter.
    MissingNonce,
    /// A nonce shorter than 16 or longer than 128 characters.
    MalformedNonce,
    /// The `tag` parameter is missing or not the one the policy requires.
    WrongTag,
    /// No key has this `keyid`.
    UnknownKey,
    /// The `alg` parameter is not the algorithm of the key, or the key's
    /// algorithm is not allowed by the policy.
    WrongAlgorithm,
    /// A covered header field is absent from the request.
    CoveredHeaderMissing,
    /// `@authority` or `@target-uri` is covered, and there is neither a
    /// configured authority nor one `Host` header.
    MissingAuthority,
    /// A covered value is not visible ASCII, or the `Host` header is not an authority.
    InvalidComponentValue,
    /// `Content-Digest` is not a dictionary of byte sequences of the right lengths.
    MalformedDigest,
    /// `Content-Digest` has neither `sha-256` nor `sha-512`.
    UnsupportedDigest,
    /// `Content-Digest` does not match the body.
    DigestMismatch,
    /// The signature does not verify with the key.
    BadSignature,
    /// The key belongs to another owner than the principal of the request.
    OwnerMismatch,
    /// The nonce was seen before within the window (a replay).
    NonceReplayed,
    /// The key resolver could not be asked (503).
    KeyStoreUnavailable,
    /// The nonce store could not be asked or is full (503).
    NonceStoreUnavailable,
}

impl Reason {
    /// The word recorded in the audit log.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignatureMissing => "signature_missing",
            Self::HeaderTooLarge => "header_too_large",
            Self::MalformedSignatureInput => "malformed_signature_input",
            Self::MalformedSignature => "malformed_signature",
            Self::DuplicateLabel => "duplicate_label",
            Self::LabelMissing => "label_missing",
            Self::NoAcceptableSignature => "no_acceptable_signature",
            Self::AmbiguousSignature => "ambiguous_signature",
            Self::ComponentsMissing => "components_missing",
            Self::DuplicateComponent => "duplicate_component",
            Self::UnsupportedComponent => "unsupported_component",
            Self::MissingCreated => "missing_created",
            Self::CreatedTooOld => "created_too_old",
            Self::CreatedInFuture => "created_in_future",
            Self::Expired => "expired",
            Self::MissingKeyId => "missing_keyid",
            Self::MissingNonce => "missing_nonce",
            Self::MalformedNonce => "malformed_nonce",
            Self::WrongTag => "wrong_tag",
            Self::UnknownKey => "unknown_key",
            Self::WrongAlgorithm => "wrong_algorithm",
            Self::CoveredHeaderMissing => "covered_header_missing",
            Self::MissingAuthority => "missing_authority",
            Self::InvalidComponentValue => "invalid_component_value",
            Self::MalformedDigest => "malformed_digest",
            Self::UnsupportedDigest => "unsupported_digest",
            Self::DigestMismatch => "digest_mismatch",
            Self::BadSignature => "bad_signature",
            Self::OwnerMismatch => "owner_mismatch",
            Self::NonceReplayed => "nonce_replayed",
            Self::KeyStoreUnavailable => "key_store_unavailable",
            Self::NonceStoreUnavailable => "nonce_store_unavailable",
        }
    }

    /// The public code: `SIGNATURE_REQUIRED`, `INVALID_SIGNATURE` or `SERVICE_UNAVAILABLE`.
    #[must_use]
    pub const fn code(self) -> ErrorCode {
        match self {
            Self::SignatureMissing => ErrorCode::SignatureRequired,
            Self::KeyStoreUnavailable | Self::NonceStoreUnavailable => {
                ErrorCode::ServiceUnavailable
            }
            _ => ErrorCode::InvalidSignature,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
