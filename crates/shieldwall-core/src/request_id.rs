//! `RequestId`: the `X-Request-Id` of a request, kept when safe, made when not.

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
use http::header::HeaderName;

/// The request id header.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming request id that is kept.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// A request id: 1 to 128 characters from `A-Z a-z 0-9 - _ . :`.
///
/// An incoming id that breaks the rule is not repaired but replaced, so a
/// request id never carries CRLF, spaces, quotes or markup into a log line
/// or a response.
///
/// ```
/// use shieldwall_core::RequestId;
///
/// assert_eq!(RequestId::parse(b"abc-123").unwrap().as_str(), "abc-123");
/// assert!(RequestId::parse(b"bad id\r\n").is_none());
/// assert_eq!(RequestId::generate().as_str().len(), 32);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

fn allowed(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b':')
}

impl RequestId {
    /// Accepts an incoming id if it follows the rule.
    #[must_use]
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty()
            || bytes.len() > MAX_REQUEST_ID_LEN
            || !bytes.iter().copied().all(allowed)
        {
            return None;
        }
        // All bytes are ASCII, so this is valid UTF-8.
        std::str::from_utf8(bytes).ok().map(|s| Self(Arc::from(s)))
    }

    /// A new random id: 128 bits as 32 lowercase hex digits.
    #[must_use]
    pub fn generate() -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut value: u128 = rand::random();
        // Written in place (no formatter, no intermediate `String`): one
        // allocation, the id's own, on every request that brings none.
        let mut text = [b'0'; 32];
        for digit in text.iter_mut().rev() {
            let nibble = usize::from(u8::try_from(value & 0xf).unwrap_or(0));
            *digit = DIGITS.get(nibble).copied().unwrap_or(b'0');
            value >>= 4;
        }
        // Hex digits are ASCII, so this is valid UTF-8.
        Self(Arc::from(std::str::from_utf8(&text).unwrap_or("0")))
    }

    /// Keeps `incoming` when it is valid, else generates a new id.
    #[must_use]
    pub fn from_incoming(incoming: Option<&[u8]>) -> Self {
        incoming
            .and_then(Self::parse)
            .unwrap_or_else(Self::generate)
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a header value.
    #[must_use]
    pub fn to_header_value(&self) -> HeaderValue {
        // Only visible ASCII is ever stored, which is always a valid header value.
        HeaderValue::from_str(&self.0).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_32_lowercase_hex_digits_and_differ() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.as_str().len(), 32);
            assert!(
                id.as_str()
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
                "{id}"
            );
            assert!(u128::from_str_radix(id.as_str(), 16).is_ok());
        }
    }

    #[test]
    fn keeps_valid_ids_up_to_128_characters() {
        let max = "a".repeat(128);
        assert_eq!(RequestId::parse(max.as_bytes()).unwrap().as_str(), max);
        assert_eq!(
            RequestId::parse(b"A-z_0.9:x").unwrap().as_str(),
            "A-z_0.9:x"
        );
    }

    #[test]
    fn replaces_everything_else() {
        let too_long = "a".repeat(129);
        for bad in [
            &b""[..],
            too_long.as_bytes(),
            b"a b",
            b"a\r\nSet-Cookie: x",
            b"<script>",
            b"\xff\xfe",
            "caf\u{e9}".as_bytes(),
            b"a/b",
        ] {
            assert!(RequestId::parse(bad).is_none(), "{bad:?}");
            let replaced = RequestId::from_incoming(Some(bad));
            assert_eq!(replaced.as_str().len(), 32);
        }
    }

    #[test]
    fn generated_ids_are_hex_and_distinct() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_ne!(a, b);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(RequestId::parse(a.as_str().as_bytes()).is_some());
    }
}
