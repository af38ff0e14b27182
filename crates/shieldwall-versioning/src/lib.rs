#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod accept;
mod builder;
mod date;
mod deprecation;
mod error;
mod grammar;
mod guard;
mod policy;
#[cfg(test)]
mod tests;

pub use builder::VersionPolicyBuilder;
pub use date::utc_date;
pub use deprecation::{DEPRECATION, Deprecation, SUNSET};
pub use error::{VersionConfigError, VersionRejected, VersionRejectedKind};
pub use policy::VersionPolicy;
pub use shieldwall_core::Version;
