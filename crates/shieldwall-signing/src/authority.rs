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

/// Unreserved, sub-delims, `%` (pct-encoded), `:` and brackets (IP literals).
const fn allowed_in_authority(b: u8) -> bool {
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
}

/// [`allowed_in_authority`] as a bit per ASCII byte.
const ALLOWED: u128 = {
    let mut mask = 0_u128;
    let mut b = 0_u8;
    while b < 128 {
        if allowed_in_authority(b) {
            mask |= 1 << b;
        }
        b += 1;
    }
    mask
};

fn allowed(b: u8) -> bool {
    b < 128 && (ALLOWED >> b) & 1 == 1
}

/// An authority as `@authority` has it (RFC 9421 section 2.2.3, RFC 9110
/// section 4.2.3): lowercase, without the scheme's default port; `None`
/// when `raw` is not `host[:port]` (user info, a path, spaces, an empty or
/// out-of-range port). Borrowed when already normalized.
pub(crate) fn normalize_authority(raw: &[u8], scheme: Scheme) -> Option<Cow<'_, str>> {
    // One pass: every byte allowed, the first colon, brackets, uppercase.
    let mut colon = None;
    let mut bracket = false;
    let mut upper = false;
    for (index, &b) in raw.iter().enumerate() {
        if !allowed(b) {
            return None;
        }
        match b {
            b':' if colon.is_none() => colon = Some(index),
            b'[' | b']' => bracket = true,
            b'A'..=b'Z' => upper = true,
            _ => {}
        }
    }
    if raw.is_empty() {
        return None;
    }
    let text = std::str::from_utf8(raw).ok()?;
    let (host, port) = if bracket {
        split_ip_literal(text)?
    } else {
        match colon {
            None => (text, None),
            Some(at) => (text.get(..at)?, Some(text.get(at + 1..)?)),
        }
    };
    if host.is_empty() {
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
    if upper && kept.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(kept.to_ascii_lowercase()))
    } else {
        Some(Cow::Borrowed(kept))
    }
}

/// Host and port of an authority that holds a bracket: `[literal]` then
/// nothing or `:port`; a bracket anywhere else is refused.
fn split_ip_literal(text: &str) -> Option<(&str, Option<&str>)> {
    if !text.starts_with('[') {
        return None;
    }
    let close = text.find(']')?;
    let (host, rest) = text.split_at(close + 1);
    let literal = host.get(1..host.len() - 1)?;
    if literal.is_empty() || literal.contains(['[', ']']) {
        return None;
    }
    match rest {
        "" => Some((host, None)),
        _ => Some((host, Some(rest.strip_prefix(':')?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_is_the_predicate() {
        for b in 0..=u8::MAX {
            assert_eq!(allowed(b), allowed_in_authority(b), "{b}");
        }
    }

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
            ("[::1]:8080]", Scheme::Https, None),
            ("[::1]:", Scheme::Https, None),
            ("EXAMPLE.com:8443", Scheme::Https, Some("example.com:8443")),
            ("example.com:443", Scheme::Https, Some("example.com")),
            ("Example.com:80", Scheme::Https, Some("example.com:80")),
            (":443", Scheme::Https, None),
        ] {
            assert_eq!(
                normalize_authority(raw.as_bytes(), scheme).as_deref(),
                want,
                "{raw}"
            );
        }
    }
}
