#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod de;
mod guard;
mod origin;
mod policy;

pub use policy::{CorsConfigError, CorsPolicy, CorsPolicyBuilder};

/// An origin in the form browsers send it (`HTTPS://MyApp.com:443` is
/// `https://myapp.com`), or why it is not an origin. A configuration that
/// must be written exactly as browsers send it compares its text with this.
///
/// ```
/// assert_eq!(shieldwall_cors::serialize_origin("HTTPS://MyApp.com:443")?, "https://myapp.com");
/// assert!(shieldwall_cors::serialize_origin("https://myapp.com/path").is_err());
/// # Ok::<(), shieldwall_cors::CorsConfigError>(())
/// ```
pub fn serialize_origin(origin: &str) -> Result<String, CorsConfigError> {
    origin::Origin::parse(origin).map(|o| o.text)
}
