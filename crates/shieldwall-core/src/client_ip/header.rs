//! Which header a trusted proxy writes the client into.

/// Which forwarding header the trusted proxies set.
///
/// Only one is read: a proxy that manages one header passes the others
/// through from the client untouched, so reading several would let a client
/// choose. The list headers (`X-Forwarded-For`, `Forwarded`) are walked right
/// to left; the single-address headers (`X-Real-IP`, `CF-Connecting-IP`,
/// `Fly-Client-IP`, `x-envoy-external-address`) must be sent exactly once and
/// hold one bare address, else the peer is the client. The presets
/// ([`ClientIpResolver::behind_cloudflare`](crate::ClientIpResolver::behind_cloudflare)
/// and the others) choose the header and check the trusted list for you.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, AWS ALB, most CDNs).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
    /// `X-Real-IP: client`, one address (nginx `proxy_set_header X-Real-IP $remote_addr`).
    XRealIp,
    /// `CF-Connecting-IP: client`, one address, set by Cloudflare's edge.
    CfConnectingIp,
    /// `Fly-Client-IP: client`, one address, set by Fly.io's proxy.
    FlyClientIp,
    /// `x-envoy-external-address: client`, one address, set by an Envoy edge
    /// for requests it considers external.
    EnvoyExternalAddress,
}

impl ForwardedHeader {
    /// The header's name, lower case.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
            Self::XRealIp => "x-real-ip",
            Self::CfConnectingIp => "cf-connecting-ip",
            Self::FlyClientIp => "fly-client-ip",
            Self::EnvoyExternalAddress => "x-envoy-external-address",
        }
    }

    /// Whether the header holds one address rather than a list of hops.
    pub(super) fn is_single_address(self) -> bool {
        match self {
            Self::XForwardedFor | Self::Forwarded => false,
            Self::XRealIp
            | Self::CfConnectingIp
            | Self::FlyClientIp
            | Self::EnvoyExternalAddress => true,
        }
    }
}
