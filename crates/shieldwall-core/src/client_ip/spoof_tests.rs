//! Spoof tests of the presets: what a client can send, from where.

use std::net::IpAddr;

use super::{ClientIpConfigError, ClientIpResolver, ForwardedHeader, TrustedProxies};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

const TRUSTED: &str = "10.0.0.0/8, 2001:db8:ffff::/48";

type Preset = fn(TrustedProxies) -> Result<ClientIpResolver, ClientIpConfigError>;

/// Every single-address preset, with the header it reads.
fn single_presets() -> [(Preset, &'static str); 4] {
    [
        (ClientIpResolver::behind_real_ip, "x-real-ip"),
        (ClientIpResolver::behind_cloudflare, "cf-connecting-ip"),
        (ClientIpResolver::behind_fly_io, "fly-client-ip"),
        (ClientIpResolver::behind_envoy, "x-envoy-external-address"),
    ]
}

/// Resolves a request carrying `headers` (each a separate line) from `peer`.
fn resolve(resolver: &ClientIpResolver, peer: &str, headers: &[(&str, &[u8])]) -> IpAddr {
    let mut request = http::Request::builder();
    for (name, value) in headers {
        request = request.header(*name, http::HeaderValue::from_bytes(value).unwrap());
    }
    resolver.resolve(&request.body(()).unwrap(), ip(peer))
}

/// Values a client might send that no proxy of ours writes.
fn hostile_values() -> Vec<Vec<u8>> {
    let mut values: Vec<Vec<u8>> = [
        "",
        " ",
        "garbage",
        "unknown",
        "_hidden",
        "198.51.100.256",
        "198.51.100.7:443",
        "198.51.100.7:",
        "[2001:db8::7]",
        "[2001:db8::7]:443",
        "2001:db8::7:99999",
        "fe80::1%eth0",
        "198.51.100.7, 10.0.0.9",
        "198.51.100.7,",
        "1.2.3.4 5.6.7.8",
        "for=198.51.100.7",
        "example.com",
        "<script>",
    ]
    .iter()
    .map(|v| v.as_bytes().to_vec())
    .collect();
    values.push(b"\xff\xfe198.51.100.7".to_vec());
    values.push(b"198.51.100.7\x80".to_vec());
    values.push("1".repeat(64 * 1024).into_bytes());
    values.push("198.51.100.7,".repeat(64 * 1024 / 13).into_bytes());
    values.push(format!("{}198.51.100.7", " ".repeat(64 * 1024)).into_bytes());
    values
}

#[test]
fn a_trusted_proxy_is_believed_in_every_address_form() {
    for (preset, name) in single_presets() {
        let r = preset(TRUSTED.parse().unwrap()).unwrap();
        let from = |peer, value: &str| resolve(&r, peer, &[(name, value.as_bytes())]);
        assert_eq!(
            from("10.0.0.2", "198.51.100.7"),
            ip("198.51.100.7"),
            "{name}"
        );
        assert_eq!(
            from("10.0.0.2", " 198.51.100.7 "),
            ip("198.51.100.7"),
            "{name}"
        );
        assert_eq!(from("10.0.0.2", "2001:db8::7"), ip("2001:db8::7"), "{name}");
        assert_eq!(from("2001:db8:ffff::2", "2001:db8::7"), ip("2001:db8::7"));
        // IPv4-mapped, in the value or the peer, counts as IPv4.
        assert_eq!(from("10.0.0.2", "::ffff:198.51.100.7"), ip("198.51.100.7"));
        assert_eq!(from("::ffff:10.0.0.2", "198.51.100.7"), ip("198.51.100.7"));
        // No header: the proxy itself is the client.
        assert_eq!(resolve(&r, "10.0.0.2", &[]), ip("10.0.0.2"), "{name}");
    }
}

#[test]
fn an_untrusted_peer_never_chooses_its_address() {
    let mut values = hostile_values();
    values.push(b"198.51.100.7".to_vec());
    values.push(b"2001:db8::7".to_vec());
    values.push(b"::ffff:198.51.100.7".to_vec());
    values.push(b"10.0.0.9".to_vec());
    for (preset, name) in single_presets() {
        let r = preset(TRUSTED.parse().unwrap()).unwrap();
        for value in &values {
            for (peer, expected) in [
                ("203.0.113.9", "203.0.113.9"),
                ("::ffff:203.0.113.9", "203.0.113.9"),
                ("2001:db8:1::9", "2001:db8:1::9"),
            ] {
                assert_eq!(
                    resolve(&r, peer, &[(name, value)]),
                    ip(expected),
                    "{name} {peer} {:?}",
                    String::from_utf8_lossy(&value[..value.len().min(40)])
                );
            }
        }
    }
}

#[test]
fn anything_but_one_bare_address_from_a_trusted_proxy_is_the_peer() {
    for (preset, name) in single_presets() {
        let r = preset(TRUSTED.parse().unwrap()).unwrap();
        for value in hostile_values() {
            assert_eq!(
                resolve(&r, "10.0.0.2", &[(name, &value)]),
                ip("10.0.0.2"),
                "{name} {:?}",
                String::from_utf8_lossy(&value[..value.len().min(40)])
            );
        }
        // Repeated: the client's copy and the proxy's, in either order.
        for lines in [
            [&b"6.6.6.6"[..], b"198.51.100.7"],
            [b"198.51.100.7", b"6.6.6.6"],
            [b"198.51.100.7", b"198.51.100.7"],
        ] {
            let headers = lines.map(|v| (name, v));
            assert_eq!(resolve(&r, "10.0.0.2", &headers), ip("10.0.0.2"), "{name}");
        }
    }
}

#[test]
fn each_preset_reads_its_own_header_only() {
    let all = [
        "x-forwarded-for",
        "forwarded",
        "x-real-ip",
        "cf-connecting-ip",
        "fly-client-ip",
        "x-envoy-external-address",
        "true-client-ip",
    ];
    for (preset, own) in single_presets() {
        let r = preset(TRUSTED.parse().unwrap()).unwrap();
        for other in all.iter().filter(|h| **h != own) {
            let value: &[u8] = if *other == "forwarded" {
                b"for=6.6.6.6"
            } else {
                b"6.6.6.6"
            };
            assert_eq!(
                resolve(&r, "10.0.0.2", &[(other, value)]),
                ip("10.0.0.2"),
                "{own} read {other}"
            );
        }
        let both = [(own, &b"198.51.100.7"[..]), ("x-forwarded-for", b"6.6.6.6")];
        assert_eq!(resolve(&r, "10.0.0.2", &both), ip("198.51.100.7"));
    }
}

#[test]
fn aws_alb_is_forwarded_for_behind_the_vpc() {
    let r = ClientIpResolver::behind_aws_alb("10.20.0.0/16, 2600:1f18:aa::/56".parse().unwrap())
        .unwrap();
    assert_eq!(r.header(), ForwardedHeader::XForwardedFor);
    let xff = |peer, value: &[u8]| resolve(&r, peer, &[("x-forwarded-for", value)]);
    // The ALB appended the address it saw; the client's prefix is never read.
    assert_eq!(
        xff("10.20.3.4", b"6.6.6.6, 198.51.100.7"),
        ip("198.51.100.7")
    );
    assert_eq!(
        xff("2600:1f18:aa::4", b"10.20.9.9, 2001:db8::7"),
        ip("2001:db8::7")
    );
    assert_eq!(xff("10.20.3.4", b"::ffff:198.51.100.7"), ip("198.51.100.7"));
    // A port on the appended hop is tolerated, as for X-Forwarded-For.
    assert_eq!(xff("10.20.3.4", b"198.51.100.7:443"), ip("198.51.100.7"));
    // An address inside the VPC to the right is skipped.
    assert_eq!(
        xff("10.20.3.4", b"6.6.6.6, 198.51.100.7, 10.20.1.1"),
        ip("198.51.100.7")
    );
    // Repeated lines form one list, still read from the right.
    let lines = [
        ("x-forwarded-for", &b"6.6.6.6"[..]),
        ("x-forwarded-for", b"198.51.100.7"),
    ];
    assert_eq!(resolve(&r, "10.20.3.4", &lines), ip("198.51.100.7"));
    // Not from the VPC: the header is anyone's.
    assert_eq!(xff("203.0.113.9", b"198.51.100.7"), ip("203.0.113.9"));
    assert_eq!(xff("10.21.0.1", b"198.51.100.7"), ip("10.21.0.1"));
    for value in hostile_values() {
        let got = xff("203.0.113.9", &value);
        assert_eq!(got, ip("203.0.113.9"));
    }
    for bad in [&b"garbage"[..], b"", b"198.51.100.7, ", b"[2001:db8::7"] {
        assert_eq!(xff("10.20.3.4", bad), ip("10.20.3.4"), "{bad:?}");
    }
    let long = "1".repeat(64 * 1024);
    assert_eq!(xff("10.20.3.4", long.as_bytes()), ip("10.20.3.4"));
    // X-Real-IP and the like are not read.
    assert_eq!(
        resolve(&r, "10.20.3.4", &[("x-real-ip", b"6.6.6.6")]),
        ip("10.20.3.4")
    );
}

#[test]
fn presets_refuse_no_proxies_and_their_lists_never_hold_the_whole_internet() {
    let presets: [(Preset, &str); 5] = [
        (ClientIpResolver::behind_real_ip, "real_ip"),
        (ClientIpResolver::behind_cloudflare, "cloudflare"),
        (ClientIpResolver::behind_aws_alb, "aws_alb"),
        (ClientIpResolver::behind_fly_io, "fly_io"),
        (ClientIpResolver::behind_envoy, "envoy"),
    ];
    for (preset, name) in presets {
        assert_eq!(
            preset(TrustedProxies::none()).unwrap_err(),
            ClientIpConfigError::NoTrustedProxies { preset: name }
        );
        for ok in ["10.0.0.0/8", "fdaa::/16", "192.0.2.10"] {
            assert!(preset(ok.parse().unwrap()).is_ok(), "{name} {ok}");
        }
    }
    // The whole internet never reaches a preset: the list refuses it.
    for wide in [
        "10.0.0.0/8, 0.0.0.0/0",
        "::/0",
        "2000::/3",
        "::ffff:0.0.0.0/96",
    ] {
        assert!(
            matches!(
                wide.parse::<TrustedProxies>(),
                Err(ClientIpConfigError::TooWide { .. })
            ),
            "{wide}"
        );
    }
}

#[test]
fn https_from_a_preset_edge_only() {
    let r = ClientIpResolver::behind_cloudflare("104.16.0.0/13".parse().unwrap()).unwrap();
    let request = http::Request::builder()
        .header("x-forwarded-proto", "https")
        .body(())
        .unwrap();
    assert!(r.forwarded_https(&request, ip("104.16.0.1")));
    assert!(!r.forwarded_https(&request, ip("203.0.113.9")));
}
