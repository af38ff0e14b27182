//! Whether a request reached the first trusted proxy over HTTPS.

use std::net::IpAddr;

use super::{ClientIpResolver, ForwardedHeader};
use crate::RequestView;

impl ClientIpResolver {
    /// Whether a trusted proxy says the client spoke HTTPS to it: the peer
    /// is a trusted proxy and the last value of `X-Forwarded-Proto` (with
    /// [`ForwardedHeader::Forwarded`], the `proto` of the last `Forwarded`
    /// element) is `https`. The single-address presets (Cloudflare, Fly.io,
    /// Envoy, `X-Real-IP`) read `X-Forwarded-Proto` too, which those edges set;
    /// behind nginx, set it with `proxy_set_header`. From any other peer the header is ignored:
    /// anyone can send it.
    #[must_use]
    pub fn forwarded_https<R: RequestView + ?Sized>(&self, request: &R, peer: IpAddr) -> bool {
        if !self.trusted.contains(peer) {
            return false;
        }
        match self.header {
            ForwardedHeader::XForwardedFor
            | ForwardedHeader::XRealIp
            | ForwardedHeader::CfConnectingIp
            | ForwardedHeader::FlyClientIp
            | ForwardedHeader::EnvoyExternalAddress => last_element(request, "x-forwarded-proto")
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https")),
            ForwardedHeader::Forwarded => last_element(request, "forwarded").is_some_and(|el| {
                el.split(';').any(|pair| {
                    pair.split_once('=').is_some_and(|(name, value)| {
                        name.trim().eq_ignore_ascii_case("proto")
                            && value.trim().trim_matches('"').eq_ignore_ascii_case("https")
                    })
                })
            }),
        }
    }
}

/// The last comma-separated element of the last `name` header, as text (the
/// one the nearest proxy wrote); `None` when absent or not UTF-8.
fn last_element<'a, R: RequestView + ?Sized>(request: &'a R, name: &str) -> Option<&'a str> {
    let last = request.header_values(name).last()?;
    std::str::from_utf8(last).ok()?.rsplit(',').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(header: ForwardedHeader) -> ClientIpResolver {
        ClientIpResolver::builder()
            .trusted_proxies("10.0.0.0/8".parse().unwrap())
            .header(header)
            .build()
    }

    fn https(header: ForwardedHeader, peer: &str, name: &str, values: &[&str]) -> bool {
        let mut builder = http::Request::builder();
        for value in values {
            builder = builder.header(name, *value);
        }
        let request = builder.body(()).unwrap();
        resolver(header).forwarded_https(&request, peer.parse().unwrap())
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_its_own_value() {
        use ForwardedHeader::{Forwarded, XForwardedFor};
        let xfp = "x-forwarded-proto";
        assert!(https(XForwardedFor, "10.0.0.1", xfp, &["https"]));
        assert!(https(XForwardedFor, "10.0.0.1", xfp, &["HTTPS "]));
        assert!(https(XForwardedFor, "10.0.0.1", xfp, &["http, https"]));
        assert!(!https(XForwardedFor, "10.0.0.1", xfp, &["https, http"]));
        assert!(!https(XForwardedFor, "10.0.0.1", xfp, &["https", "http"]));
        assert!(!https(XForwardedFor, "192.0.2.1", xfp, &["https"]));
        assert!(!https(XForwardedFor, "10.0.0.1", xfp, &[]));
        assert!(!https(XForwardedFor, "10.0.0.1", xfp, &["httpsx"]));
        assert!(!https(
            XForwardedFor,
            "10.0.0.1",
            "forwarded",
            &["proto=https"]
        ));
        let fwd = "forwarded";
        assert!(https(
            Forwarded,
            "10.0.0.1",
            fwd,
            &["for=1.2.3.4;proto=https"]
        ));
        assert!(https(
            Forwarded,
            "10.0.0.1",
            fwd,
            &["for=1.2.3.4;proto=http, for=10.0.0.2;Proto=\"https\""]
        ));
        assert!(!https(
            Forwarded,
            "10.0.0.1",
            fwd,
            &["for=1.2.3.4;proto=https, for=10.0.0.2"]
        ));
        assert!(!https(Forwarded, "192.0.2.1", fwd, &["proto=https"]));
        assert!(!https(Forwarded, "10.0.0.1", xfp, &["https"]));
    }
}
