//! The target URI's scheme, and the authority as `@authority` has it.

use std::borrow::Cow;

/// The scheme of the target URI.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http`.
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    pub(crate) const fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

/// An authority as `@authority` has it (RFC 9421 section 2.2.3, RFC 9110
/// section 4.2.3): lowercase, without the scheme's default port; `None`
/// when `raw` is not `host[:port]` (user info, a path, spaces, an empty or
/// out-of-range port). Borrowed when already normalized.
pub(crate) fn normalize_authority(raw: &[u8], scheme: Scheme) -> Option<Cow<'_, str>> {
    // Unreserved, sub-delims, `%` (pct-encoded), `:` and brackets (IP literals).
    let allowed = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b':'
                    | b'['
                    | b']'
            )
    };
    if raw.is_empty() || !raw.iter().all(|&b| allowed(b)) {
        return None;
    }
    let text = std::str::from_utf8(raw).ok()?;
    let (host, port) = if text.starts_with('[') {
        let close = text.find(']')?;
        let (host, rest) = text.split_at(close + 1);
        let literal = host.get(1..host.len() - 1)?;
        if literal.is_empty() || literal.contains(['[', ']']) {
            return None;
        }
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match text.split_once(':') {
            None => (text, None),
            Some((host, port)) => (host, Some(port)),
        }
    };
    if host.is_empty() || (!host.starts_with('[') && host.contains(['[', ']'])) {
        return None;
    }
    let port = match port {
        None => None,
        Some(port) => {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(port.parse::<u16>().ok()?)
        }
    };
    let keep = match port {
        Some(port) if port == scheme.default_port() => host.len(),
        _ => text.len(),
    };
    let kept = text.get(..keep)?;
    if kept.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(kept.to_ascii_lowercase()))
    } else {
        Some(Cow::Borrowed(kept))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_lowercased_without_default_ports() {
        for (raw, scheme, want) in [
            ("Example.COM", Scheme::Https, Some("example.com")),
            ("example.com:443", Scheme::Https, Some("example.com")),
            ("example.com:443", Scheme::Http, Some("example.com:443")),
            ("example.com:80", Scheme::Http, Some("example.com")),
            ("[::1]:8080", Scheme::Https, Some("[::1]:8080")),
            ("user@example.com", Scheme::Https, None),
            ("", Scheme::Https, None),
            ("exa mple.com", Scheme::Https, None),
            ("example.com:", Scheme::Https, None),
            ("example.com:99999", Scheme::Https, None),
            ("example.com:8080:1", Scheme::Https, None),
            ("example.com/path", Scheme::Https, None),
            ("[::1", Scheme::Https, None),
            ("[]", Scheme::Https, None),
            ("[::1]x", Scheme::Https, None),
            ("[::1]:443", Scheme::Https, Some("[::1]")),
            ("ex[a]mple.com", Scheme::Https, None),
        ] {
            assert_eq!(
                normalize_authority(raw.as_bytes(), scheme).as_deref(),
                want,
                "{raw}"
            );
        }
    }
}
