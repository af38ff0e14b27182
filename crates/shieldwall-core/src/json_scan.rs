//! A structural pass over a JSON body before serde sees it: UTF-8 throughout
//! (also inside values serde would skip), nesting depth, duplicate keys in
//! every object at every depth (compared after unescaping), and keys a
//! caller forbids (also after unescaping: `"\u0024where"` is `$where`).
//!
//! It reads keys and structure only; string contents are skipped with
//! `memchr`, so the pass costs a fraction of parsing. It is lenient where
//! serde is strict (numbers, control characters in strings): serde parses
//! the body next and refuses those.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::field::{push_index, push_name};

/// Objects with more keys than this get a hash set for the duplicate check
/// (below it, a linear search is faster).
const LINEAR_KEYS: usize = 16;

/// One step of the way to where a problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// What the pass refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// Not UTF-8.
    Utf8,
    /// Not JSON.
    Syntax,
    /// Nested deeper than allowed.
    Depth,
    /// A key twice in one object; the path of that object.
    Duplicate(Vec<Segment>),
    /// A forbidden key; the path of the object holding it.
    Forbidden(Vec<Segment>),
}

impl ScanError {
    /// Adds the step the error was found under (errors collect their path
    /// while the recursion unwinds, so the happy path builds none).
    fn under(mut self, segment: impl FnOnce() -> Segment) -> Self {
        if let Self::Duplicate(path) | Self::Forbidden(path) = &mut self {
            path.push(segment());
        }
        self
    }

    /// The path from the root, as `a.b[2].c`; the keys are the client's,
    /// each shown only when it is a plain identifier ([`field_name`]).
    ///
    /// [`field_name`]: crate::field_name
    pub(crate) fn path(&self) -> String {
        let mut out = String::new();
        if let Self::Duplicate(path) | Self::Forbidden(path) = self {
            for segment in path.iter().rev() {
                match segment {
                    Segment::Key(key) => push_name(&mut out, key),
                    Segment::Index(index) => push_index(&mut out, *index),
                }
            }
        }
        out
    }
}

type Result<T> = std::result::Result<T, ScanError>;

/// Scans `body` (the whole of it must be one JSON value and whitespace).
pub(crate) fn scan(
    body: &[u8],
    max_depth: usize,
    forbidden: Option<&dyn Fn(&str) -> bool>,
) -> Result<()> {
    let text = std::str::from_utf8(body).map_err(|_| ScanError::Utf8)?;
    let mut scanner = Scanner {
        text,
        bytes: body,
        at: 0,
        max_depth,
        forbidden,
        keys: Vec::new(),
    };
    scanner.value(0)?;
    scanner.whitespace();
    if scanner.at == body.len() {
        Ok(())
    } else {
        Err(ScanError::Syntax)
    }
}

struct Scanner<'a, 'f> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    max_depth: usize,
    forbidden: Option<&'f dyn Fn(&str) -> bool>,
    /// The keys of the objects being scanned, innermost last: each object
    /// owns the tail from where it started.
    keys: Vec<Cow<'a, str>>,
}

impl<'a> Scanner<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        self.whitespace();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(ScanError::Syntax)
        }
    }

    fn value(&mut self, depth: usize) -> Result<()> {
        self.whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.skip_string(),
            Some(_) => self.scalar(),
            None => Err(ScanError::Syntax),
        }
    }

    /// Numbers, `true`, `false`, `null`: their characters (serde checks the form).
    fn scalar(&mut self) -> Result<()> {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'+' | b'-' | b'.')
        ) {
            self.at += 1;
        }
        if self.at == start {
            Err(ScanError::Syntax)
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<()> {
        if depth > self.max_depth {
            return Err(ScanError::Depth);
        }
        self.at += 1; // {
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        let first = self.keys.len();
        let mut large: Option<HashSet<Cow<'a, str>>> = None;
        let result = loop {
            self.whitespace();
            if self.peek() != Some(b'"') {
                break Err(ScanError::Syntax);
            }
            let key = match self.string() {
                Ok(key) => key,
                Err(err) => break Err(err),
            };
            if self.forbidden.is_some_and(|forbidden| forbidden(&key)) {
                break Err(ScanError::Forbidden(Vec::new()));
            }
            let seen = match &mut large {
                Some(set) => !set.insert(key.clone()),
                None => self
                    .keys
                    .get(first..)
                    .is_some_and(|keys| keys.contains(&key)),
            };
            if seen {
                break Err(ScanError::Duplicate(Vec::new()));
            }
            self.keys.push(key);
            if large.is_none() && self.keys.len() - first > LINEAR_KEYS {
                large = Some(
                    self.keys
                        .get(first..)
                        .unwrap_or_default()
                        .iter()
                        .cloned()
                        .collect(),
                );
            }
            if let Err(err) = self.expect(b':').and_then(|()| self.value(depth)) {
                let key = self
                    .keys
                    .last()
                    .map(|k| k.clone().into_owned())
                    .unwrap_or_default();
                break Err(err.under(|| Segment::Key(key)));
            }
            self.whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    break Ok(());
                }
                _ => break Err(ScanError::Syntax),
            }
        };
        self.keys.truncate(first);
        result
    }

    fn array(&mut self, depth: usize) -> Result<()> {
        if depth > self.max_depth {
            return Err(ScanError::Depth);
        }
        self.at += 1; // [
        self.whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            self.value(depth)
                .map_err(|err| err.under(|| Segment::Index(index)))?;
            self.whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(ScanError::Syntax),
            }
            index += 1;
        }
    }

    /// Skips a string value at `"` (serde checks its escapes).
    fn skip_string(&mut self) -> Result<()> {
        self.at += 1; // "
        loop {
            let rest = self.bytes.get(self.at..).ok_or(ScanError::Syntax)?;
            let offset = memchr::memchr2(b'"', b'\\', rest).ok_or(ScanError::Syntax)?;
            self.at += offset + 1;
            if rest.get(offset) == Some(&b'"') {
                return Ok(());
            }
            self.at += 1; // the escaped character
        }
    }

    /// A string at `"`: borrowed when it has no escapes, else unescaped.
    fn string(&mut self) -> Result<Cow<'a, str>> {
        self.at += 1; // "
        let start = self.at;
        let mut owned: Option<String> = None;
        let mut copied = start;
        loop {
            let rest = self.bytes.get(self.at..).ok_or(ScanError::Syntax)?;
            let offset = memchr::memchr2(b'"', b'\\', rest).ok_or(ScanError::Syntax)?;
            self.at += offset;
            if self.peek() == Some(b'"') {
                let tail = self.text.get(copied..self.at).ok_or(ScanError::Syntax)?;
                self.at += 1;
                return Ok(match owned {
                    Some(mut text) => {
                        text.push_str(tail);
                        Cow::Owned(text)
                    }
                    None => Cow::Borrowed(tail),
                });
            }
            // A backslash: copy what came before it, then the escaped character.
            let text = owned.get_or_insert_with(String::new);
            text.push_str(self.text.get(copied..self.at).ok_or(ScanError::Syntax)?);
            self.at += 1;
            let escaped = self.peek().ok_or(ScanError::Syntax)?;
            self.at += 1;
            match escaped {
                b'"' => text.push('"'),
                b'\\' => text.push('\\'),
                b'/' => text.push('/'),
                b'b' => text.push('\u{8}'),
                b'f' => text.push('\u{c}'),
                b'n' => text.push('\n'),
                b'r' => text.push('\r'),
                b't' => text.push('\t'),
                b'u' => {
                    let ch = self.unicode_escape()?;
                    text.push(ch);
                }
                _ => return Err(ScanError::Syntax),
            }
            copied = self.at;
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or(ScanError::Syntax)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ScanError::Syntax);
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| ScanError::Syntax)
    }

    /// After `\u`: one code point, a surrogate pair read whole. A lone
    /// surrogate becomes U+FFFD here (serde_json then refuses the body).
    fn unicode_escape(&mut self) -> Result<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.bytes.get(self.at..self.at + 2) == Some(b"\\u")
        {
            let save = self.at;
            self.at += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            self.at = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str) -> Result<()> {
        scan(body.as_bytes(), 4, Some(&|key: &str| key.starts_with('$')))
    }

    #[test]
    fn accepts_json_and_refuses_what_is_not() {
        for ok in [
            r#"{}"#,
            r#" {"a": [1, -2.5e3, true, null, "x\"y\\"], "b": {"c": "\u00e9"}} "#,
            r#"[{"a":1},{"a":1}]"#,
            r#""just a string""#,
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in [
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":}"#,
            r#"{a:1}"#,
            r#"{"a":1} x"#,
            r#"["#,
            "",
        ] {
            assert_eq!(check(bad), Err(ScanError::Syntax), "{bad}");
        }
        assert_eq!(scan(b"{\"a\":\"\xff\"}", 4, None), Err(ScanError::Utf8));
        // Escapes inside values are serde's to check; inside keys, ours.
        assert_eq!(check(r#"{"a":"\q"}"#), Ok(()));
        assert_eq!(check(r#"{"\q":1}"#), Err(ScanError::Syntax));
        assert_eq!(check(r#"{"\u12":1}"#), Err(ScanError::Syntax));
    }

    #[test]
    fn depth_duplicates_and_forbidden_keys_anywhere() {
        assert_eq!(check(r#"{"a":{"b":{"c":{"d":1}}}}"#), Ok(()));
        assert_eq!(
            check(r#"{"a":{"b":{"c":{"d":{}}}}}"#),
            Err(ScanError::Depth)
        );
        assert_eq!(check(r#"[[[[[]]]]]"#), Err(ScanError::Depth));

        let err = check(r#"{"a": [0, {"b": 1, "b": 2}]}"#).unwrap_err();
        assert!(matches!(err, ScanError::Duplicate(_)));
        assert_eq!(err.path(), "a[1]");
        // The same key spelled with an escape is the same key.
        assert!(matches!(
            check(r#"{"ab": 1, "a\u0062": 2}"#),
            Err(ScanError::Duplicate(_))
        ));
        // Keys of sibling and nested objects are separate.
        assert_eq!(
            check(r#"{"a": {"x": 1}, "b": {"x": 1}, "x": {"x": 1}}"#),
            Ok(())
        );
        // Large objects switch to a set.
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        assert_eq!(check(&format!("{{{}}}", many.join(","))), Ok(()));
        let err = check(&format!("{{{}, \"k3\": 0}}", many.join(","))).unwrap_err();
        assert!(matches!(err, ScanError::Duplicate(_)));

        let err = check(r#"{"filter": {"age": {"\u0024gt": 1}}}"#).unwrap_err();
        assert!(matches!(err, ScanError::Forbidden(_)));
        assert_eq!(err.path(), "filter.age");
        // The client's keys on the way are shown only when plain.
        let err = check(r#"{"<b onclick=x>": [{"ok": {"$gt": 1}}]}"#).unwrap_err();
        assert_eq!(err.path(), "(unknown)[0].ok");
        assert!(matches!(
            check(r#"{"$where": 1}"#),
            Err(ScanError::Forbidden(_))
        ));
        // A forbidden word as a value is a value.
        assert_eq!(check(r#"{"a": "$where"}"#), Ok(()));
    }

    #[test]
    fn unescapes_surrogate_pairs_and_lone_surrogates() {
        let mut scanner = Scanner {
            text: r#""\ud83d\ude00\ud800x""#,
            bytes: br#""\ud83d\ude00\ud800x""#,
            at: 0,
            max_depth: 4,
            forbidden: None,
            keys: Vec::new(),
        };
        assert_eq!(scanner.string().unwrap(), "\u{1F600}\u{FFFD}x");
    }
}
