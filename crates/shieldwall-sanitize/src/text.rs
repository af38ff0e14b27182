//! Characters that hide: control characters, bidi overrides, zero-width
//! characters; and CR/LF, which must not reach a header or a log line.

use std::borrow::Cow;

/// Whether `c` is invisible or reorders text: a control character (C0, DEL,
/// C1), a bidi control (U+061C, U+200E, U+200F, U+202A..U+202E,
/// U+2066..U+2069), a zero-width or invisible format character (U+200B..U+200D,
/// U+2060..U+2064, U+FEFF, U+180E, U+00AD soft hyphen).
#[must_use]
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// An invisible character in an identifier-like field, by position (the
/// character itself is not kept: it may be part of something secret).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvisibleChar {
    /// Its index in characters.
    pub position: usize,
}

impl std::fmt::Display for InvisibleChar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "an invisible or control character at position {}",
            self.position
        )
    }
}

impl std::error::Error for InvisibleChar {}

/// Refuses identifier-like text (user names, slugs, emails) holding an
/// invisible character.
pub fn check_identifier(text: &str) -> Result<(), InvisibleChar> {
    match text.chars().position(is_invisible) {
        Some(position) => Err(InvisibleChar { position }),
        None => Ok(()),
    }
}

/// Removes invisible characters: borrowed when there are none.
///
/// ```
/// use shieldwall_sanitize::clean_identifier;
///
/// assert_eq!(clean_identifier("ad\u{200b}min"), "admin");
/// assert_eq!(clean_identifier("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
/// ```
#[must_use]
pub fn clean_identifier(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_invisible) {
        Cow::Owned(text.chars().filter(|c| !is_invisible(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// [`clean_identifier`] in place; true when it changed.
pub fn clean_identifier_in_place(field: &mut String) -> bool {
    match clean_identifier(field) {
        Cow::Borrowed(_) => false,
        Cow::Owned(cleaned) => {
            *field = cleaned;
            true
        }
    }
}

/// Text fit for a header value: CR, LF, NUL and other control characters
/// (tab excepted) become spaces, so no value can start a new header.
///
/// ```
/// use shieldwall_sanitize::header_safe;
///
/// assert_eq!(header_safe("a\r\nSet-Cookie: x"), "a  Set-Cookie: x");
/// ```
#[must_use]
pub fn header_safe(text: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\t';
    if text.chars().any(bad) {
        Cow::Owned(text.chars().map(|c| if bad(c) { ' ' } else { c }).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Text fit for one log line: CR and LF written as `\r` and `\n`, other
/// control and bidi characters as `\u{..}`, so no value can forge a line
/// or reorder one.
///
/// ```
/// use shieldwall_sanitize::log_safe;
///
/// assert_eq!(log_safe("bob\n2026-01-01 admin logged in"), "bob\\n2026-01-01 admin logged in");
/// ```
#[must_use]
pub fn log_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if is_invisible(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_found_removed_or_refused() {
        for c in [
            '\0', '\u{7}', '\u{7f}', '\u{85}', '\u{200b}', '\u{200d}', '\u{202e}', '\u{2066}',
            '\u{feff}', '\u{ad}',
        ] {
            assert!(is_invisible(c), "{:x}", u32::from(c));
            let text = format!("ab{c}cd");
            assert_eq!(clean_identifier(&text), "abcd");
            assert_eq!(check_identifier(&text), Err(InvisibleChar { position: 2 }));
        }
        for c in ['a', 'é', ' ', '-', '中', '🎉', '\u{2013}'] {
            assert!(!is_invisible(c));
        }
        assert!(matches!(clean_identifier("plain"), Cow::Borrowed(_)));
        assert_eq!(log_safe("a\u{202e}b\r\nc"), "a\\u{202e}b\\r\\nc");
        assert_eq!(header_safe("ok\tvalue"), "ok\tvalue");
    }
}
