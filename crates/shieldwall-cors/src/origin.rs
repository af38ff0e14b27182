//! Origins: parsed once when a policy is built, compared byte for byte at
//! request time.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::CorsConfigError;

/// An origin in the form browsers send it (the Fetch standard's
/// serialization): lowercase `http` or `https`, `://`, a lowercase host (a
/// DNS name without a trailing dot, an IPv4 address, or a bracketed IPv6
/// address in its shortest form), and a port only when it is not the
/// scheme's default. No path, no trailing slash, no user info.
///
/// Configured origins are parsed into this form when the policy is built;
/// a request's `Origin` is allowed only when it equals one byte for byte,
/// so `https://MYAPP.com`, `https://myapp.com:443`, `https://myapp.com.`
/// and `https://myapp.com/` are not `https://myapp.com` (no browser sends
/// those spellings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The serialization, as browsers send it.
    pub(crate) text: String,
    pub(crate) scheme: Scheme,
    pub(crate) host: String,
    /// `None` for the scheme's default port.
    pub(crate) port: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

impl Origin {
    /// Parses a configured origin; scheme and host may be in any case here.
    pub(crate) fn parse(input: &str) -> Result<Self, CorsConfigError> {
        let bad = |reason: &'static str| CorsConfigError::InvalidOrigin {
            origin: input.chars().take(100).collect(),
            reason,
        };
        let (scheme, rest) = input.split_once("://").ok_or(bad("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(bad("the scheme is not http or https")),
        };
        if rest.contains(['/', '?', '#', '@', '\\'])
            || rest.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad("an origin has no path, query, user info or spaces"));
        }
        let (host, port) =
            split_port(rest).ok_or(bad("the port is not a number from 1 to 65535"))?;
        let host = parse_host(host).ok_or(bad("the host is not a DNS name or an IP address"))?;
        let port = port.filter(|p| *p != scheme.default_port());
        Ok(Self::new(scheme, host, port))
    }

    pub(crate) fn new(scheme: Scheme, host: String, port: Option<u16>) -> Self {
        let text = match port {
            Some(port) => format!("{}://{host}:{port}", scheme.as_str()),
            None => format!("{}://{host}", scheme.as_str()),
        };
        Self {
            text,
            scheme,
            host,
            port,
        }
    }
}

/// `host[:port]`, with a bracketed IPv6 host; `None` for a bad port.
fn split_port(rest: &str) -> Option<(&str, Option<u16>)> {
    let colon = if rest.starts_with('[') {
        rest.find(']')
            .map(|end| end + 1)
            .filter(|end| *end < rest.len())
    } else {
        rest.rfind(':')
    };
    match colon {
        None => Some((rest, None)),
        Some(at) => {
            let host = rest.get(..at)?;
            let digits = rest.get(at + 1..)?;
            if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let port: u16 = digits.parse().ok()?;
            (port != 0).then_some((host, Some(port)))
        }
    }
}

/// The host in its serialized form, or `None`.
fn parse_host(host: &str) -> Option<String> {
    if let Some(inner) = host.strip_prefix('[') {
        let ip: Ipv6Addr = inner.strip_suffix(']')?.parse().ok()?;
        return Some(format!("[{ip}]"));
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let ip: Ipv4Addr = host.parse().ok()?;
        return Some(ip.to_string());
    }
    let host = host.to_ascii_lowercase();
    is_dns_name(&host).then_some(host)
}

/// Lowercase LDH labels of 1 to 63 characters, no leading or trailing
/// hyphen, at most 253 characters, no trailing dot.
pub(crate) fn is_dns_name(host: &str) -> bool {
    !host.is_empty() && host.len() <= 253 && host.split('.').all(is_label)
}

pub(crate) fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `https://*.myapp.com`: the origins of the subdomains of one host, with
/// one scheme and one port; the host itself is not covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubdomainPattern {
    /// `https://`
    prefix: String,
    /// `.myapp.com` or `.myapp.com:8443`
    suffix: String,
}

impl SubdomainPattern {
    /// From the parent origin (`https://myapp.com`): its scheme and port.
    pub(crate) fn of(parent: &Origin) -> Result<Self, CorsConfigError> {
        if parent.host.starts_with('[')
            || parent.host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        {
            return Err(CorsConfigError::InvalidOrigin {
                origin: parent.text.clone(),
                reason: "subdomains need a DNS name",
            });
        }
        if !parent.host.contains('.') {
            return Err(CorsConfigError::InvalidOrigin {
                origin: parent.text.clone(),
                reason: "subdomains of a single-label name (a public suffix, `localhost`) are refused",
            });
        }
        let suffix = match parent.port {
            Some(port) => format!(".{}:{port}", parent.host),
            None => format!(".{}", parent.host),
        };
        Ok(Self {
            prefix: format!("{}://", parent.scheme.as_str()),
            suffix,
        })
    }

    /// Whether `origin` (as sent) is a subdomain's origin: the scheme and the
    /// suffix exactly, and between them one or more valid labels.
    pub(crate) fn matches(&self, origin: &str) -> bool {
        let Some(rest) = origin.strip_prefix(self.prefix.as_str()) else {
            return false;
        };
        let Some(sub) = rest.strip_suffix(self.suffix.as_str()) else {
            return false;
        };
        !sub.is_empty() && sub.split('.').all(is_label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(input: &str) -> Option<String> {
        Origin::parse(input).ok().map(|o| o.text)
    }

    #[test]
    fn configured_origins_take_the_browser_form() {
        assert_eq!(
            text("https://myapp.com").as_deref(),
            Some("https://myapp.com")
        );
        assert_eq!(
            text("HTTPS://MyApp.COM").as_deref(),
            Some("https://myapp.com")
        );
        assert_eq!(
            text("https://myapp.com:443").as_deref(),
            Some("https://myapp.com")
        );
        assert_eq!(
            text("http://myapp.com:80").as_deref(),
            Some("http://myapp.com")
        );
        assert_eq!(
            text("https://myapp.com:8443").as_deref(),
            Some("https://myapp.com:8443")
        );
        assert_eq!(
            text("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            text("http://[0:0::1]:3000").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_eq!(
            text("http://localhost:5173").as_deref(),
            Some("http://localhost:5173")
        );
        for bad in [
            "myapp.com",
            "ftp://myapp.com",
            "https://",
            "https://myapp.com/",
            "https://myapp.com/path",
            "https://myapp.com?x",
            "https://user@myapp.com",
            "https://myapp.com.",
            "https://my_app.com",
            "https://-myapp.com",
            "https://myapp.com:0",
            "https://myapp.com:65536",
            "https://myapp.com:",
            "https://myapp.com:+1",
            "https://999.1.1.1",
            "https://[::1",
            "https://my app.com",
            "https://myapp.com\r\nx: y",
            "null",
            "*",
            "https://*.myapp.com",
            "https://exämple.com",
        ] {
            assert_eq!(text(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn subdomain_patterns_are_anchored_and_exact_on_scheme_and_port() {
        let p = SubdomainPattern::of(&Origin::parse("https://myapp.com").unwrap()).unwrap();
        for good in [
            "https://a.myapp.com",
            "https://a-b.c.myapp.com",
            "https://x1.myapp.com",
        ] {
            assert!(p.matches(good), "{good}");
        }
        for bad in [
            "https://myapp.com",
            "https://.myapp.com",
            "https://a..myapp.com",
            "https://evilmyapp.com",
            "https://a.myapp.com.evil.test",
            "http://a.myapp.com",
            "https://a.myapp.com:8443",
            "https://A.myapp.com",
            "https://a_b.myapp.com",
            "https://-a.myapp.com",
            "https://a.myapp.com.",
            "https://a.myapp.com/",
            "https://evil.test/.myapp.com",
        ] {
            assert!(!p.matches(bad), "{bad}");
        }
        let port = SubdomainPattern::of(&Origin::parse("https://myapp.com:8443").unwrap()).unwrap();
        assert!(port.matches("https://a.myapp.com:8443"));
        assert!(!port.matches("https://a.myapp.com"));
        assert!(SubdomainPattern::of(&Origin::parse("https://localhost").unwrap()).is_err());
        assert!(SubdomainPattern::of(&Origin::parse("https://com").unwrap()).is_err());
        assert!(SubdomainPattern::of(&Origin::parse("https://10.0.0.1").unwrap()).is_err());
    }
}
