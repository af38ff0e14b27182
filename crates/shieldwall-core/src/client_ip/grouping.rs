//! Grouping client addresses for rate-limit keys: IPv6 clients by /64.

use std::net::IpAddr;

use ipnet::IpNet;

use super::{ClientIpConfigError, normalize};

/// How client addresses are grouped into rate-limit keys.
///
/// An IPv6 client usually holds a whole /64 and can pick any address in it,
/// so counting per address would give it 2^64 quotas. The default groups IPv6
/// by /64 and keeps IPv4 per address; IPv4-mapped IPv6 counts as IPv4.
///
/// ```
/// use shieldwall_core::IpGrouping;
///
/// let grouping = IpGrouping::default();
/// let a = grouping.key("2001:db8:1:2::1".parse().unwrap());
/// let b = grouping.key("2001:db8:1:2:ffff::9".parse().unwrap());
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2001:db8:1:2::/64");
/// assert_eq!(grouping.key("::ffff:192.0.2.7".parse().unwrap()).to_string(), "192.0.2.7/32");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpGrouping {
    v4_prefix: u8,
    v6_prefix: u8,
}

impl Default for IpGrouping {
    fn default() -> Self {
        Self {
            v4_prefix: 32,
            v6_prefix: 64,
        }
    }
}

impl IpGrouping {
    /// Groups IPv4 by `v4_prefix` (0..=32) and IPv6 by `v6_prefix` (0..=128).
    pub fn new(v4_prefix: u8, v6_prefix: u8) -> Result<Self, ClientIpConfigError> {
        if v4_prefix > 32 {
            return Err(ClientIpConfigError::PrefixLength {
                prefix: v4_prefix,
                max: 32,
            });
        }
        if v6_prefix > 128 {
            return Err(ClientIpConfigError::PrefixLength {
                prefix: v6_prefix,
                max: 128,
            });
        }
        Ok(Self {
            v4_prefix,
            v6_prefix,
        })
    }

    /// The network `ip` belongs to: the rate-limit key of a client.
    #[must_use]
    pub fn key(&self, ip: IpAddr) -> IpNet {
        let ip = normalize(ip);
        let prefix = match ip {
            IpAddr::V4(_) => self.v4_prefix,
            IpAddr::V6(_) => self.v6_prefix,
        };
        // The prefix was checked against the family's maximum in `new`.
        IpNet::new(ip, prefix).map_or_else(|_| IpNet::from(ip), |net| net.trunc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_checked_when_built() {
        assert!(IpGrouping::new(33, 64).is_err());
        assert!(IpGrouping::new(32, 129).is_err());
        let g = IpGrouping::new(24, 48).unwrap();
        assert_eq!(
            g.key("192.0.2.77".parse().unwrap()).to_string(),
            "192.0.2.0/24"
        );
        assert_eq!(
            g.key("2001:db8:aa:bb::1".parse().unwrap()).to_string(),
            "2001:db8:aa::/48"
        );
    }

    #[test]
    fn different_64s_are_different_keys() {
        let g = IpGrouping::default();
        assert_ne!(
            g.key("2001:db8:1:2::1".parse().unwrap()),
            g.key("2001:db8:1:3::1".parse().unwrap())
        );
    }
}
