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
