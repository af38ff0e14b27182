//! The URLs discovery accepts: `https://`, or `http://` on a loopback host
//! (127.0.0.0/8, `::1`, `localhost`), for tests against a local server.

use std::net::{Ipv4Addr, Ipv6Addr};

use reqwest::Url;

/// The longest URL taken, configured or read.
const MAX_URL_LEN: usize = 2048;

/// Whether `host` (as [`Url::host_str`] writes it: lowercase, IPv6 in
/// brackets, IPv4 in dotted decimal) is a loopback host.
pub(crate) fn is_loopback(host: &str) -> bool {
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return v4.is_loopback();
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    host == "localhost"
}

/// `raw` parsed, if it is an `https://` URL, or an `http://` URL on a
/// loopback host, with a host and no user information or fragment.
pub(crate) fn check(raw: &str) -> Result<Url, &'static str> {
    if raw.len() > MAX_URL_LEN || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("longer than 2048 bytes, or holds whitespace or control characters");
    }
    let secure = raw.starts_with("https://");
    if !secure && !raw.starts_with("http://") {
        return Err("not an https:// URL");
    }
    let url = Url::parse(raw).map_err(|_| "not a URL")?;
    let host = url.host_str().ok_or("no host")?;
    if !secure && !is_loopback(host) {
        return Err("http:// is accepted only on a loopback host (127.0.0.0/8, ::1, localhost)");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("holds user information");
    }
    if url.fragment().is_some() {
        return Err("holds a fragment");
    }
    Ok(url)
}

/// An issuer identifier: as [`check`], and no query (OpenID Connect
/// Discovery 1.0 section 2).
pub(crate) fn check_issuer(raw: &str) -> Result<Url, &'static str> {
    let url = check(raw)?;
    if url.query().is_some() {
        return Err("holds a query");
    }
    Ok(url)
}

/// Where the issuer's discovery document is: the issuer without its
/// trailing `/`, then `/.well-known/openid-configuration` (section 4).
pub(crate) fn discovery_url(issuer: &str) -> String {
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    format!("{base}/.well-known/openid-configuration")
}

/// A host name or address as [`Url::host_str`] writes it, from what a user
/// typed (`Login.Example`, `::1`, `[::1]`, `127.0.0.1`).
pub(crate) fn normalize_host(host: &str) -> Option<String> {
    let inner = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(v6) = inner.parse::<Ipv6Addr>() {
        return Some(format!("[{v6}]"));
    }
    // A name or an IPv4 address: nothing that could be a port, a path or
    // user information.
    let name_like = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !name_like {
        return None;
    }
    let url = Url::parse(&format!("https://{host}/")).ok()?;
    url.host_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for good in [
            "https://login.example",
            "https://login.example/realms/a/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:9000/x",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            assert!(check_issuer(good).is_ok(), "{good}");
        }
        for bad in [
            "http://login.example",
            "http://10.0.0.1",
            "http://[::2]",
            "http://[::ffff:127.0.0.1]",
            "http://localhost.example",
            "http://127.0.0.1.example",
            "ftp://login.example",
            "HTTPS://login.example",
            "https:login.example",
            "login.example",
            "https://",
            "https://user:pass@login.example",
            "https://login.example/#frag",
            "https://login.example/?q=1",
            "https://login.example/ a",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
        assert!(check("https://login.example/keys?v=1").is_ok());
    }

    #[test]
    fn the_document_is_under_the_issuer_without_its_trailing_slash() {
        assert_eq!(
            discovery_url("https://a.example"),
            "https://a.example/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://a.example/tenant/"),
            "https://a.example/tenant/.well-known/openid-configuration"
        );
    }

    #[test]
    fn hosts_are_normalized_and_only_hosts() {
        assert_eq!(
            normalize_host("Keys.Example").as_deref(),
            Some("keys.example")
        );
        assert_eq!(normalize_host("::1").as_deref(), Some("[::1]"));
        assert_eq!(normalize_host("[::1]").as_deref(), Some("[::1]"));
        assert_eq!(normalize_host("127.0.0.1").as_deref(), Some("127.0.0.1"));
        for bad in [
            "",
            "a.example:443",
            "a.example/x",
            "u@a.example",
            "a b",
            "https://a.example",
        ] {
            assert_eq!(normalize_host(bad), None, "{bad}");
        }
    }
}
