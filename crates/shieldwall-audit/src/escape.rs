//! Client text made fit for a log line: escaped, then cut to a limit.
//!
//! Escaped here, once, when the event is built (in the writer task, before
//! any sink sees it), so that every sink gets the same safe text: JSON
//! escaping (file, Redis) covers CR and LF but not ESC or bidi overrides,
//! and a tracing subscriber may print a value as it is.

use std::fmt::Write as _;

/// Appended to a value that was cut.
pub(crate) const CUT_MARK: &str = "\u{2026}";

/// Appends `input` to `out` as log-safe text of at most `limit` bytes.
///
/// - `\` becomes `\\`, CR `\r`, LF `\n`; every other character that hides
///   or moves text (C0 and C1 controls, DEL, ESC, bidi controls U+202A..E
///   and U+2066..9, zero-width and other default-ignorable characters, the
///   line and paragraph separators; the list of
///   [`shieldwall_sanitize::is_invisible`]) becomes `\u{..}` in lowercase
///   hex; a byte that is not UTF-8 becomes `\x..`. So the text holds no
///   control or bidi character, and a backslash in it always starts an
///   escape (a client cannot type text that passes for an escaped ESC).
/// - A value longer than `limit` is cut at a character (or escape)
///   boundary and ends with `…`, the whole within `limit` bytes.
///
/// Only the first `limit + 1` bytes of `input` can matter (each byte gives
/// at least one byte of output), so a caller may keep just those.
pub(crate) fn escape_into(out: &mut String, input: &[u8], limit: usize) {
    // Without a short circuit, so that the check runs many bytes at a time.
    let plain = input.iter().fold(true, |plain, &b| plain & is_plain(b));
    if plain
        && input.len() <= limit
        && let Ok(plain) = std::str::from_utf8(input)
    {
        // Printable ASCII without `\`: nothing to escape, nothing to cut.
        out.push_str(plain);
        return;
    }
    let mut cut = Cut::new(out, limit);
    for chunk in input.utf8_chunks() {
        for c in chunk.valid().chars() {
            if !cut.push_char(c) {
                cut.finish_cut();
                return;
            }
        }
        for &byte in chunk.invalid() {
            if !cut.push_with(4, |text| write!(text, "\\x{byte:02x}")) {
                cut.finish_cut();
                return;
            }
        }
    }
}

/// [`escape_into`] into a new string.
#[cfg(test)]
pub(crate) fn escape_bytes(input: &[u8], limit: usize) -> String {
    let mut out = String::new();
    escape_into(&mut out, input, limit);
    out
}

/// [`escape_bytes`] for text.
#[cfg(test)]
pub(crate) fn escape_str(input: &str, limit: usize) -> String {
    escape_bytes(input.as_bytes(), limit)
}

/// Printable ASCII other than `\`.
fn is_plain(byte: u8) -> bool {
    (0x20..=0x7e).contains(&byte) & (byte != b'\\')
}

/// The output under construction: `out` from `base` on, with the last
/// length at which the cut mark still fits.
struct Cut<'a> {
    out: &'a mut String,
    base: usize,
    limit: usize,
    /// The length to cut back to if a later piece does not fit.
    keep: usize,
}

impl<'a> Cut<'a> {
    fn new(out: &'a mut String, limit: usize) -> Self {
        let base = out.len();
        Self {
            out,
            base,
            limit,
            keep: base,
        }
    }

    /// Bytes written so far.
    fn written(&self) -> usize {
        self.out.len() - self.base
    }

    /// Appends one character, escaped; false when it does not fit.
    fn push_char(&mut self, c: char) -> bool {
        match c {
            '\\' => self.push("\\\\"),
            '\r' => self.push("\\r"),
            '\n' => self.push("\\n"),
            c if shieldwall_sanitize::is_invisible(c) => {
                let code = u32::from(c);
                // `\u{` + lowercase hex digits + `}`.
                let digits = (32 - code.leading_zeros()).div_ceil(4).max(1) as usize;
                self.push_with(4 + digits, |text| write!(text, "\\u{{{code:x}}}"))
            }
            c => {
                let mut buf = [0_u8; 4];
                self.push(c.encode_utf8(&mut buf))
            }
        }
    }

    /// Appends `piece` whole; false when it does not fit.
    fn push(&mut self, piece: &str) -> bool {
        self.push_with(piece.len(), |text| {
            text.push_str(piece);
            Ok(())
        })
    }

    /// Appends what `write` writes, `len` bytes, whole; false when it does not fit.
    fn push_with(
        &mut self,
        len: usize,
        write: impl FnOnce(&mut String) -> std::fmt::Result,
    ) -> bool {
        if self.written().saturating_add(len) > self.limit {
            return false;
        }
        // Writing to a `String` cannot fail.
        let _ = write(self.out);
        if self.written().saturating_add(CUT_MARK.len()) <= self.limit {
            self.keep = self.out.len();
        }
        true
    }

    /// Cuts back to the last piece after which the mark fits, and marks it.
    fn finish_cut(self) {
        self.out.truncate(self.keep);
        if self.written().saturating_add(CUT_MARK.len()) <= self.limit {
            self.out.push_str(CUT_MARK);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_hiding_char(text: &str) -> bool {
        text.chars().any(shieldwall_sanitize::is_invisible)
    }

    #[test]
    fn plain_text_is_kept_as_is() {
        assert_eq!(escape_str("curl/8.5.0", 256), "curl/8.5.0");
        assert_eq!(escape_str("", 256), "");
        assert_eq!(escape_str("caf\u{e9} \u{4e2d}", 256), "caf\u{e9} \u{4e2d}");
    }

    #[test]
    fn crlf_ansi_and_bidi_are_escaped() {
        let escaped = escape_str("a\r\n2026-01-01 admin login ok", 256);
        assert_eq!(escaped, "a\\r\\n2026-01-01 admin login ok");
        assert_eq!(
            escape_str("\u{1b}[31mred\u{1b}[0m", 256),
            "\\u{1b}[31mred\\u{1b}[0m"
        );
        for c in '\u{202a}'..='\u{202e}' {
            let escaped = escape_str(&format!("x{c}y"), 256);
            assert_eq!(escaped, format!("x\\u{{{:x}}}y", u32::from(c)));
        }
        for c in '\u{2066}'..='\u{2069}' {
            assert!(!has_hiding_char(&escape_str(&format!("x{c}y"), 256)));
        }
        // C1 controls, NUL, DEL, tab, the line separator.
        assert_eq!(
            escape_str("\u{85}\u{9b}\0\u{7f}\t\u{2028}", 256),
            "\\u{85}\\u{9b}\\u{0}\\u{7f}\\u{9}\\u{2028}"
        );
    }

    #[test]
    fn a_backslash_always_starts_an_escape() {
        // Typed by the client: it must not pass for an escaped ESC.
        assert_eq!(escape_str("\\u{1b}", 256), "\\\\u{1b}");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_escaped() {
        assert_eq!(escape_bytes(b"ok\xff\xfe!", 256), "ok\\xff\\xfe!");
        // A truncated multi-byte character.
        assert_eq!(escape_bytes(b"a\xe2\x80", 256), "a\\xe2\\x80");
    }

    #[test]
    fn long_values_are_cut_within_the_limit_and_marked() {
        let long = "a".repeat(300);
        let cut = escape_str(&long, 256);
        assert_eq!(cut.len(), 256);
        assert!(cut.ends_with(CUT_MARK));
        assert_eq!(cut.trim_end_matches(CUT_MARK), "a".repeat(253));
        // Exactly at the limit: kept whole.
        assert_eq!(escape_str(&"a".repeat(256), 256), "a".repeat(256));
    }

    #[test]
    fn cuts_fall_on_character_and_escape_boundaries() {
        // Three-byte characters: never split.
        let wide = "\u{4e2d}".repeat(100);
        for limit in 16..64 {
            let cut = escape_str(&wide, limit);
            assert!(cut.len() <= limit, "{limit}");
            assert!(cut.ends_with(CUT_MARK));
            assert!(
                cut.trim_end_matches(CUT_MARK)
                    .chars()
                    .all(|c| c == '\u{4e2d}')
            );
        }
        // Escapes: never split either.
        let escapes = "\u{1b}".repeat(100);
        for limit in 16..64 {
            let cut = escape_str(&escapes, limit);
            assert!(cut.len() <= limit, "{limit}");
            let body = cut.trim_end_matches(CUT_MARK);
            assert_eq!(body.len() % 6, 0, "{cut}");
            assert!(body.split("\\u{1b}").all(str::is_empty));
        }
    }

    #[test]
    fn only_the_first_limit_plus_one_bytes_matter() {
        let inputs = [
            "a".repeat(300),
            "\u{e9}".repeat(150),
            "\u{1f600}".repeat(80),
            "\u{1b}[31m".repeat(60),
            "ab\u{202e}".repeat(70),
        ];
        for input in &inputs {
            let mut bytes = input.as_bytes().to_vec();
            bytes.extend_from_slice(b"\xff\xfe tail");
            for limit in [16, 17, 18, 19, 20, 63, 64, 100, 255, 256] {
                let head = bytes.get(..=limit).unwrap();
                assert_eq!(
                    escape_bytes(head, limit),
                    escape_bytes(&bytes, limit),
                    "{limit} {input:?}"
                );
            }
        }
    }

    #[test]
    fn nothing_that_hides_survives_any_input() {
        let mut all = String::new();
        for code in (0..0x3000).chain(0xfe00..0xff00).chain(0xe0000..0xe0100) {
            if let Some(c) = char::from_u32(code) {
                all.push(c);
            }
        }
        let escaped = escape_str(&all, usize::MAX);
        assert!(!has_hiding_char(&escaped));
        assert!(!escaped.contains('\u{1b}'));
    }
}
