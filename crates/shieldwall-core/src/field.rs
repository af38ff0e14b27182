//! How an error names a field: serde's path, in which every name a client
//! could have chosen (an unknown member, a map key, a query parameter) is
//! shown only when it is a plain identifier.

use serde_path_to_error::{Path, Segment};
use shieldwall_errors::FieldError;

/// What an error shows instead of a name that is not a plain identifier.
/// It holds no markup, quote or ampersand, and no client can send it as a
/// name that would be shown (parentheses are not part of a plain
/// identifier), so it is never mistaken for a real member.
pub const UNNAMED_FIELD: &str = "(unknown)";

/// The longest name [`field_name`] shows, in bytes (ASCII: in characters).
pub const MAX_FIELD_NAME: usize = 64;

/// The longest field path an error names; a longer one is cut at a segment
/// boundary.
pub(crate) const MAX_FIELD_PATH: usize = 128;

/// A name as an error may show it: `name` itself when it is a plain
/// identifier (1 to [`MAX_FIELD_NAME`] ASCII letters, digits, `_`, `-` and
/// `.`), else [`UNNAMED_FIELD`].
///
/// Every name in a field path that shieldwall builds goes through here:
/// members, map keys and query parameters are chosen by the client, and a
/// client that names a member `<img src=x onerror=alert(1)>` must not get
/// that markup back in the error body (a page or a log viewer that shows
/// `errors[].field` unescaped would run it). A name a type declares passes
/// unchanged when it is plain, as names almost always are; a path builder
/// cannot tell the type's names from the client's, so an exotic `rename`
/// (with a space, say) is shown as [`UNNAMED_FIELD`] too.
///
/// ```
/// use shieldwall_core::{UNNAMED_FIELD, field_name};
///
/// assert_eq!(field_name("isAdmin"), "isAdmin");
/// assert_eq!(field_name("e-mail.v2_x"), "e-mail.v2_x");
/// assert_eq!(field_name("<img src=x onerror=alert(1)>"), UNNAMED_FIELD);
/// assert_eq!(field_name("naïve"), UNNAMED_FIELD);
/// assert_eq!(field_name(""), UNNAMED_FIELD);
/// assert_eq!(field_name(&"k".repeat(65)), UNNAMED_FIELD);
/// ```
#[must_use]
pub fn field_name(name: &str) -> &str {
    let plain = (1..=MAX_FIELD_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if plain { name } else { UNNAMED_FIELD }
}

/// Appends one name to a path (`a` + `b` is `a.b`), through [`field_name`].
pub(crate) fn push_name(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(field_name(name));
}

/// Appends one index to a path (`a` + 2 is `a[2]`).
pub(crate) fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

/// serde's path as `a.b[2].c` (empty at the root), every name through
/// [`field_name`], cut at 128 characters on a segment boundary. A key that
/// is not a string (serde_path_to_error's `?`) is [`UNNAMED_FIELD`] too.
#[must_use]
pub fn field_path(path: &Path) -> String {
    cap_path(uncapped(path))
}

fn uncapped(path: &Path) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => push_index(&mut out, *index),
            Segment::Map { key } | Segment::Enum { variant: key } => push_name(&mut out, key),
            Segment::Unknown => push_name(&mut out, UNNAMED_FIELD),
        }
    }
    out
}

/// The field error for serde's `message` about the field at `path` (any
/// serde format: JSON bodies, query strings): the path as [`field_path`]
/// writes it, a stable code and a fixed text; the message itself, which
/// quotes submitted values, is not kept. A missing or repeated field is
/// named by serde (a name from the type), through [`field_name`] as well.
#[must_use]
pub fn field_error(path: &Path, message: &str) -> FieldError {
    let (code, text) = classify(message);
    let mut field = uncapped(path);
    if code == "missing" || code == "duplicate_field" {
        push_name(&mut field, message.split('`').nth(1).unwrap_or_default());
    }
    FieldError::new(cap_path(field), code, text)
}

/// Cuts a path longer than [`MAX_FIELD_PATH`] at a segment boundary.
pub(crate) fn cap_path(path: String) -> String {
    if path.len() <= MAX_FIELD_PATH {
        return path;
    }
    let mut end = 0;
    for (index, ch) in path.char_indices() {
        if index > MAX_FIELD_PATH {
            break;
        }
        if ch == '.' || ch == '[' {
            end = index;
        }
    }
    path.get(..end).unwrap_or_default().to_owned()
}

/// Maps serde's message to a stable code and a fixed template; the message
/// itself (which quotes the submitted value) is never sent.
pub(crate) fn classify(message: &str) -> (&'static str, &'static str) {
    if message.starts_with("invalid type") {
        ("invalid_type", "has the wrong type")
    } else if message.starts_with("missing field") {
        ("missing", "is required")
    } else if message.starts_with("unknown field") {
        ("unknown_field", "is not allowed")
    } else if message.starts_with("duplicate field") {
        ("duplicate_field", "appears more than once")
    } else {
        ("invalid_value", "has an invalid value")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn path_of<T: serde::de::DeserializeOwned>(json: &str) -> (Path, String) {
        let mut de = serde_json::Deserializer::from_str(json);
        let err = serde_path_to_error::deserialize::<_, T>(&mut de)
            .err()
            .unwrap();
        (err.path().clone(), err.inner().to_string())
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        name: String,
        tags: Option<HashMap<String, Vec<u8>>>,
    }

    #[test]
    fn plain_identifiers_only() {
        for plain in [
            "a",
            "isAdmin",
            "zip_code",
            "e-mail",
            "v1.2",
            &"k".repeat(64),
        ] {
            assert_eq!(field_name(plain), plain);
        }
        for not in [
            "",
            "<img src=x onerror=alert(1)>",
            "a b",
            "a\"b",
            "a'b",
            "a&b",
            "a<b",
            "tab\there",
            "new\nline",
            "caf\u{e9}",
            "\u{202e}x",
            "x[0]",
            &"k".repeat(65),
        ] {
            assert_eq!(field_name(not), UNNAMED_FIELD, "{not:?}");
        }
        // The placeholder is not plain itself: no client name can be shown as it.
        assert_eq!(field_name(UNNAMED_FIELD), UNNAMED_FIELD);
        for c in ['<', '>', '&', '"', '\''] {
            assert!(!UNNAMED_FIELD.contains(c));
        }
    }

    #[test]
    fn an_unknown_member_is_named_only_when_plain() {
        let (path, message) = path_of::<Strict>(r#"{"name":"a","<img src=x onerror=alert(1)>":1}"#);
        let error = field_error(&path, &message);
        assert_eq!(
            (error.field.as_ref(), error.code.as_ref()),
            (UNNAMED_FIELD, "unknown_field")
        );
        let (path, message) = path_of::<Strict>(r#"{"name":"a","isAdmin":true}"#);
        assert_eq!(field_error(&path, &message).field, "isAdmin");
    }

    #[test]
    fn map_keys_in_a_nested_path_are_named_only_when_plain() {
        let (path, message) =
            path_of::<Strict>(r#"{"name":"a","tags":{"ok":[1],"<svg onload=alert(1)>":[1, "x"]}}"#);
        let error = field_error(&path, &message);
        assert_eq!(error.field, "tags.(unknown)[1]");
        assert_eq!(error.code, "invalid_type");
        let (path, message) = path_of::<Strict>(r#"{"name":"a","tags":{"k-1.b":[300]}}"#);
        assert_eq!(field_error(&path, &message).field, "tags.k-1.b[0]");
        assert_eq!(field_path(&path), "tags.k-1.b[0]");
    }

    #[test]
    fn missing_fields_are_named_after_the_path() {
        let (path, message) = path_of::<Strict>(r#"{"tags":{}}"#);
        let error = field_error(&path, &message);
        assert_eq!(
            (error.field.as_ref(), error.code.as_ref()),
            ("name", "missing")
        );
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            items: Vec<Strict>,
        }
        let (path, message) = path_of::<Outer>(r#"{"items":[{"name":"a"},{}]}"#);
        assert_eq!(field_error(&path, &message).field, "items[1].name");
    }
}
