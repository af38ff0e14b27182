//! The crypto backend, chosen explicitly: never jsonwebtoken's process-wide
//! default, which is missing when both backends are compiled in.

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(not(any(feature = "rust-crypto", feature = "aws-lc-rs")))]
compile_error!(
    "shieldwall-tokens needs a crypto backend: enable `rust-crypto` (default) or `aws-lc-rs`"
);

/// The provider: aws-lc-rs when its feature is on, else RustCrypto.
pub(crate) fn provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws-lc-rs")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
}

/// The name of the backend in use, for logs and benchmarks.
#[must_use]
pub fn backend_name() -> &'static str {
    if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "rust-crypto"
    }
}
