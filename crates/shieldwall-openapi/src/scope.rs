//! Scope names, checked when a protection is built.

use crate::OpenApiConfigError;

/// The scopes, each an RFC 6749 scope token (`1*( %x21 / %x23-5B / %x5D-7E )`),
/// duplicates dropped, order kept.
pub(crate) fn scopes<I, S>(scopes: I) -> Result<Vec<String>, OpenApiConfigError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut checked: Vec<String> = Vec::new();
    for scope in scopes {
        let scope = scope.into();
        let token = !scope.is_empty()
            && scope.len() <= 128
            && scope
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if !token {
            return Err(OpenApiConfigError::Scope(scope));
        }
        if !checked.contains(&scope) {
            checked.push(scope);
        }
    }
    Ok(checked)
}
