//! How a version is spelled: `v` + digits in a path, digits (or `v` +
//! digits) in a header or a media type parameter.

/// The largest version number: nine digits, so every spelling fits a `u32`
/// and a client cannot make the parser work on a long number.
pub(crate) const MAX_VERSION: u32 = 999_999_999;

/// What a source found in a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A well-formed version number.
    Version(u32),
    /// No version (no header, no parameter, a path outside the prefix or a
    /// segment that is not a version).
    Nothing,
    /// A value that is not a version.
    Malformed,
    /// More than one version, or the header more than once.
    Ambiguous,
}

/// 1 to 9 ASCII digits without a leading zero (`0` itself is version 0).
pub(crate) fn number(digits: &[u8]) -> Option<u32> {
    let valid = matches!(digits.len(), 1..=9)
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits.first() != Some(&b'0'));
    if !valid {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0_u32, |n, d| n * 10 + u32::from(d - b'0')),
    )
}

/// A path segment: `v` + [`number`] (`v1`, `v12`, `v0`); case-sensitive,
/// not percent-decoded, as routers match it.
pub(crate) fn path_segment(segment: &str) -> Option<u32> {
    segment
        .strip_prefix('v')
        .and_then(|digits| number(digits.as_bytes()))
}

/// A header or parameter value: [`number`] or `v` + [`number`], around
/// optional spaces and tabs.
pub(crate) fn value(bytes: &[u8]) -> Option<u32> {
    let trimmed = trim_ows(bytes);
    number(trimmed.strip_prefix(b"v").unwrap_or(trimmed))
}

/// Without leading and trailing spaces and tabs.
pub(crate) fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments() {
        for (segment, major) in [
            ("v0", 0),
            ("v1", 1),
            ("v12", 12),
            ("v999999999", MAX_VERSION),
        ] {
            assert_eq!(path_segment(segment), Some(major), "{segment}");
        }
        for segment in [
            "",
            "v",
            "V1",
            "vx",
            "v01",
            "v00",
            "v1.0",
            "v1a",
            "v-1",
            "v+1",
            "v 1",
            "v1%2F",
            "%761",
            "1",
            "vv1",
            "v1234567890",
            "v99999999999",
            "v٣",
        ] {
            assert_eq!(path_segment(segment), None, "{segment:?}");
        }
    }

    #[test]
    fn header_values() {
        for (raw, major) in [
            (&b"2"[..], 2),
            (b"v2", 2),
            (b" 2\t", 2),
            (b"0", 0),
            (b"999999999", MAX_VERSION),
        ] {
            assert_eq!(value(raw), Some(major));
        }
        for raw in [
            &b""[..],
            b" ",
            b"v",
            b"V2",
            b"02",
            b"2.0",
            b"2, 3",
            b"two",
            b"\xff2",
            b"2\xff",
            b"4294967296",
            b"1234567890",
            b"-1",
        ] {
            assert_eq!(value(raw), None, "{raw:?}");
        }
    }
}
