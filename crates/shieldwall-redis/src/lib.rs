#![doc = include_str!("../README.md")]

mod client;
mod config;
mod error;
mod script;
pub mod testing;

pub use client::Redis;
pub use config::{RedisConfig, RedisConfigError};
pub use error::StoreError;
pub use script::Script;

/// The `redis` crate, re-exported for store implementations.
pub use redis;
