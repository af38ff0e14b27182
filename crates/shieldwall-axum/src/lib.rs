#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod body_guard;
mod extract;
mod guard;
mod layer;
mod optional;
mod route;
mod stack;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "validate")]
mod valid;

pub use body_guard::{BodyGuardLayer, BodyGuardService};
pub use extract::{
    ApiKey, ApiVersion, Authenticated, Claims, ClientIp, Json, OptionalJson, Path, RequestId,
};
pub use guard::{GuardFuture, GuardLayer, GuardService};
pub use layer::{Shieldwall, ShieldwallLayer};
pub use route::{RouteTemplateFuture, RouteTemplateService, RouteTemplates};
pub use stack::{GuardsLayer, TowerGuards};
#[cfg(feature = "tls")]
pub use tls::{
    TLS_HANDSHAKE_TIMEOUT, TLS_MAX_CONNECTIONS, TLS_REQUEST_HEAD_TIMEOUT, TlsServer, serve_tls,
};

#[cfg(feature = "validate")]
pub use shieldwall_validate::{Pagination, Sanitize, SortOrder, Validate, page_headers};
#[cfg(feature = "validate")]
pub use valid::{Valid, ValidPath, ValidQuery};

pub use shieldwall_core as core;
// The route's JSON body rules: `Json`, `OptionalJson` and `Valid<Json<T>>` read one `BodyPolicy`.
pub use shieldwall_core::{BodyPolicy, KeyPolicy};
pub use shieldwall_errors::ApiError;
