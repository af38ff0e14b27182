#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod breaker;
mod client;
mod config;
mod connection;
mod de;
mod error;
mod heartbeat;
#[cfg(feature = "testing")]
mod local_cluster;
mod scan;
mod script;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use breaker::BreakerState;
pub use client::Redis;
pub use config::{
    MAX_BREAKER_COOLDOWN, MAX_CLUSTER_NODES, MAX_POOL_SIZE, RedisConfig, RedisConfigError,
};
pub use connection::Connection;
pub use error::RedisError;
pub use heartbeat::Heartbeat;
pub use scan::KeyScan;
pub use script::Script;

/// The `redis` crate, re-exported for store implementations.
pub use redis;
