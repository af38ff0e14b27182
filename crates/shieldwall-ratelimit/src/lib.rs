#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod algorithm;
mod builder;
mod de;
mod error;
mod headers;
mod key;
mod limiter;
mod policy;
mod quota;
mod store;

pub use algorithm::{Algorithm, Reservation, Verdict};
pub use builder::RateLimiterBuilder;
pub use error::{RateLimitConfigError, RateLimited};
pub use headers::{RATELIMIT, RATELIMIT_POLICY};
pub use key::{KeyBytes, KeyFn, KeyInput, KeyStrategy};
pub use limiter::RateLimiter;
pub use policy::{FailureMode, Policy, PolicyBuilder, Skip};
pub use quota::{MAX_WINDOW, Quota};
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{AnyRateStore, MemoryStore, RateStore};
