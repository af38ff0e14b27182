//! Parsing of forwarding headers. Everything here takes attacker bytes and
//! answers `None` for anything it does not fully understand.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest hop entry we try to parse; anything longer is garbage.
const MAX_NODE_LEN: usize = 64;

/// Folds an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) to IPv4.
#[must_use]
pub fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn is_port(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u16>().is_ok()
}

/// Parses one node: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:8080`. No zone ids, no host names.
pub(super) fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim_matches(|c| c == ' ' || c == '\t');
    if text.is_empty() || text.len() > MAX_NODE_LEN {
        return None;
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip: Ipv6Addr = inside.parse().ok()?;
        return match after.strip_prefix(':') {
            None if after.is_empty() => Some(IpAddr::V6(ip)),
            Some(port) if is_port(port) => Some(IpAddr::V6(ip)),
            _ => None,
        };
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = text.split_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The value of a single-address header (`X-Real-IP`, `CF-Connecting-IP`,
/// ...): one bare IPv4 or IPv6 address, spaces and tabs around it allowed. No
/// port, no brackets, no list, no zone id: a proxy that sets such a header
/// writes the address alone, so anything else did not come from it.
pub(super) fn single_address(value: &[u8]) -> Option<IpAddr> {
    if value.len() > MAX_NODE_LEN {
        return None;
    }
    let text = std::str::from_utf8(value).ok()?;
    text.trim_matches(|c| c == ' ' || c == '\t')
        .parse::<IpAddr>()
        .ok()
}

/// The `for=` node of one `Forwarded` element (`for=192.0.2.60;proto=http`),
/// or `None` when absent, obfuscated (`_hidden`), `unknown` or malformed.
pub(super) fn forwarded_for(element: &str) -> Option<IpAddr> {
    let mut found = None;
    for pair in element.split(';') {
        let (key, value) = pair
            .trim_matches(|c| c == ' ' || c == '\t')
            .split_once('=')?;
        if !key.eq_ignore_ascii_case("for") {
            continue;
        }
        if found.is_some() {
            // Two `for` parameters in one element: ambiguous.
            return None;
        }
        let value = match value.strip_prefix('"') {
            Some(quoted) => {
                let inner = quoted.strip_suffix('"')?;
                if inner.contains(['"', '\\']) {
                    return None;
                }
                inner
            }
            None => value,
        };
        found = Some(parse_node(value)?);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn nodes_with_ports_and_brackets() {
        assert_eq!(parse_node("192.0.2.1"), Some(ip("192.0.2.1")));
        assert_eq!(parse_node(" 192.0.2.1:8080 "), Some(ip("192.0.2.1")));
        assert_eq!(parse_node("2001:db8::1"), Some(ip("2001:db8::1")));
        assert_eq!(parse_node("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_node("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse_node("::ffff:192.0.2.1"), Some(ip("::ffff:192.0.2.1")));
    }

    #[test]
    fn garbage_is_none() {
        for bad in [
            "",
            " ",
            "unknown",
            "_hidden",
            "example.com",
            "192.0.2.1:",
            "192.0.2.1:port",
            "192.0.2.1:123456",
            "192.0.2.256",
            "[2001:db8::1",
            "[2001:db8::1]x",
            "[192.0.2.1]",
            "fe80::1%eth0",
            "1.2.3.4 5.6.7.8",
            "<script>",
            &"1".repeat(100),
        ] {
            assert_eq!(parse_node(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn single_addresses_are_bare() {
        assert_eq!(single_address(b" 192.0.2.1\t"), Some(ip("192.0.2.1")));
        assert_eq!(single_address(b"2001:db8::1"), Some(ip("2001:db8::1")));
        for bad in [
            &b""[..],
            b"192.0.2.1:80",
            b"[2001:db8::1]",
            b"[2001:db8::1]:443",
            b"192.0.2.1, 198.51.100.7",
            b"fe80::1%eth0",
            b"unknown",
            b"\xff192.0.2.1",
            &[b'1'; 65][..],
        ] {
            assert_eq!(single_address(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn forwarded_elements() {
        assert_eq!(
            forwarded_for("for=192.0.2.60;proto=http;by=203.0.113.43"),
            Some(ip("192.0.2.60"))
        );
        assert_eq!(
            forwarded_for("For=\"[2001:db8:cafe::17]:4711\""),
            Some(ip("2001:db8:cafe::17"))
        );
        assert_eq!(
            forwarded_for("proto=https;for=198.51.100.17"),
            Some(ip("198.51.100.17"))
        );
        assert_eq!(forwarded_for("for=unknown"), None);
        assert_eq!(forwarded_for("for=_hidden"), None);
        assert_eq!(forwarded_for("proto=https"), None);
        assert_eq!(forwarded_for("for=1.2.3.4;for=5.6.7.8"), None);
        assert_eq!(forwarded_for("for=\"1.2.3.4"), None);
        assert_eq!(forwarded_for("for=\"1.2\\.3.4\""), None);
        assert_eq!(forwarded_for("garbage"), None);
    }

    #[test]
    fn mapped_addresses_fold_to_ipv4() {
        assert_eq!(normalize(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
        assert_eq!(normalize(ip("2001:db8::1")), ip("2001:db8::1"));
        assert_eq!(normalize(ip("10.1.2.3")), ip("10.1.2.3"));
    }
}
