//! Minting tokens: any header, any claims, signed by a key of the server,
//! by none (`alg: none`), or by HS256 with bytes a test chooses.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde_json::{Map, Value, json};

use super::keys::IssuerKey;

enum Signer {
    Key(Arc<IssuerKey>),
    Unsigned,
    Hs256(Vec<u8>),
}

/// A token to mint. Starts as a good access token of the server: header
/// `{"alg", "typ": "JWT", "kid"}` of the key, claims `iss` (the issuer),
/// `aud` ([`AUDIENCE`](super::AUDIENCE)), `sub` (`user-1`), `iat` (now),
/// `exp` (now + 600 s) and a fresh `jti`. Every part can be changed.
#[must_use]
pub struct TokenBuilder {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signer: Signer,
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn fresh_jti() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("jti-{}-{nanos}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TokenBuilder {
    pub(crate) fn new(key: Arc<IssuerKey>, issuer: &str, audience: &str) -> Self {
        let now = now();
        let mut header = Map::new();
        header.insert("alg".into(), json!(key.alg.name()));
        header.insert("typ".into(), json!("JWT"));
        header.insert("kid".into(), json!(key.kid));
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(issuer));
        claims.insert("aud".into(), json!(audience));
        claims.insert("sub".into(), json!("user-1"));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 600));
        claims.insert("jti".into(), json!(fresh_jti()));
        Self {
            header,
            claims,
            signer: Signer::Key(key),
        }
    }

    /// Sets a claim (any JSON value), replacing one of that name.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// `sub`.
    pub fn subject(self, sub: &str) -> Self {
        self.claim("sub", json!(sub))
    }

    /// `aud`.
    pub fn audience(self, aud: &str) -> Self {
        self.claim("aud", json!(aud))
    }

    /// `scope`, space-separated (RFC 9068).
    pub fn scope(self, scopes: &str) -> Self {
        self.claim("scope", json!(scopes))
    }

    /// `cnf: {"jkt": ...}`: a token bound to a DPoP key (RFC 9449 section 6).
    pub fn cnf_jkt(self, jkt: &str) -> Self {
        self.claim("cnf", json!({ "jkt": jkt }))
    }

    /// Sets a header parameter, replacing one of that name (`alg` and `kid`
    /// included: the signature is still the key's).
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// `alg: none` and an empty signature.
    pub fn unsigned(mut self) -> Self {
        self.header.insert("alg".into(), json!("none"));
        self.signer = Signer::Unsigned;
        self
    }

    /// `alg: HS256`, keyed with `secret` (say, the server's public key, to
    /// try an algorithm-confusion attack).
    pub fn hs256_with(mut self, secret: &[u8]) -> Self {
        self.header.insert("alg".into(), json!("HS256"));
        self.signer = Signer::Hs256(secret.to_vec());
        self
    }

    /// The compact JWS.
    #[must_use]
    pub fn mint(self) -> String {
        let header = serde_json::to_vec(&Value::Object(self.header)).expect("JSON");
        let claims = serde_json::to_vec(&Value::Object(self.claims)).expect("JSON");
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let signature = match &self.signer {
            Signer::Key(key) => key.sign(input.as_bytes()),
            Signer::Unsigned => Vec::new(),
            Signer::Hs256(secret) => {
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
                mac.update(input.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
        };
        format!("{input}.{}", b64(&signature))
    }
}

/// The order of P-256's group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// The same ES256 token with its signature `(r, s)` written `(r, n - s)`:
/// as valid (ECDSA accepts both), without any key, and another string. What
/// a thief can do to a stolen token to make it look new.
#[must_use]
pub fn es256_twin(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a compact JWS");
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    assert_eq!(bytes.len(), 64, "an ES256 signature");
    let s = bytes.split_off(32);
    // n - s, big-endian, with borrow.
    let mut twin = [0_u8; 32];
    let mut borrow = 0_i16;
    for i in (0..32).rev() {
        let mut digit = i16::from(P256_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(digit < 0);
        if digit < 0 {
            digit += 256;
        }
        twin[i] = u8::try_from(digit).expect("a byte");
    }
    bytes.extend_from_slice(&twin);
    format!("{signed}.{}", b64(&bytes))
}
