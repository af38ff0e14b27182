//! A version in a media type parameter of `Accept`
//! (`Accept: application/json; version=2`).
//!
//! One pass over the bytes, no allocation: media ranges are split at commas
//! and parameters at semicolons outside quoted strings (RFC 9110 §5.6.6).

use crate::grammar::{self, Found};

/// The version named by parameter `name` (lowercase) in every media range of
/// every `Accept` value: [`Found::Nothing`] when no range names one,
/// [`Found::Ambiguous`] when two name different versions,
/// [`Found::Malformed`] when one is not a version.
pub(crate) fn version_param<'a>(values: impl Iterator<Item = &'a [u8]>, name: &str) -> Found {
    let mut found: Option<u32> = None;
    for value in values {
        for range in Split::new(value, b',') {
            // The first part is the media type; the rest are parameters.
            for param in Split::new(range, b';').skip(1) {
                let Some((key, raw)) = split_param(param) else {
                    continue;
                };
                if !key.eq_ignore_ascii_case(name.as_bytes()) {
                    continue;
                }
                let Some(version) = unquote(raw).and_then(grammar::value) else {
                    return Found::Malformed;
                };
                match found {
                    Some(seen) if seen != version => return Found::Ambiguous,
                    _ => found = Some(version),
                }
            }
        }
    }
    found.map_or(Found::Nothing, Found::Version)
}

/// `name=value` around optional whitespace; `None` for a part without `=`.
fn split_param(param: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = param.iter().position(|&b| b == b'=')?;
    let (key, value) = param.split_at(at);
    let value = value.get(1..).unwrap_or_default();
    Some((grammar::trim_ows(key), grammar::trim_ows(value)))
}

/// A token as it is; a quoted string without its quotes. `None` for an
/// unterminated quote or an escape (a version never needs one).
fn unquote(raw: &[u8]) -> Option<&[u8]> {
    match raw {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'"') && !inner.contains(&b'\\') => {
            Some(inner)
        }
        [b'"', ..] => None,
        token => Some(token),
    }
}

/// Splits at `separator` outside quoted strings (with `\` escapes inside).
struct Split<'a> {
    rest: Option<&'a [u8]>,
    separator: u8,
}

impl<'a> Split<'a> {
    fn new(bytes: &'a [u8], separator: u8) -> Self {
        Self {
            rest: Some(bytes),
            separator,
        }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let bytes = self.rest?;
        let mut quoted = false;
        let mut escaped = false;
        for (at, &b) in bytes.iter().enumerate() {
            if escaped {
                escaped = false;
            } else if quoted && b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = !quoted;
            } else if !quoted && b == self.separator {
                let (part, rest) = bytes.split_at(at);
                self.rest = rest.get(1..);
                return Some(part);
            }
        }
        self.rest = None;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(values: &[&[u8]]) -> Found {
        version_param(values.iter().copied(), "version")
    }

    #[test]
    fn finds_the_parameter() {
        for (accept, found) in [
            (&b"application/json; version=2"[..], Found::Version(2)),
            (b"application/json;version=2", Found::Version(2)),
            (b"application/json ; Version = v3 ", Found::Version(3)),
            (b"application/json; version=\"4\"", Found::Version(4)),
            (
                b"text/html, application/json; q=0.9; version=5",
                Found::Version(5),
            ),
            (
                b"application/json; version=5, application/xml; version=5",
                Found::Version(5),
            ),
            (
                b"application/json; note=\"a,b;version=9\"; version=1",
                Found::Version(1),
            ),
            (
                b"application/json; note=\"a\\\"b;version=9\"; version=1",
                Found::Version(1),
            ),
            (b"application/json", Found::Nothing),
            (b"application/json; versions=2; myversion=3", Found::Nothing),
            (b"", Found::Nothing),
            (b"version=2", Found::Nothing),
            (b"application/json; version", Found::Nothing),
            (
                b"application/json; version=2, */*; version=3",
                Found::Ambiguous,
            ),
            (b"application/json; version=2; version=3", Found::Ambiguous),
            (b"application/json; version=", Found::Malformed),
            (b"application/json; version=02", Found::Malformed),
            (b"application/json; version=two", Found::Malformed),
            (b"application/json; version=\"2", Found::Malformed),
            (b"application/json; version=\"2\\\"\"", Found::Malformed),
            (b"application/json; version=\xff", Found::Malformed),
            (b"application/json; version=99999999999", Found::Malformed),
            (
                b"application/json; version=\"2, text/html",
                Found::Malformed,
            ),
        ] {
            assert_eq!(
                find(&[accept]),
                found,
                "{:?}",
                String::from_utf8_lossy(accept)
            );
        }
    }

    #[test]
    fn reads_every_accept_field() {
        assert_eq!(
            find(&[b"text/html", b"application/json; version=2"]),
            Found::Version(2)
        );
        assert_eq!(
            find(&[
                b"application/json; version=2",
                b"application/json; version=3"
            ]),
            Found::Ambiguous
        );
    }

    #[test]
    fn many_parameters_are_one_pass() {
        let mut accept = b"application/json".to_vec();
        for i in 0..20_000 {
            accept.extend_from_slice(format!("; p{i}=\"x,y\"").as_bytes());
        }
        accept.extend_from_slice(b"; version=2");
        assert_eq!(find(&[&accept]), Found::Version(2));
        let ranges = "a/b; q=0.1, ".repeat(20_000);
        assert_eq!(find(&[ranges.as_bytes()]), Found::Nothing);
    }
}
