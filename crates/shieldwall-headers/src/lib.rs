#![doc = include_str!("../README.md")]

mod policy;

pub use policy::{HeadersConfigError, SecurityHeaders, SecurityHeadersBuilder};
