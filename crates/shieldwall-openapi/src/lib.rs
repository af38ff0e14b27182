#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod apply;
mod components;
mod error;
mod headers;
mod protection;
mod responses;
mod schema;
mod scope;
mod shared;
#[cfg(test)]
mod tests;

pub use components::{
    API_KEY_SCHEME, BEARER_SCHEME, api_key_scheme, bearer_scheme, install, install_with_codes,
};
pub use error::OpenApiConfigError;
pub use protection::Protection;
pub use responses::problem_response;
pub use schema::{FIELD_ERROR_SCHEMA, PROBLEM_SCHEMA, field_error_schema, problem_schema};
pub use shared::{CORS_PREFLIGHT_DESCRIPTION, SharedResponses};

/// The `utoipa` this crate builds on, so that the versions always match.
pub use utoipa;
