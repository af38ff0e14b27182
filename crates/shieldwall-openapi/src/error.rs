//! What a description of the layers refuses, when it is built.

/// A protection or a document that cannot be described as asked.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenApiConfigError {
    /// A scope that is not an RFC 6749 scope token: 1 to 128 visible ASCII
    /// characters other than `"` and `\`.
    #[error("a scope is 1 to 128 visible ASCII characters other than \" and \\ (got {0:?})")]
    Scope(String),
    /// [`Protection::apply_to`](crate::Protection::apply_to) found no such
    /// operation in the document: describe the operation first.
    #[error("the document has no operation {method} {path}")]
    NoSuchOperation {
        /// The method, upper case.
        method: &'static str,
        /// The path as given.
        path: String,
    },
}
