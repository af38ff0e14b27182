#![doc = include_str!("../README.md")]

mod extract;
mod guard;
mod layer;

pub use extract::{ApiKey, Authenticated, Claims, ClientIp, Json, OptionalJson, Path, RequestId};
pub use guard::{GuardLayer, GuardService};
pub use layer::{Shieldwall, ShieldwallLayer};

pub use shieldwall_core as core;
pub use shieldwall_errors::ApiError;
