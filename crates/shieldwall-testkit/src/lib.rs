//! Test fixtures of the shieldwall workspace (not published).
//!
//! - [`Case`], [`Expect`], [`assert_cases`]: the adapter-parity case table and
//!   its checks. One table runs through axum and actix-web in process
//!   (`tests/parity.rs`) and against both example servers over HTTP
//!   (`tests/e2e.rs`); each answer must meet the case's expectation, and the
//!   adapters' answers must be equal to each other.
//! - [`client`]: a raw HTTP/1.1 client that sends hostile bytes unchanged.
//! - [`fault_proxy`]: a TCP proxy that makes Redis slow, silent or gone on
//!   command (`tests/faults.rs`).
//! - [`server`]: starts an example server as a process on `127.0.0.1:0`.
//! - [`TempDir`]: a throwaway directory; [`tls::self_signed`]: a throwaway
//!   certificate for `127.0.0.1` in one.
//! - `adapters` (feature `adapters`): a case table through axum and
//!   actix-web in process, each answer an [`Observed`].
//! - `auth_server` (feature `auth-server`): a local authorization server on
//!   loopback (OIDC discovery, a JWKS with key rotation, minted tokens).
#![allow(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test fixtures, not a public API: a fixture that fails is a test that fails"
)]

#[cfg(feature = "adapters")]
pub mod adapters;
#[cfg(feature = "auth-server")]
pub mod auth_server;
mod case;
pub mod client;
pub mod fault_proxy;
pub mod server;
mod temp_dir;
pub mod tls;

pub use case::{
    Case, DEFAULT_PEER, Expect, HeaderExpect, Observed, RequestIdExpect, TestRequest, assert_cases,
};
pub use temp_dir::TempDir;
