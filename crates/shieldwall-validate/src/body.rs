//! `parse_body`: a JSON body under the route's body policy, then `T`'s
//! rules and cleaning. The policy itself is shieldwall-core's [`BodyPolicy`].

use serde::de::DeserializeOwned;
use shieldwall_core::BodyPolicy;
use shieldwall_errors::ApiError;
use shieldwall_sanitize::Sanitize;
use validator::Validate;

use crate::check::check;

/// Reads a body already read in full under `policy` (every rule of it, the
/// key rule included: [`BodyPolicy::parse_with_key_rule`]), then validates
/// it with `T`'s `validator` rules, cleans it with its [`Sanitize`] impl and
/// validates it again if cleaning changed it ([`check`]). What the
/// adapters' `Valid<Json<T>>` runs once the body is read.
///
/// ```
/// use shieldwall_core::BodyPolicy;
/// use shieldwall_validate::{Sanitize, Validate, parse_body};
///
/// #[derive(serde::Deserialize, Validate)]
/// struct Search { #[validate(length(max = 50))] name: String }
/// impl Sanitize for Search {}
///
/// let policy = BodyPolicy::default();
/// let ok: Search = parse_body(&policy, br#"{"name": "ada"}"#).unwrap();
/// assert_eq!(ok.name, "ada");
/// let err = parse_body::<Search>(&policy, br#"{"name": {"$ne": null}}"#).err().unwrap();
/// assert_eq!(err.code().as_str(), "VALIDATION_FAILED");
/// ```
pub fn parse_body<T>(policy: &BodyPolicy, body: &[u8]) -> Result<T, ApiError>
where
    T: DeserializeOwned + Validate + Sanitize,
{
    let mut value: T = policy.parse_with_key_rule(body)?;
    check(&mut value, || serde_json::from_slice(body).ok())?;
    Ok(value)
}
