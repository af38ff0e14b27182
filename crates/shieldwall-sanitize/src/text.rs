//! Characters that hide: control characters, bidi overrides, zero-width
//! characters; and CR/LF, which must not reach a header or a log line.

use std::borrow::Cow;

/// Whether `c` is invisible, reorders text or breaks a line where one is not
/// expected: control characters (C0, DEL, C1); Unicode's default-ignorable
/// code points (soft hyphen, combining grapheme joiner, Hangul fillers,
/// zero-width characters, bidi controls U+061C, U+200E/F, U+202A..E,
/// U+2066..9, invisible operators, deprecated format characters, variation
/// selectors, tag characters, U+FEFF, ...); other format characters
/// (U+0600..5, U+06DD, U+070F, U+08E2, U+FFF9..B, ...); and the line and
/// paragraph separators U+2028 and U+2029.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
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

/// Whether `text` holds an invisible character; ASCII text by its bytes.
fn has_invisible(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b < 0x20 || b == 0x7f)
    } else {
        text.chars().any(is_invisible)
    }
}

/// Refuses identifier-like text (user names, slugs, emails) holding an
/// invisible character.
pub fn check_identifier(text: &str) -> Result<(), InvisibleChar> {
    if !has_invisible(text) {
        return Ok(());
    }
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
    if has_invisible(text) {
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
