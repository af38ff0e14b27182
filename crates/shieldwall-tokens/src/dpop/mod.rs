//! DPoP-bound access tokens (RFC 9449, feature `dpop`).
//!
//! A token whose claims carry `cnf.jkt` is bound to the key with that
//! RFC 7638 thumbprint: [`BearerGuard::dpop`](crate::BearerGuard::dpop)
//! accepts it only as `Authorization: DPoP <token>` with a `DPoP` header
//! holding a proof signed by that key for this request
//! ([`DpopPolicy::verify_proof`] says what is checked, in order). A bound
//! token sent as `Bearer` is refused (section 7.2), and so is a token bound
//! to no key sent as `DPoP` (section 7.1 asks that the proof's key be the
//! token's). Tokens without `cnf.jkt` keep working as `Bearer`.
//!
//! Each proof's `jti` is remembered in the replay store of request signing
//! ([`NonceStore`]: [`MemoryNonceStore`] for one instance, `RedisNonceStore`
//! with the `redis` feature for all of them), so a replayed proof fails on
//! every instance sharing the store.
//!
//! Every refusal answers 401 `INVALID_TOKEN` with
//! `WWW-Authenticate: DPoP error="invalid_dpop_proof", algs="..."` (a proof
//! that is missing, malformed, replayed or does not fit) or
//! `DPoP error="invalid_token", algs="..."` (the token does not fit the
//! scheme), one answer whatever the reason; the reason goes to logs and the
//! audit record ([`DpopRejection::reason`], [`DpopErrorKind`]). A replay
//! store that cannot answer is 503 `SERVICE_UNAVAILABLE`: fail closed.
//!
//! ```
//! use shieldwall_core::Secret;
//! use shieldwall_tokens::dpop::{DpopPolicy, MemoryNonceStore};
//! use shieldwall_tokens::{Algorithm, BearerGuard, KeySet, MemoryRevocations, Verifier, VerifyingKey};
//!
//! # let key = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![1; 32]))?;
//! let verifier = Verifier::builder(KeySet::new([key])?, MemoryRevocations::new()).build()?;
//! let dpop = DpopPolicy::builder(MemoryNonceStore::new())
//!     // What clients write in `htu`; the request's path is appended.
//!     .public_origin("https://api.example.com")
//!     .build()?;
//! let guard = BearerGuard::new(verifier).dpop(dpop);
//! # drop(guard);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod guard;
mod htu;
mod jwk;
mod policy;
mod proof;
mod store;

pub use error::{DpopConfigError, DpopErrorKind, DpopRejection};
pub use policy::{
    DEFAULT_CLOCK_SKEW, DEFAULT_MAX_AGE, DpopPolicy, DpopPolicyBuilder, MAX_PROOF_LEN,
};
pub use proof::ProofInput;
#[cfg(feature = "redis")]
pub use shieldwall_signing::RedisNonceStore;
pub use shieldwall_signing::{DEFAULT_NONCE_CAPACITY, MemoryNonceStore, NonceStore};
