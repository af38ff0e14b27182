//! RFC 9421 HTTP Message Signatures.
