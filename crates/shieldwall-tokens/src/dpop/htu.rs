//! The `htu` claim against this request's URI, as RFC 9449 section 4.3
//! says: no query or fragment, after syntax- and scheme-based normalization
//! (RFC 3986 sections 6.2.2 and 6.2.3): scheme and host compared without
//! case, a default port the same as none, percent-encodings of unreserved
//! characters decoded and the others' hex digits in one case, dot segments
//! removed, an empty path as `/`.

use std::borrow::Cow;

/// A scheme, a host and a port: where the request was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    https: bool,
    /// Lowercase.
    host: Box<str>,
    /// `None` for the scheme's default port.
    port: Option<u16>,
}

impl Origin {
    /// The origin of a URI: `http` or `https`, `://`, an authority without
    /// user information. Whatever follows the authority is the caller's.
    fn parse_parts(https: bool, authority: &str) -> Option<Self> {
        let (host, port) = split_authority(authority)?;
        let port = match port {
            None => None,
            Some(443) if https => None,
            Some(80) if !https => None,
            Some(port) => Some(port),
        };
        Some(Self {
            https,
            host: host.to_ascii_lowercase().into_boxed_str(),
            port,
        })
    }

    /// A configured public origin: `https://host[:port]`, with at most a
    /// trailing `/`.
    pub(crate) fn configured(origin: &str) -> Result<Self, &'static str> {
        let (https, rest) = scheme(origin).ok_or("not an http:// or https:// URL")?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err("an origin has no path, query or fragment");
        }
        if authority.contains('@') {
            return Err("an origin has no user information");
        }
        Self::parse_parts(https, authority).ok_or("not a host with an optional port")
    }

    /// The origin of a request that arrived over HTTPS or not, sent to
    /// `authority` (its `Host`).
    pub(crate) fn of_request(https: bool, authority: &str) -> Option<Self> {
        if authority.contains('@') {
            return None;
        }
        Self::parse_parts(https, authority)
    }

    fn same_as(&self, other: &Self) -> bool {
        // Both lowercase.
        self.https == other.https && self.port == other.port && self.host == other.host
    }
}

fn scheme(uri: &str) -> Option<(bool, &str)> {
    let (scheme, rest) = uri.split_once("://")?;
    if scheme.eq_ignore_ascii_case("https") {
        Some((true, rest))
    } else if scheme.eq_ignore_ascii_case("http") {
        Some((false, rest))
    } else {
        None
    }
}

/// `host[:port]` or `[v6]:port`; the host made only of characters a host
/// may hold, the port decimal.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if inside.is_empty()
            || !inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        let host = authority.get(..inside.len() + 2)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let name_like = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !name_like {
            return None;
        }
        (host, port)
    };
    let port = match port {
        None => None,
        // An empty port is the default one (RFC 3986 section 6.2.3).
        Some("") => None,
        Some(digits) if digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// Whether `htu` names the resource at `path` (as received, percent-encoded,
/// without its query) on `origin`.
pub(crate) fn matches(htu: &str, origin: &Origin, path: &str) -> bool {
    // The query and fragment are not compared (RFC 9449 section 4.3).
    let htu = htu.split_once('#').map_or(htu, |(before, _)| before);
    let htu = htu.split_once('?').map_or(htu, |(before, _)| before);
    let Some((https, rest)) = scheme(htu) else {
        return false;
    };
    let (authority, htu_path) = match rest.find('/') {
        Some(at) => (
            rest.get(..at).unwrap_or_default(),
            rest.get(at..).unwrap_or_default(),
        ),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return false;
    }
    let Some(htu_origin) = Origin::parse_parts(https, authority) else {
        return false;
    };
    htu_origin.same_as(origin) && normalize_path(htu_path) == normalize_path(path)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn has_dot_segment(path: &str) -> bool {
    path.split('/')
        .any(|segment| segment == "." || segment == "..")
}

/// `path` normalized; borrowed when it is already.
fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    if !path.contains('%') && !has_dot_segment(path) {
        return Cow::Borrowed(path);
    }
    // Percent-encoding normalization first, then dot segments (RFC 3986 6.2.2).
    let bytes = path.as_bytes();
    let mut decoded = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_value),
                bytes.get(i + 2).copied().and_then(hex_value),
            )
        {
            let byte = hi * 16 + lo;
            if is_unreserved(byte) {
                decoded.push(char::from(byte));
            } else {
                decoded.push('%');
                decoded.push(char::from(
                    b"0123456789ABCDEF"
                        .get(usize::from(hi))
                        .copied()
                        .unwrap_or(b'0'),
                ));
                decoded.push(char::from(
                    b"0123456789ABCDEF"
                        .get(usize::from(lo))
                        .copied()
                        .unwrap_or(b'0'),
                ));
            }
            i += 3;
            continue;
        }
        // A path as received is ASCII; anything else is kept as it is.
        decoded.push(char::from(b));
        i += 1;
    }
    let mut out = remove_dot_segments(&decoded);
    if out.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

/// RFC 3986 section 5.2.4, on an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = path.split('/').peekable();
    // An absolute path starts with `/`: the first part is empty.
    let absolute = path.starts_with('/');
    if absolute {
        parts.next();
    }
    let mut trailing_slash = false;
    while let Some(segment) = parts.next() {
        let last = parts.peek().is_none();
        match segment {
            "." => trailing_slash = last,
            ".." => {
                segments.pop();
                trailing_slash = last;
            }
            other => {
                segments.push(other);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &segments {
        if absolute || !out.is_empty() {
            out.push('/');
        }
        out.push_str(segment);
    }
    if trailing_slash {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        Origin::configured(s).unwrap()
    }

    #[test]
    fn configured_origins_are_checked_and_normalized() {
        assert_eq!(
            origin("https://API.example.com"),
            origin("https://api.example.com:443/")
        );
        assert_eq!(origin("http://127.0.0.1:80"), origin("http://127.0.0.1"));
        assert_ne!(
            origin("https://api.example.com:8443"),
            origin("https://api.example.com")
        );
        assert_eq!(origin("https://[::1]:8443").host.as_ref(), "[::1]");
        for bad in [
            "api.example.com",
            "ftp://api.example.com",
            "https://",
            "https://api.example.com/v1",
            "https://api.example.com?x",
            "https://user@api.example.com",
            "https://api.example.com:99999",
            "https://api.example.com:8x",
            "https://api example.com",
            "https://[::1",
        ] {
            assert!(Origin::configured(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn htu_is_compared_as_rfc_9449_says() {
        let o = origin("https://api.example.com");
        for good in [
            "https://api.example.com/v1/items",
            "HTTPS://API.Example.COM/v1/items",
            "https://api.example.com:443/v1/items",
            "https://api.example.com/v1/items?page=2",
            "https://api.example.com/v1/items#top",
            "https://api.example.com/v1/./x/../items",
            "https://api.example.com/v1/%69tems",
        ] {
            assert!(matches(good, &o, "/v1/items"), "{good}");
        }
        for bad in [
            "https://api.example.com/v1/items/",
            "https://api.example.com/v1/Items",
            "http://api.example.com/v1/items",
            "https://api.example.com:8443/v1/items",
            "https://evil.example.com/v1/items",
            "https://api.example.com.evil/v1/items",
            "https://user@api.example.com/v1/items",
            "/v1/items",
            "api.example.com/v1/items",
            "",
        ] {
            assert!(!matches(bad, &o, "/v1/items"), "{bad}");
        }
        assert!(matches("https://api.example.com", &o, "/"));
        assert!(matches("https://api.example.com/a%2fb", &o, "/a%2Fb"));
        assert!(!matches("https://api.example.com/a/b", &o, "/a%2Fb"));
        assert!(matches("https://api.example.com/a/b/", &o, "/a/b/c/.."));
    }

    #[test]
    fn request_origins_come_from_the_host() {
        let from_host = Origin::of_request(true, "API.example.com:443").unwrap();
        assert_eq!(from_host, origin("https://api.example.com"));
        assert!(Origin::of_request(true, "a@b").is_none());
        assert!(Origin::of_request(true, "").is_none());
    }

    #[test]
    fn dot_segments_are_removed() {
        for (input, out) in [
            ("/a/b/c/./../../g", "/a/g"),
            ("/../a", "/a"),
            ("/a/..", "/"),
            ("/a/.", "/a/"),
            ("/a//b", "/a//b"),
        ] {
            assert_eq!(normalize_path(input), out, "{input}");
        }
    }
}
