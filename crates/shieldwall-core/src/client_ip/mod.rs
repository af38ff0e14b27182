//! Who the client is, when proxies stand in between.
//!
//! With no trusted proxy, the socket peer is the client and forwarding headers
//! are ignored: anyone can send them. When the peer is a trusted proxy, the
//! forwarding header is read **right to left**, skipping trusted proxies; the
//! first address that is not a trusted proxy is the client. A client can put
//! anything at the left end of `X-Forwarded-For`, so the left end is never
//! believed while an untrusted hop stands to its right.

mod de;
mod grouping;
mod header;
mod parse;
mod preset;
mod proto;
#[cfg(test)]
mod spoof_tests;
mod trusted;

use std::net::IpAddr;
use std::num::NonZeroUsize;

pub use grouping::IpGrouping;
pub use header::ForwardedHeader;
pub use parse::normalize;
pub use trusted::TrustedProxies;

use crate::RequestView;

/// A configuration of client IP resolution was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientIpConfigError {
    /// A trusted proxy entry is not an address or CIDR.
    #[error("`{}` is not an IP address or CIDR (e.g. 10.0.0.0/8)", .entry.escape_debug())]
    InvalidCidr {
        /// The entry as given.
        entry: String,
    },
    /// A preset was given no trusted network: it would never believe its header.
    #[error("the {preset} preset needs the networks its proxies connect from; none were given")]
    NoTrustedProxies {
        /// The preset, e.g. `cloudflare`.
        preset: &'static str,
    },
    /// A trusted proxy network wider than /8 (IPv4) or /16 (IPv6): a range
    /// that holds clients, who could then choose their own address.
    #[error(
        "trusted proxy `{}` is wider than /{widest}: a network that wide holds clients, \
         who could then pick their own address; list your proxies' networks",
        .entry.escape_debug()
    )]
    TooWide {
        /// The entry as given (cut at 64 characters).
        entry: String,
        /// The widest prefix its family allows: 8 for IPv4, 16 for IPv6.
        widest: u8,
    },
    /// A prefix length is larger than the address family allows.
    #[error("prefix length {prefix} is larger than {max}")]
    PrefixLength {
        /// The prefix given.
        prefix: u8,
        /// The family's maximum.
        max: u8,
    },
}

/// Resolves the client address of a request. Never panics: on anything it
/// does not understand it answers the socket peer.
///
/// ```
/// use shieldwall_core::ClientIpResolver;
///
/// let resolver = ClientIpResolver::builder()
///     .trusted_proxies("10.0.0.0/8".parse().unwrap())
///     .build();
/// let peer = "10.0.0.2".parse().unwrap();
/// // The client prepended a fake hop; the proxy appended the real address.
/// let client = resolver.resolve_from_values(peer, [&b"6.6.6.6, 198.51.100.7"[..]]);
/// assert_eq!(client, "198.51.100.7".parse::<std::net::IpAddr>().unwrap());
/// ```
#[derive(Clone, Debug)]
pub struct ClientIpResolver {
    trusted: TrustedProxies,
    header: ForwardedHeader,
    max_hops: NonZeroUsize,
}

impl Default for ClientIpResolver {
    /// No trusted proxies: the peer is the client.
    fn default() -> Self {
        Self::builder().build()
    }
}

/// Builds a [`ClientIpResolver`].
#[must_use]
#[derive(Clone, Debug)]
pub struct ClientIpResolverBuilder {
    resolver: ClientIpResolver,
}

impl ClientIpResolverBuilder {
    /// The proxies whose forwarding header is believed (default: none).
    pub fn trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        self.resolver.trusted = trusted;
        self
    }

    /// The header the proxies set (default `X-Forwarded-For`).
    pub fn header(mut self, header: ForwardedHeader) -> Self {
        self.resolver.header = header;
        self
    }

    /// How many hops are examined before giving up and answering the peer (default 16).
    pub fn max_hops(mut self, max_hops: NonZeroUsize) -> Self {
        self.resolver.max_hops = max_hops;
        self
    }

    /// The resolver.
    pub fn build(self) -> ClientIpResolver {
        self.resolver
    }
}

const DEFAULT_MAX_HOPS: NonZeroUsize = match NonZeroUsize::new(16) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

impl ClientIpResolver {
    /// A builder with no trusted proxies.
    pub fn builder() -> ClientIpResolverBuilder {
        ClientIpResolverBuilder {
            resolver: Self {
                trusted: TrustedProxies::none(),
                header: ForwardedHeader::default(),
                max_hops: DEFAULT_MAX_HOPS,
            },
        }
    }

    /// The trusted proxies.
    #[must_use]
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted
    }

    /// The client of `request`, whose socket peer is `peer`.
    #[must_use]
    pub fn resolve<R: RequestView + ?Sized>(&self, request: &R, peer: IpAddr) -> IpAddr {
        if !self.trusted.contains(peer) {
            return normalize(peer);
        }
        self.resolve_from_values(peer, request.header_values(self.header.name()))
    }

    /// The header this resolver reads.
    #[must_use]
    pub fn header(&self) -> ForwardedHeader {
        self.header
    }

    /// The client, given the peer and the values of the configured forwarding
    /// header in the order received. A single-address header
    /// ([`ForwardedHeader::XRealIp`] and the like) sent more than once, or
    /// holding anything but one bare address, is ignored: the peer is the client.
    #[must_use]
    pub fn resolve_from_values<'a>(
        &self,
        peer: IpAddr,
        values: impl IntoIterator<Item = &'a [u8]>,
    ) -> IpAddr {
        let peer = normalize(peer);
        if !self.trusted.contains(peer) {
            return peer;
        }
        if self.header.is_single_address() {
            // Exactly one value, one bare address: anything else is ignored.
            let mut values = values.into_iter();
            return match (values.next(), values.next()) {
                (Some(only), None) => parse::single_address(only).map_or(peer, normalize),
                _ => peer,
            };
        }
        let lines: Vec<&[u8]> = values.into_iter().collect();
        let mut hops = 0usize;
        let mut leftmost_trusted = None;
        for line in lines.iter().rev() {
            // Entries are judged one by one from the right: bytes a client put
            // to the left of the entry that decides are never read.
            for entry in line.rsplit(|b| *b == b',') {
                hops += 1;
                if hops > self.max_hops.get() {
                    return peer;
                }
                let Ok(entry) = std::str::from_utf8(entry) else {
                    return peer;
                };
                let node = match self.header {
                    ForwardedHeader::Forwarded => parse::forwarded_for(entry),
                    _ => parse::parse_node(entry),
                };
                let Some(ip) = node.map(normalize) else {
                    return peer;
                };
                if !self.trusted.contains(ip) {
                    return ip;
                }
                leftmost_trusted = Some(ip);
            }
        }
        // No header, or every hop is a trusted proxy: the leftmost one sent it.
        leftmost_trusted.unwrap_or(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn resolver(trusted: &str) -> ClientIpResolver {
        ClientIpResolver::builder()
            .trusted_proxies(trusted.parse().unwrap())
            .build()
    }

    fn xff(resolver: &ClientIpResolver, peer: &str, values: &[&str]) -> IpAddr {
        resolver.resolve_from_values(ip(peer), values.iter().map(|v| v.as_bytes()))
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let r = ClientIpResolver::default();
        assert_eq!(xff(&r, "203.0.113.9", &["1.2.3.4"]), ip("203.0.113.9"));
        assert_eq!(xff(&r, "::ffff:203.0.113.9", &[]), ip("203.0.113.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_spoof() {
        let r = resolver("10.0.0.0/8");
        assert_eq!(
            xff(&r, "203.0.113.9", &["10.0.0.1, 1.2.3.4"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn right_to_left_skipping_trusted_hops() {
        let r = resolver("10.0.0.0/8, 2001:db8:ffff::/48");
        assert_eq!(xff(&r, "10.0.0.2", &["198.51.100.7"]), ip("198.51.100.7"));
        assert_eq!(
            xff(&r, "10.0.0.2", &["6.6.6.6, 198.51.100.7, 10.1.1.1"]),
            ip("198.51.100.7")
        );
        // Several header lines form one list.
        assert_eq!(
            xff(&r, "10.0.0.2", &["6.6.6.6, 198.51.100.7", "10.1.1.1"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            xff(
                &r,
                "2001:db8:ffff::1",
                &["[2001:db8::5]:1234, 2001:db8:ffff::9"]
            ),
            ip("2001:db8::5")
        );
        assert_eq!(
            xff(&r, "10.0.0.2", &["::ffff:198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn no_header_or_all_trusted() {
        let r = resolver("10.0.0.0/8");
        assert_eq!(xff(&r, "10.0.0.2", &[]), ip("10.0.0.2"));
        assert_eq!(xff(&r, "10.0.0.2", &["10.0.0.5, 10.0.0.3"]), ip("10.0.0.5"));
    }

    #[test]
    fn garbage_falls_back_to_the_peer() {
        let r = resolver("10.0.0.0/8");
        let long = vec!["10.0.0.1"; 1000].join(",");
        let many_clients = vec!["1.1.1.1"; 1000].join(",");
        for bad in [
            "garbage",
            "1.2.3.4, ",
            ",",
            "1.2.3.4,,",
            "unknown",
            "[::1",
            "1.2.3.4:99999",
            "1.2.3.4 ; drop table",
            long.as_str(),
        ] {
            assert_eq!(xff(&r, "10.0.0.2", &[bad]), ip("10.0.0.2"), "{bad:?}");
        }
        // Garbage to the left of the client does not matter: it is never read.
        assert_eq!(xff(&r, "10.0.0.2", &["garbage, 1.2.3.4"]), ip("1.2.3.4"));
        assert_eq!(xff(&r, "10.0.0.2", &[many_clients.as_str()]), ip("1.1.1.1"));
        assert_eq!(
            r.resolve_from_values(ip("10.0.0.2"), [&b"\xff\xfe1.2.3.4"[..]]),
            ip("10.0.0.2")
        );
        // Invalid bytes to the left of the client's entry are never read.
        assert_eq!(
            r.resolve_from_values(ip("10.0.0.2"), [&b"\xff, 198.51.100.7"[..]]),
            ip("198.51.100.7")
        );
        assert_eq!(
            r.resolve_from_values(ip("10.0.0.2"), [&b"\xff\xfe"[..], &b"198.51.100.7"[..]]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn too_many_trusted_hops_fall_back_to_the_peer() {
        let r = ClientIpResolver::builder()
            .trusted_proxies("10.0.0.0/8".parse().unwrap())
            .max_hops(NonZeroUsize::new(2).unwrap())
            .build();
        assert_eq!(xff(&r, "10.0.0.2", &["1.2.3.4, 10.0.0.3"]), ip("1.2.3.4"));
        assert_eq!(
            xff(&r, "10.0.0.2", &["1.2.3.4, 10.0.0.4, 10.0.0.3"]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn rfc_7239_forwarded() {
        let r = ClientIpResolver::builder()
            .trusted_proxies("10.0.0.0/8".parse().unwrap())
            .header(ForwardedHeader::Forwarded)
            .build();
        let f = |v: &str| r.resolve_from_values(ip("10.0.0.2"), [v.as_bytes()]);
        assert_eq!(
            f("for=6.6.6.6, for=192.0.2.60;proto=https, for=10.0.0.9"),
            ip("192.0.2.60")
        );
        assert_eq!(
            f("for=\"[2001:db8:cafe::17]:4711\""),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(f("for=unknown"), ip("10.0.0.2"));
        assert_eq!(f("for=_hidden, for=10.0.0.9"), ip("10.0.0.2"));
        assert_eq!(f("proto=https"), ip("10.0.0.2"));
    }

    #[test]
    fn resolve_reads_only_the_configured_header() {
        let r = resolver("10.0.0.0/8");
        let mut req = http::Request::builder()
            .header("x-forwarded-for", "198.51.100.7")
            .header("forwarded", "for=6.6.6.6")
            .body(())
            .unwrap();
        assert_eq!(r.resolve(&req, ip("10.0.0.2")), ip("198.51.100.7"));
        req.headers_mut().remove("x-forwarded-for");
        assert_eq!(r.resolve(&req, ip("10.0.0.2")), ip("10.0.0.2"));
    }

    #[test]
    fn mapped_networks_match_from_either_constructor() {
        let net: ipnet::IpNet = "::ffff:10.0.0.0/104".parse().unwrap();
        let t = TrustedProxies::from_networks([net]).unwrap();
        assert!(t.contains(ip("10.1.2.3")));
        assert!(t.contains(ip("::ffff:10.1.2.3")));
        assert_eq!(t, "::ffff:10.0.0.0/104".parse().unwrap());
    }

    #[test]
    fn trusted_list_parsing() {
        let t: TrustedProxies = " 10.0.0.0/8 ,, ::ffff:192.0.2.0/120, 2001:db8::1 "
            .parse()
            .unwrap();
        assert_eq!(t.networks().len(), 3);
        assert!(t.contains(ip("192.0.2.200")));
        assert!(t.contains(ip("2001:db8::1")));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        assert_eq!(
            "10.0.0.0/8, nope".parse::<TrustedProxies>(),
            Err(ClientIpConfigError::InvalidCidr {
                entry: "nope".into()
            })
        );
    }
}
