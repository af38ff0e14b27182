//! `IntrospectionError`: an introspection setting that was refused.

/// An [`IntrospectorBuilder`](super::IntrospectorBuilder) setting refused by
/// `build`. Never holds the client secret.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum IntrospectionError {
    /// The endpoint URL: not `https://` (nor `http://` on a loopback host),
    /// not a URL, or with user information or a fragment.
    #[error("the introspection endpoint URL is refused: {0}")]
    EndpointUrl(&'static str),
    /// A configured value that is empty, too long, out of its range, or
    /// holds characters it must not (client id, issuer, audience, timeout,
    /// cache lifetimes, breaker cool-down).
    #[error("invalid {0}")]
    InvalidValue(&'static str),
    /// The HTTP client could not be made.
    #[error("the HTTP client cannot be built: {0}")]
    Client(String),
}
