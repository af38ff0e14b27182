//! Client IP settings from configuration files (serde `Deserialize`): the
//! same parsers and builders as in code, so a file can never make what they
//! refuse.
//!
//! - [`TrustedProxies`]: a list of addresses and CIDRs, `["10.0.0.0/8",
//!   "2001:db8:ffff::/48"]`, or one comma-separated string.
//! - [`IpGrouping`]: `{ v4_prefix = 32, v6_prefix = 64 }` (each optional).
//! - [`ForwardedHeader`]: the header's name, `"x-forwarded-for"`,
//!   `"forwarded"`, `"x-real-ip"`, `"cf-connecting-ip"`, `"fly-client-ip"`
//!   or `"x-envoy-external-address"`.
//! - [`ClientIpResolver`]: `trusted_proxies`, then either `header` and
//!   `max_hops` (the builder) or `preset` (`real_ip`, `cloudflare`,
//!   `aws_alb`, `fly_io`, `envoy`: the presets, which choose their header).

use std::fmt;
use std::num::NonZeroUsize;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use super::{ClientIpConfigError, ClientIpResolver, ForwardedHeader, IpGrouping, TrustedProxies};

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Networks;

        impl<'de> Visitor<'de> for Networks {
            type Value = TrustedProxies;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of addresses and CIDRs such as [\"10.0.0.0/8\"]")
            }

            fn visit_str<E: de::Error>(self, list: &str) -> Result<Self::Value, E> {
                list.parse().map_err(E::custom)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<String> = Vec::new();
                while let Some(entry) = seq.next_element::<String>()? {
                    entries.push(entry);
                }
                TrustedProxies::from_entries(entries.iter().map(String::as_str))
                    .map_err(de::Error::custom)
            }
        }

        deserializer.deserialize_any(Networks)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrouping {
    #[serde(default = "v4_default")]
    v4_prefix: u8,
    #[serde(default = "v6_default")]
    v6_prefix: u8,
}

fn v4_default() -> u8 {
    32
}

fn v6_default() -> u8 {
    64
}

impl<'de> Deserialize<'de> for IpGrouping {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawGrouping::deserialize(deserializer)?;
        IpGrouping::new(raw.v4_prefix, raw.v6_prefix).map_err(|e| {
            let field = match e {
                ClientIpConfigError::PrefixLength { max: 32, .. } => "v4_prefix",
                _ => "v6_prefix",
            };
            de::Error::custom(format_args!("{field}: {e}"))
        })
    }
}

const HEADERS: [ForwardedHeader; 6] = [
    ForwardedHeader::XForwardedFor,
    ForwardedHeader::Forwarded,
    ForwardedHeader::XRealIp,
    ForwardedHeader::CfConnectingIp,
    ForwardedHeader::FlyClientIp,
    ForwardedHeader::EnvoyExternalAddress,
];

const HEADER_NAMES: &[&str] = &[
    "x-forwarded-for",
    "forwarded",
    "x-real-ip",
    "cf-connecting-ip",
    "fly-client-ip",
    "x-envoy-external-address",
];

impl<'de> Deserialize<'de> for ForwardedHeader {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        HEADERS
            .into_iter()
            .find(|h| h.name().eq_ignore_ascii_case(&name))
            .ok_or_else(|| de::Error::unknown_variant(&name, HEADER_NAMES))
    }
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Preset {
    RealIp,
    Cloudflare,
    AwsAlb,
    FlyIo,
    Envoy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResolver {
    #[serde(default)]
    trusted_proxies: TrustedProxies,
    #[serde(default)]
    preset: Option<Preset>,
    #[serde(default)]
    header: Option<ForwardedHeader>,
    #[serde(default)]
    max_hops: Option<NonZeroUsize>,
}

impl TryFrom<RawResolver> for ClientIpResolver {
    type Error = String;

    fn try_from(raw: RawResolver) -> Result<Self, String> {
        let Some(preset) = raw.preset else {
            let mut builder = ClientIpResolver::builder().trusted_proxies(raw.trusted_proxies);
            if let Some(header) = raw.header {
                builder = builder.header(header);
            }
            if let Some(max_hops) = raw.max_hops {
                builder = builder.max_hops(max_hops);
            }
            return Ok(builder.build());
        };
        if raw.header.is_some() {
            return Err("header: a preset chooses its own header; give one or the other".into());
        }
        if raw.max_hops.is_some() {
            return Err("max_hops: not a setting of the presets".into());
        }
        let make = match preset {
            Preset::RealIp => ClientIpResolver::behind_real_ip,
            Preset::Cloudflare => ClientIpResolver::behind_cloudflare,
            Preset::AwsAlb => ClientIpResolver::behind_aws_alb,
            Preset::FlyIo => ClientIpResolver::behind_fly_io,
            Preset::Envoy => ClientIpResolver::behind_envoy,
        };
        make(raw.trusted_proxies).map_err(|e| format!("trusted_proxies: {e}"))
    }
}

impl<'de> Deserialize<'de> for ClientIpResolver {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawResolver::deserialize(deserializer)?
            .try_into()
            .map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_list_or_a_string_builds_what_the_parser_builds() {
        let from_list: TrustedProxies = json(r#"["10.0.0.0/8", " ::1 "]"#).unwrap();
        let from_text: TrustedProxies = json(r#""10.0.0.0/8, ::1""#).unwrap();
        let parsed: TrustedProxies = "10.0.0.0/8, ::1".parse().unwrap();
        assert_eq!(from_list, parsed);
        assert_eq!(from_text, parsed);
        assert!(json::<TrustedProxies>("[]").unwrap().is_empty());
    }

    #[test]
    fn bad_lists_are_refused_with_the_parsers_message() {
        let wide = json::<TrustedProxies>(r#"["10.0.0.0/8", "0.0.0.0/0"]"#).unwrap_err();
        assert!(wide.contains("`0.0.0.0/0` is wider than /8"), "{wide}");
        let bad = json::<TrustedProxies>(r#"["nope"]"#).unwrap_err();
        assert!(bad.contains("`nope` is not an IP address"), "{bad}");
        let wrong = json::<TrustedProxies>("[1]").unwrap_err();
        assert!(wrong.contains("invalid type"), "{wrong}");
        assert!(json::<TrustedProxies>("7").is_err());
    }

    #[test]
    fn groupings_and_headers() {
        let g: IpGrouping = json(r#"{"v6_prefix": 48}"#).unwrap();
        assert_eq!(g, IpGrouping::new(32, 48).unwrap());
        let err = json::<IpGrouping>(r#"{"v4_prefix": 33}"#).unwrap_err();
        assert!(err.starts_with("v4_prefix: prefix length 33"), "{err}");
        let err = json::<IpGrouping>(r#"{"v6_prefix": 129}"#).unwrap_err();
        assert!(err.starts_with("v6_prefix:"), "{err}");
        let err = json::<IpGrouping>(r#"{"v5_prefix": 1}"#).unwrap_err();
        assert!(err.contains("unknown field `v5_prefix`"), "{err}");
        let h: ForwardedHeader = json(r#""CF-Connecting-IP""#).unwrap();
        assert_eq!(h, ForwardedHeader::CfConnectingIp);
        let err = json::<ForwardedHeader>(r#""x-client-ip""#).unwrap_err();
        assert!(err.contains("unknown variant `x-client-ip`"), "{err}");
    }

    #[test]
    fn resolvers_from_the_builder_or_a_preset() {
        let r: ClientIpResolver =
            json(r#"{"trusted_proxies": ["10.0.0.0/8"], "header": "forwarded", "max_hops": 4}"#)
                .unwrap();
        assert_eq!(r.header(), ForwardedHeader::Forwarded);
        assert_eq!(r.max_hops.get(), 4);
        assert!(r.trusted_proxies().contains("10.1.1.1".parse().unwrap()));
        let r: ClientIpResolver =
            json(r#"{"trusted_proxies": ["104.16.0.0/13"], "preset": "cloudflare"}"#).unwrap();
        assert_eq!(r.header(), ForwardedHeader::CfConnectingIp);
        let none: ClientIpResolver = json("{}").unwrap();
        assert!(none.trusted_proxies().is_empty());
        for (text, needle) in [
            (
                r#"{"preset": "cloudflare"}"#,
                "trusted_proxies: the cloudflare preset needs",
            ),
            (
                r#"{"trusted_proxies": ["10.0.0.0/8"], "preset": "envoy", "header": "x-real-ip"}"#,
                "header: a preset chooses",
            ),
            (
                r#"{"trusted_proxies": ["10.0.0.0/8"], "preset": "aws_alb", "max_hops": 2}"#,
                "max_hops:",
            ),
            (r#"{"preset": "akamai"}"#, "unknown variant `akamai`"),
            (r#"{"trusted": []}"#, "unknown field `trusted`"),
            (r#"{"max_hops": 0}"#, "invalid value"),
            (
                r#"{"trusted_proxies": ["::/0"]}"#,
                "`::/0` is wider than /16",
            ),
        ] {
            let err = json::<ClientIpResolver>(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn the_path_names_the_field() {
        let path = |text: &str| {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize::<_, ClientIpResolver>(&mut de)
                .map(drop)
                .unwrap_err()
                .path()
                .to_string()
        };
        assert_eq!(
            path(r#"{"trusted_proxies": ["0.0.0.0/0"]}"#),
            "trusted_proxies"
        );
        assert_eq!(path(r#"{"trusted_proxies": [7]}"#), "trusted_proxies[0]");
        assert_eq!(path(r#"{"header": "x-client-ip"}"#), "header");
        assert_eq!(path(r#"{"max_hops": -1}"#), "max_hops");
    }
}
