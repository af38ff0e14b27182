//! Presets for the places users deploy: each names the header its edge sets
//! and checks, when built, that it was given the networks the edge connects
//! from. (A [`TrustedProxies`] never holds a network wider than /8 in IPv4 or
//! /16 in IPv6: it refuses them when made.)

use super::{ClientIpConfigError, ClientIpResolver, ForwardedHeader, TrustedProxies};

impl ClientIpResolver {
    /// Behind a proxy that writes the client into `X-Real-IP` (nginx with
    /// `proxy_set_header X-Real-IP $remote_addr;`, after its `real_ip` module
    /// if it stands behind other proxies itself).
    ///
    /// The header is believed only when the socket peer is in `proxies`, and
    /// only when it is sent once and holds one bare address (no port, no
    /// list); otherwise the peer is the client. The proxy must **overwrite**
    /// the header: one that passes a client's `X-Real-IP` through lets the
    /// client choose its address.
    ///
    /// ```
    /// use shieldwall_core::ClientIpResolver;
    ///
    /// let resolver = ClientIpResolver::behind_real_ip("10.0.0.5".parse()?)?;
    /// let client = resolver.resolve_from_values("10.0.0.5".parse()?, [&b"198.51.100.7"[..]]);
    /// assert_eq!(client, "198.51.100.7".parse::<std::net::IpAddr>()?);
    /// // Sent by anyone else, the header is ignored.
    /// let client = resolver.resolve_from_values("203.0.113.9".parse()?, [&b"6.6.6.6"[..]]);
    /// assert_eq!(client, "203.0.113.9".parse::<std::net::IpAddr>()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClientIpConfigError::NoTrustedProxies`] for an empty list (a list
    /// with a network wider than /8 or /16 cannot be made:
    /// [`ClientIpConfigError::TooWide`]).
    pub fn behind_real_ip(proxies: TrustedProxies) -> Result<Self, ClientIpConfigError> {
        preset("real_ip", proxies, ForwardedHeader::XRealIp)
    }

    /// Behind Cloudflare: `CF-Connecting-IP`, believed only from Cloudflare's
    /// own addresses, which you supply.
    ///
    /// Cloudflare publishes its ranges at <https://www.cloudflare.com/ips-v4>
    /// and <https://www.cloudflare.com/ips-v6> (also
    /// `https://api.cloudflare.com/client/v4/ips`) and changes them from time
    /// to time, so this crate does not ship a copy: load the current lists
    /// when you deploy (from a file or your configuration) and refresh them.
    /// A range left out makes requests through it count as Cloudflare's own
    /// address (many clients share one rate-limit bucket); a range that is not
    /// Cloudflare's lets anyone there pick their address.
    ///
    /// ```
    /// use shieldwall_core::{ClientIpResolver, TrustedProxies};
    ///
    /// // An excerpt for the example: load the full, current lists.
    /// let cloudflare: TrustedProxies = "173.245.48.0/20, 103.21.244.0/22, 104.16.0.0/13, \
    ///      2400:cb00::/32, 2606:4700::/32".parse()?;
    /// let resolver = ClientIpResolver::behind_cloudflare(cloudflare)?;
    /// let edge = "104.16.0.10".parse()?;
    /// let client = resolver.resolve_from_values(edge, [&b"2001:db8::7"[..]]);
    /// assert_eq!(client, "2001:db8::7".parse::<std::net::IpAddr>()?);
    /// // A client reaching the origin directly cannot name itself.
    /// let client = resolver.resolve_from_values("203.0.113.9".parse()?, [&b"6.6.6.6"[..]]);
    /// assert_eq!(client, "203.0.113.9".parse::<std::net::IpAddr>()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClientIpConfigError::NoTrustedProxies`] for an empty list (a list
    /// with a network wider than /8 or /16 cannot be made:
    /// [`ClientIpConfigError::TooWide`]).
    pub fn behind_cloudflare(ranges: TrustedProxies) -> Result<Self, ClientIpConfigError> {
        preset("cloudflare", ranges, ForwardedHeader::CfConnectingIp)
    }

    /// Behind an AWS Application Load Balancer: the ALB appends the address
    /// it accepted the connection from to `X-Forwarded-For` (its default
    /// `append` mode), and connects to you from its subnets in your VPC.
    /// `vpc` is those subnets (or the VPC's CIDR). The header is walked right
    /// to left and the rightmost address outside `vpc` is the client, as with
    /// [`ClientIpResolver::builder`] and [`ForwardedHeader::XForwardedFor`].
    ///
    /// With CloudFront or another proxy in front of the ALB, add its ranges to
    /// `vpc`, or the proxy's address is taken for the client. Set to
    /// `preserve`, the ALB forwards the client's own header: do not use this
    /// preset then.
    ///
    /// ```
    /// use shieldwall_core::ClientIpResolver;
    ///
    /// let resolver = ClientIpResolver::behind_aws_alb("10.20.0.0/16".parse()?)?;
    /// // The client sent "X-Forwarded-For: 6.6.6.6"; the ALB appended what it saw.
    /// let client = resolver.resolve_from_values("10.20.3.4".parse()?, [&b"6.6.6.6, 198.51.100.7"[..]]);
    /// assert_eq!(client, "198.51.100.7".parse::<std::net::IpAddr>()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClientIpConfigError::NoTrustedProxies`] for an empty list (a list
    /// with a network wider than /8 or /16 cannot be made:
    /// [`ClientIpConfigError::TooWide`]).
    pub fn behind_aws_alb(vpc: TrustedProxies) -> Result<Self, ClientIpConfigError> {
        preset("aws_alb", vpc, ForwardedHeader::XForwardedFor)
    }

    /// Behind Fly.io's proxy: `Fly-Client-IP`, the address Fly's edge
    /// accepted the connection from, believed only when the peer is in
    /// `proxies`.
    ///
    /// Fly.io documents the header but not the addresses its proxy connects
    /// to your machine from, so there is no default: give the range you see
    /// the proxy's connections come from (check the peer address of a request
    /// in your app). Apps on Fly talk to each other over the private 6PN
    /// network (`fdaa::/16`): trusting all of it lets every app of your
    /// organisation name its address. With another proxy in front of Fly,
    /// `Fly-Client-IP` is that proxy's address; use its preset instead.
    ///
    /// # Errors
    ///
    /// [`ClientIpConfigError::NoTrustedProxies`] for an empty list (a list
    /// with a network wider than /8 or /16 cannot be made:
    /// [`ClientIpConfigError::TooWide`]).
    pub fn behind_fly_io(proxies: TrustedProxies) -> Result<Self, ClientIpConfigError> {
        preset("fly_io", proxies, ForwardedHeader::FlyClientIp)
    }

    /// Behind an Envoy edge: `x-envoy-external-address`, which Envoy sets
    /// for requests it considers external (from its own trusted-hops
    /// settings), believed only when the peer is one of `proxies`.
    ///
    /// Envoy leaves the header out for internal requests, whose client is then
    /// the peer. The edge must strip the header from what clients send (Envoy
    /// does for external requests); a sidecar between the edge and you must
    /// pass it on, and be in `proxies`.
    ///
    /// # Errors
    ///
    /// [`ClientIpConfigError::NoTrustedProxies`] for an empty list (a list
    /// with a network wider than /8 or /16 cannot be made:
    /// [`ClientIpConfigError::TooWide`]).
    pub fn behind_envoy(proxies: TrustedProxies) -> Result<Self, ClientIpConfigError> {
        preset("envoy", proxies, ForwardedHeader::EnvoyExternalAddress)
    }
}

fn preset(
    name: &'static str,
    trusted: TrustedProxies,
    header: ForwardedHeader,
) -> Result<ClientIpResolver, ClientIpConfigError> {
    if trusted.is_empty() {
        return Err(ClientIpConfigError::NoTrustedProxies { preset: name });
    }
    Ok(ClientIpResolver::builder()
        .trusted_proxies(trusted)
        .header(header)
        .build())
}
