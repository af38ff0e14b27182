#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod api_error;
mod code;
mod custom;
mod problem;
mod rejection;
mod types;

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
mod axum;

pub use api_error::{ApiError, Source, render};
pub use code::ErrorCode;
pub use custom::{CustomCode, CustomCodeError};
pub use problem::{FieldError, PROBLEM_JSON, Problem};
pub use rejection::Rejection;
pub use types::{ProblemTypeError, ProblemTypes};

/// The `http` crate, re-exported: the types every decision speaks.
pub use http;
