//! What a limit counts by.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use shieldwall_core::{IpGrouping, Principal, RequestView};

use crate::RateLimitConfigError;

/// The longest key kept as it is; longer ones are hashed.
const MAX_RAW_KEY: usize = 64;

/// A key's bytes: small ones on the stack (no allocation per request).
///
/// A [`KeyStrategy`] makes them from a request; [`KeyBytes::new`] makes one
/// from a value of your own, to call [`RateLimiter::check`](crate::RateLimiter::check)
/// outside a guard.
///
/// ```
/// use shieldwall_ratelimit::KeyBytes;
///
/// let key = KeyBytes::new(b"tenant-42");
/// assert_eq!(key, KeyBytes::new(b"tenant-42"));
/// assert_ne!(key, KeyBytes::new(b"tenant-43"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyBytes {
    len: u8,
    bytes: [u8; MAX_RAW_KEY + 2],
}

impl KeyBytes {
    /// The key of `value`: the same key [`KeyStrategy::Custom`] makes when
    /// its function returns `value`, so it shares that count and never
    /// equals a client address, principal, API key or header key. Values
    /// longer than 64 bytes are replaced by their SHA-256.
    #[must_use]
    pub fn new(value: &[u8]) -> Self {
        Self::tagged(b'c', value)
    }

    fn tagged(tag: u8, body: &[u8]) -> Self {
        let mut key = Self {
            len: 0,
            bytes: [0; MAX_RAW_KEY + 2],
        };
        if body.len() <= MAX_RAW_KEY {
            key.push(tag);
            key.extend(body);
        } else {
            // Long, client-chosen values become their digest: bounded memory,
            // and no two long values share a bucket.
            key.push(tag.to_ascii_uppercase());
            key.extend(&Sha256::digest(body));
        }
        key
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(usize::from(self.len)) {
            *slot = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, body: &[u8]) {
        for b in body {
            self.push(*b);
        }
    }

    /// The bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// As hex, for store keys that must be text.
    #[must_use]
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(2 * self.as_bytes().len());
        self.push_hex(&mut out);
        out
    }

    /// Appends the hex form to `out`.
    pub(crate) fn push_hex(&self, out: &mut String) {
        for b in self.as_bytes() {
            for nibble in [b >> 4, b & 0xf] {
                out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            }
        }
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyBytes({})", self.to_hex())
    }
}

fn ip_key(ip: IpAddr, grouping: &IpGrouping) -> KeyBytes {
    let net = grouping.key(ip);
    let mut body = [0_u8; 17];
    body[0] = net.prefix_len();
    match net.network() {
        IpAddr::V4(v4) => body[1..5].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => body[1..17].copy_from_slice(&v6.octets()),
    }
    let len = if net.network().is_ipv4() { 5 } else { 17 };
    KeyBytes::tagged(b'i', body.get(..len).unwrap_or_default())
}

/// What a custom key function sees of a request.
#[non_exhaustive]
pub struct KeyInput<'a> {
    /// The method.
    pub method: &'a str,
    /// The path.
    pub path: &'a str,
    /// The client address (trusted proxies resolved), when known.
    pub client_ip: Option<IpAddr>,
    /// The principal an earlier guard attached.
    pub principal: Option<&'a Principal>,
    headers: &'a dyn Fn(&str) -> Option<&'a [u8]>,
}

impl KeyInput<'_> {
    /// The first value of a header (lowercase name).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        (self.headers)(name)
    }
}

/// A key function.
pub type KeyFn = Arc<dyn Fn(&KeyInput<'_>) -> Option<String> + Send + Sync>;

/// What a limit counts by. A request whose key cannot be found (no client
/// address, say) is counted by its client address, or refused when even that
/// is unknown.
///
/// From a configuration file (serde `Deserialize`): `"client_ip"`,
/// `"principal"`, `"api_key"` or `{ header = "x-tenant" }`, each with the
/// default grouping. A key function ([`KeyStrategy::Custom`]) is code and
/// cannot come from a file.
#[non_exhaustive]
#[derive(Clone)]
pub enum KeyStrategy {
    /// The client address, after trusted proxies, grouped (IPv6 by /64).
    ClientIp(IpGrouping),
    /// The principal's id (a user, or an API key's owner); the client
    /// address for anonymous requests.
    Principal(IpGrouping),
    /// The API key id of the principal; the client address without one.
    ApiKeyId(IpGrouping),
    /// A header's value (hashed when long); the client address without it.
    /// The value is chosen by the client: use it only behind authentication.
    Header(Arc<str>, IpGrouping),
    /// A function of the request; the client address when it returns `None`.
    Custom(KeyFn, IpGrouping),
}

impl fmt::Debug for KeyStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientIp(_) => f.write_str("ClientIp"),
            Self::Principal(_) => f.write_str("Principal"),
            Self::ApiKeyId(_) => f.write_str("ApiKeyId"),
            Self::Header(name, _) => write!(f, "Header({name})"),
            Self::Custom(..) => f.write_str("Custom"),
        }
    }
}

impl Default for KeyStrategy {
    fn default() -> Self {
        Self::ClientIp(IpGrouping::default())
    }
}

impl KeyStrategy {
    /// Counts by the value of header `name` (lowercased; checked to be a
    /// header name), the client address without it.
    pub fn header(name: &str) -> Result<Self, RateLimitConfigError> {
        let lower = name.to_ascii_lowercase();
        if http::HeaderName::from_bytes(lower.as_bytes()).is_err() {
            return Err(RateLimitConfigError::HeaderName(
                name.chars().take(64).collect(),
            ));
        }
        Ok(Self::Header(Arc::from(lower), IpGrouping::default()))
    }

    fn grouping(&self) -> &IpGrouping {
        match self {
            Self::ClientIp(g)
            | Self::Principal(g)
            | Self::ApiKeyId(g)
            | Self::Header(_, g)
            | Self::Custom(_, g) => g,
        }
    }

    /// The key of `request`, or `None` when not even the client address is known.
    pub fn key_of<R: RequestView + ?Sized>(&self, request: &R) -> Option<KeyBytes> {
        let client_ip = request.context().and_then(|c| c.client_ip);
        let by_ip = || client_ip.map(|ip| ip_key(ip, self.grouping()));
        match self {
            Self::ClientIp(_) => by_ip(),
            Self::Principal(_) => match request.principal() {
                Some(p) => Some(KeyBytes::tagged(b'p', p.id().as_bytes())),
                None => by_ip(),
            },
            Self::ApiKeyId(_) => match request
                .principal()
                .and_then(|p| p.key_id().map(|k| KeyBytes::tagged(b'k', k.as_bytes())))
            {
                Some(key) => Some(key),
                None => by_ip(),
            },
            Self::Header(name, _) => match request.header_values(name).next() {
                Some(value) => Some(KeyBytes::tagged(b'h', value)),
                None => by_ip(),
            },
            Self::Custom(function, _) => {
                let principal = request.principal();
                let lookup = |name: &str| request.header_values(name).next();
                let input = KeyInput {
                    method: request.method(),
                    path: request.path(),
                    client_ip,
                    principal: principal.as_ref(),
                    headers: &lookup,
                };
                match function(&input) {
                    Some(key) => Some(KeyBytes::new(key.as_bytes())),
                    None => by_ip(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shieldwall_core::{Perimeter, RequestContext};

    fn request(
        headers: &[(&str, &str)],
        principal: Option<Principal>,
        peer: &str,
    ) -> http::Request<()> {
        let mut builder = http::Request::builder().uri("/api/x");
        for (n, v) in headers {
            builder = builder.header(*n, *v);
        }
        let mut req = builder.body(()).unwrap();
        let ctx: RequestContext = Perimeter::new().begin(&req, Some(peer.parse().unwrap()));
        req.extensions_mut().insert(ctx);
        if let Some(p) = principal {
            req.extensions_mut().insert(p);
        }
        req
    }

    #[test]
    fn keys_by_strategy_with_the_address_as_fallback() {
        let g = IpGrouping::default();
        let anon = request(&[], None, "[2001:db8:1:2::5]:1");
        let same_64 = request(&[], None, "[2001:db8:1:2::99]:1");
        let user = request(&[], Some(Principal::user("u1")), "192.0.2.1:1");
        let keyed = request(&[], Some(Principal::api_key("owner", "k1")), "192.0.2.1:1");
        let ip = KeyStrategy::ClientIp(g);
        assert_eq!(ip.key_of(&anon), ip.key_of(&same_64));
        let by_principal = KeyStrategy::Principal(g);
        assert_eq!(by_principal.key_of(&user).unwrap().as_bytes(), b"pu1");
        assert_eq!(by_principal.key_of(&anon), ip.key_of(&anon));
        let by_key = KeyStrategy::ApiKeyId(g);
        assert_eq!(by_key.key_of(&keyed).unwrap().as_bytes(), b"kk1");
        assert_eq!(by_key.key_of(&user), ip.key_of(&user));
        let header = KeyStrategy::Header(Arc::from("x-tenant"), g);
        let long = "t".repeat(500);
        let with_long = request(&[("x-tenant", &long)], None, "192.0.2.1:1");
        assert_eq!(header.key_of(&with_long).unwrap().as_bytes().len(), 33);
        let custom = KeyStrategy::Custom(
            Arc::new(|input: &KeyInput<'_>| {
                input
                    .header("x-tenant")
                    .map(|v| String::from_utf8_lossy(v).into_owned())
            }),
            g,
        );
        let with_tenant = request(&[("x-tenant", "acme")], None, "192.0.2.1:1");
        assert_eq!(custom.key_of(&with_tenant).unwrap().as_bytes(), b"cacme");
        // A key made by hand is the custom function's key for the same value.
        assert_eq!(custom.key_of(&with_tenant), Some(KeyBytes::new(b"acme")));
        assert_ne!(KeyBytes::new(b"u1"), by_principal.key_of(&user).unwrap());
        assert_eq!(KeyBytes::new(long.as_bytes()).as_bytes().len(), 33);
        // No address known at all: no key.
        let bare = http::Request::builder().body(()).unwrap();
        assert!(ip.key_of(&bare).is_none());
    }
}
