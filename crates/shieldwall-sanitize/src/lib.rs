#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

#[cfg(feature = "html")]
mod html;
mod keys;
mod sanitize;
mod text;

#[cfg(feature = "html")]
pub use html::HtmlPolicy;
pub use keys::{KeyPolicy, is_forbidden_key, strip_forbidden_keys};
pub use sanitize::Sanitize;
pub use text::{
    InvisibleChar, check_identifier, clean_identifier, clean_identifier_in_place, header_safe,
    is_invisible, log_safe,
};
