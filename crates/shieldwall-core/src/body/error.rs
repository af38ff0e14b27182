//! `BodyConfigError`: a body policy that cannot be built.

use super::MAX_DEPTH;

/// A [`BodyPolicy`](super::BodyPolicy) setting out of its range, named by
/// its setter; returned by [`BodyPolicyBuilder::build`](super::BodyPolicyBuilder::build).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyConfigError {
    /// A size limit of zero bytes (`limit`).
    #[error("body policy `limit`: the size limit must be at least 1 byte, not {0}")]
    Limit(usize),
    /// A nesting limit of zero or over [`MAX_DEPTH`] (`max_depth`).
    #[error(
        "body policy `max_depth`: the nesting limit must be between 1 and {MAX_DEPTH}, not {0}"
    )]
    MaxDepth(usize),
}

impl BodyConfigError {
    /// The setting at fault, as its setter is named: `"limit"` or `"max_depth"`.
    #[must_use]
    pub fn setting(&self) -> &'static str {
        match self {
            Self::Limit(_) => "limit",
            Self::MaxDepth(_) => "max_depth",
        }
    }
}
