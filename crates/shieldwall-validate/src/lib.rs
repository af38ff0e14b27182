#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod body;
mod check;
mod errors;
mod names;
mod pagination;
mod query;
pub mod rules;

pub use body::parse_body;
pub use check::check;
pub use errors::validation_failed;
pub use pagination::{PageHeaders, Pagination, SortOrder, page_headers};
pub use query::{parse_path, parse_query};
pub use shieldwall_sanitize::{KeyPolicy, Sanitize};
pub use validator::{self, Validate, ValidationError, ValidationErrors};
