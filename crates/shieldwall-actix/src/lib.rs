#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod body_guard;
mod extract;
mod guard;
mod headers;
mod layer;
mod resource;
mod route;
mod stack;
#[cfg(feature = "validate")]
mod valid;
mod view;

pub use body_guard::{BodyGuardMiddleware, BodyGuardService};
pub use extract::{
    ApiKey, ApiVersion, Authenticated, Claims, ClientIp, Json, OptionalJson, Path, RequestId,
};
pub use guard::{GuardFuture, GuardMiddleware, GuardService};
pub use layer::{Shieldwall, ShieldwallService};
pub use resource::{Resource, resource};
pub use stack::{ActixGuards, GuardsMiddleware};
pub use view::ActixView;

#[cfg(feature = "validate")]
pub use shieldwall_validate::{Pagination, Sanitize, SortOrder, Validate, page_headers};
#[cfg(feature = "validate")]
pub use valid::{Valid, ValidPath, ValidQuery};

pub use shieldwall_core as core;
// The route's JSON body rules: `Json`, `OptionalJson` and `Valid<Json<T>>` read one `BodyPolicy`.
pub use shieldwall_core::{BodyPolicy, KeyPolicy};
pub use shieldwall_errors::ApiError;
