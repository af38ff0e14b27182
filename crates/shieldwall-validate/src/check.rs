//! Validation, then cleaning, then validation again if cleaning changed
//! anything.

use serde::de::DeserializeOwned;
use serde_json::Value;
use shieldwall_errors::ApiError;
use shieldwall_sanitize::Sanitize;
use validator::Validate;

use crate::errors::validation_failed;
use crate::names::serde_fields;

/// Validates `value`, cleans it, and validates it once more when cleaning
/// changed it (a name that was only markup is empty afterwards, and must
/// fail its length rule). Validating first bounds the cleaning work (a bio
/// over its length limit is refused before any HTML is parsed).
///
/// `sent` names nested fields in errors: what the client sent, as JSON,
/// when it is at hand (the extractors pass it only on the error path).
pub fn check<T>(value: &mut T, sent: impl FnOnce() -> Option<Value>) -> Result<(), ApiError>
where
    T: DeserializeOwned + Validate + Sanitize,
{
    let result = match value.validate() {
        Ok(()) if value.sanitize() => value.validate(),
        other => other,
    };
    result.map_err(|errors| validation_failed(&errors, serde_fields::<T>(), sent().as_ref()))
}
