#![doc = include_str!("../README.md")]

mod api_error;
mod code;
mod problem;
mod rejection;

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
mod axum;

pub use api_error::{ApiError, Source, render};
pub use code::ErrorCode;
pub use problem::{FieldError, PROBLEM_JSON, Problem};
pub use rejection::Rejection;

/// The `http` crate, re-exported: the types every decision speaks.
pub use http;
