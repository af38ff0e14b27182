#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod algorithm;
mod authority;
mod base;
mod component;
mod ct;
mod digest;
mod error;
mod few;
mod fields;
mod guard;
mod input;
mod key;
mod keys;
mod params;
mod policy;
mod reason;
mod rebuild;
mod select;
mod sf;
mod signer;
mod store;
mod verified;
mod verify;

pub use algorithm::Algorithm;
pub use authority::Scheme;
pub use error::{SignError, SignatureRejection, SigningConfigError};
pub use guard::SignatureGuard;
pub use input::{MAX_NONCE_LEN, MIN_NONCE_LEN};
pub use key::{MIN_HMAC_SECRET_LEN, VerificationKey};
#[cfg(feature = "redis")]
pub use keys::RedisKeyResolver;
pub use keys::{AnyKeyResolver, KeyResolver, MemoryKeyResolver};
pub use policy::{
    DEFAULT_CLOCK_SKEW, DEFAULT_COMPONENTS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_WINDOW,
    SignaturePolicy, SignaturePolicyBuilder,
};
pub use reason::Reason;
pub use rebuild::signature_base;
pub use signer::Signer;
pub use store::DEFAULT_NONCE_CAPACITY;
#[cfg(feature = "redis")]
pub use store::RedisNonceStore;
pub use store::{AnyNonceStore, MemoryNonceStore, NonceStore};
pub use verified::VerifiedSignature;
pub use verify::{PendingSignature, Verifier};
