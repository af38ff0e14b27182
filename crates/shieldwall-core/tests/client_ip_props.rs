//! The client-address resolver on forwarding headers of any shape: never a
//! panic; an untrusted peer is the client whatever the headers say; behind
//! a trusted proxy the client is the peer or an address the header names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::net::IpAddr;

use proptest::prelude::*;
use shieldwall_core::{ClientIpResolver, ForwardedHeader, TrustedProxies, normalize_ip};

fn resolver(header: ForwardedHeader) -> ClientIpResolver {
    let trusted: TrustedProxies = "127.0.0.0/8,::1".parse().unwrap();
    ClientIpResolver::builder()
        .trusted_proxies(trusted)
        .header(header)
        .build()
}

/// Header values made of address-like pieces, separators and noise.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"203.0.113.7".to_vec()),
        Just(b"127.0.0.1".to_vec()),
        Just(b"[2001:db8::1]:443".to_vec()),
        Just(b"2001:db8::2".to_vec()),
        Just(b"::ffff:198.51.100.9".to_vec()),
        Just(b"1::ffff:198.51.100.9".to_vec()),
        Just(b"for=198.51.100.1".to_vec()),
        Just(b"for=\"[2001:db8::3]:80\";proto=https".to_vec()),
        Just(b"unknown".to_vec()),
        Just(b"_hidden".to_vec()),
        Just(b", ".to_vec()),
        Just(b";".to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

fn headers() -> impl Strategy<Value = ForwardedHeader> {
    prop::sample::select(vec![
        ForwardedHeader::XForwardedFor,
        ForwardedHeader::Forwarded,
        ForwardedHeader::XRealIp,
    ])
}

/// Whether `ip` is named somewhere in `values`: any run of address
/// characters in them that parses to it (an IPv4-mapped IPv6 counts as its
/// IPv4, and `1::ffff:198.51.100.9` is `1::ffff:c633:6409`).
fn named_in(ip: IpAddr, values: &[Vec<u8>]) -> bool {
    values.iter().any(|value| {
        value
            .split(|b| !(b.is_ascii_hexdigit() || *b == b':' || *b == b'.'))
            .filter_map(|run| std::str::from_utf8(run).ok())
            .filter_map(|run| run.parse::<IpAddr>().ok())
            .any(|named| normalize_ip(named) == ip)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn an_untrusted_peer_is_the_client(values in prop::collection::vec(value(), 0..4), header in headers()) {
        let peer: IpAddr = "198.51.100.200".parse().unwrap();
        let resolved = resolver(header).resolve_from_values(peer, values.iter().map(Vec::as_slice));
        prop_assert_eq!(resolved, peer);
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_named_or_the_peer(
        values in prop::collection::vec(value(), 0..4),
        header in headers(),
    ) {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let resolved = resolver(header).resolve_from_values(peer, values.iter().map(Vec::as_slice));
        prop_assert!(
            resolved == peer || named_in(resolved, &values),
            "{resolved} from {:?}",
            values.iter().map(|v| String::from_utf8_lossy(v).into_owned()).collect::<Vec<_>>()
        );
    }
}
