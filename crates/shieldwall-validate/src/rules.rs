//! Rules for `#[validate(custom(function = ...))]` that validator lacks.

use std::borrow::Cow;

use shieldwall_sanitize::check_identifier;
use validator::ValidationError;

/// Refuses text holding control, bidi or zero-width characters: for
/// identifier-like fields (emails, user names, slugs), where an invisible
/// character makes two different values look the same.
///
/// ```
/// use shieldwall_validate::{Validate, rules};
///
/// #[derive(Validate)]
/// struct Signup { #[validate(custom(function = "rules::visible"))] username: String }
///
/// assert!(Signup { username: "ada".into() }.validate().is_ok());
/// assert!(Signup { username: "ad\u{200b}a".into() }.validate().is_err());
/// ```
pub fn visible(text: &str) -> Result<(), ValidationError> {
    check_identifier(text).map_err(|_| {
        ValidationError::new("invisible_character").with_message(Cow::Borrowed(
            "must not contain invisible or control characters",
        ))
    })
}
