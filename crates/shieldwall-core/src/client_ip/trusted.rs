//! `TrustedProxies`: the networks whose forwarding headers are believed,
//! checked when made.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use super::{ClientIpConfigError, normalize};

/// The widest IPv4 network a trusted list holds: /8.
const WIDEST_V4: u8 = 8;
/// The widest IPv6 network a trusted list holds: /16.
const WIDEST_V6: u8 = 16;

/// The networks whose forwarding headers are believed.
///
/// Every way of making one checks each network: an IPv4 network wider than
/// /8 or an IPv6 network wider than /16 (`0.0.0.0/0`, `::/0`, `2000::/3`)
/// is refused with [`ClientIpConfigError::TooWide`], because such a range
/// holds clients, who could then write their own address into the header.
/// A check against the plain mistake, not a proof that every listed network
/// is a proxy.
///
/// ```
/// use shieldwall_core::{ClientIpConfigError, TrustedProxies};
///
/// let proxies: TrustedProxies = "10.0.0.0/8, 192.0.2.10".parse().unwrap();
/// assert!(proxies.contains("10.9.8.7".parse().unwrap()));
/// assert!(proxies.contains("::ffff:192.0.2.10".parse().unwrap()));
/// assert!(!proxies.contains("192.0.2.11".parse().unwrap()));
/// assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
/// assert!(matches!(
///     "0.0.0.0/0".parse::<TrustedProxies>(),
///     Err(ClientIpConfigError::TooWide { .. })
/// ));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// No trusted proxies: the socket peer is always the client.
    #[must_use]
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// Trusts these networks; refuses one wider than /8 (IPv4) or /16 (IPv6).
    pub fn from_networks(
        networks: impl IntoIterator<Item = IpNet>,
    ) -> Result<Self, ClientIpConfigError> {
        networks
            .into_iter()
            .map(|net| checked(net, || net.to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `ip` (IPv4-mapped folded to IPv4) is a trusted proxy.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = normalize(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The networks.
    #[must_use]
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }

    /// Parses entries one by one (each an address or a CIDR), as
    /// [`FromStr`] does for each element of its comma-separated list.
    pub(crate) fn from_entries<'a>(
        entries: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ClientIpConfigError> {
        entries
            .into_iter()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(parse_entry)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

/// Parses a comma-separated list of addresses and CIDRs; an empty string is
/// the empty list.
impl FromStr for TrustedProxies {
    type Err = ClientIpConfigError;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        Self::from_entries(list.split(','))
    }
}

fn parse_entry(entry: &str) -> Result<IpNet, ClientIpConfigError> {
    let net = match entry.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => match entry.parse::<IpAddr>() {
            Ok(ip) => IpNet::from(ip),
            Err(_) => {
                return Err(ClientIpConfigError::InvalidCidr {
                    entry: entry.chars().take(64).collect(),
                });
            }
        },
    };
    checked(net, || entry.chars().take(64).collect())
}

/// Normalizes `net` and refuses it when too wide; `entry` names it as given.
fn checked(net: IpNet, entry: impl FnOnce() -> String) -> Result<IpNet, ClientIpConfigError> {
    let net = normalize_net(net);
    let widest = match net {
        IpNet::V4(_) => WIDEST_V4,
        IpNet::V6(v6) if v6.prefix_len() < WIDEST_V6 => WIDEST_V6,
        IpNet::V6(v6) => embedded_v4_widest(v6).unwrap_or(WIDEST_V6),
    };
    if net.prefix_len() < widest {
        return Err(ClientIpConfigError::TooWide {
            entry: entry(),
            widest,
        });
    }
    Ok(net)
}

/// IPv6 ranges whose addresses carry an IPv4 address (RFC 6052 NAT64, the
/// RFC 8215 local-use NAT64 prefix, 6to4, Teredo's server part), with the
/// prefix length that leaves at most an IPv4 /8 inside: wider, the range
/// would hold every client behind a translator.
const EMBEDDING_V4: [(&str, u8); 4] = [
    ("64:ff9b::/96", 104),
    ("64:ff9b:1::/48", 56),
    ("2002::/16", 24),
    ("2001::/32", 40),
];

/// The widest prefix `net` may have when it overlaps a range that embeds
/// IPv4 addresses.
fn embedded_v4_widest(net: ipnet::Ipv6Net) -> Option<u8> {
    EMBEDDING_V4.iter().find_map(|(range, widest)| {
        let range: ipnet::Ipv6Net = range.parse().ok()?;
        let overlaps = range.contains(&net) || net.contains(&range);
        overlaps.then_some(*widest)
    })
}

/// Stores an IPv4-mapped network as IPv4, so that lookups, which fold
/// addresses, match it; truncates host bits.
fn normalize_net(net: IpNet) -> IpNet {
    let net = match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).unwrap_or(net),
            None => net,
        },
        _ => net,
    };
    net.trunc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_wider_than_a_slash_8_or_a_slash_16_are_refused_by_name() {
        for (list, entry, widest) in [
            ("10.0.0.0/8, 0.0.0.0/0", "0.0.0.0/0", 8),
            ("::/0", "::/0", 16),
            ("2000::/3", "2000::/3", 16),
            ("fd00::/8", "fd00::/8", 16),
            ("0.0.0.0/1, 128.0.0.0/1", "0.0.0.0/1", 8),
            ("::ffff:0.0.0.0/96", "::ffff:0.0.0.0/96", 8),
            ("11.0.0.0/7", "11.0.0.0/7", 8),
        ] {
            let err = list.parse::<TrustedProxies>().unwrap_err();
            assert_eq!(
                err,
                ClientIpConfigError::TooWide {
                    entry: entry.to_owned(),
                    widest
                },
                "{list}"
            );
            let text = err.to_string();
            assert!(text.contains(entry), "{text}");
            assert!(text.contains("holds clients"), "{text}");
        }
        for ok in [
            "10.0.0.0/8",
            "fdaa::/16",
            "192.0.2.10",
            "::1",
            "::ffff:10.0.0.0/104",
        ] {
            assert!(ok.parse::<TrustedProxies>().is_ok(), "{ok}");
        }
        let wide: IpNet = "::/0".parse().unwrap();
        assert_eq!(
            TrustedProxies::from_networks([wide]).unwrap_err(),
            ClientIpConfigError::TooWide {
                entry: "::/0".into(),
                widest: 16
            }
        );
    }

    #[test]
    fn a_bad_entry_is_named_and_cut() {
        let long = "x".repeat(500);
        let Err(ClientIpConfigError::InvalidCidr { entry }) = long.parse::<TrustedProxies>() else {
            panic!("refused");
        };
        assert_eq!(entry.len(), 64);
    }

    #[test]
    fn ranges_that_embed_ipv4_clients_are_as_narrow_as_ipv4() {
        for wide in [
            "64:ff9b::/96",
            "64:ff9b:1::/48",
            "2002::/16",
            "2001::/32",
            "2001::/16",
        ] {
            assert!(
                matches!(
                    wide.parse::<TrustedProxies>(),
                    Err(ClientIpConfigError::TooWide { .. })
                ),
                "{wide}"
            );
        }
        for narrow in [
            "64:ff9b::a00:0/104",
            "2002:a00::/24",
            "2001:db8::/32",
            "2606:4700::/32",
        ] {
            assert!(narrow.parse::<TrustedProxies>().is_ok(), "{narrow}");
        }
    }
}
