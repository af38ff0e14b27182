#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod de;
mod policy;

pub use policy::{HeadersConfigError, SecurityHeaders, SecurityHeadersBuilder};
