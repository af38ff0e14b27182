//! Keys from a JWKS URL, refreshed in the background (feature `jwks`).
//!
//! The first fetch happens when the source is loaded and must succeed. Then a
//! background task fetches again when the response's `Cache-Control: max-age`
//! says (clamped between a minimum and a maximum), and a token with an
//! unknown `kid` triggers a fetch at most once per interval. When a fetch
//! fails, the last good set keeps serving.
//!
//! Only public signature keys are taken: `oct` (shared secret) keys are never
//! taken from a URL, `use` must be `sig` when present, and each key needs an
//! `alg` (or the configured default) that fits its type and curve.

use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use serde_json::Value;

use crate::algorithm::Family;
use crate::{Algorithm, KeySet, TokenConfigError, VerifyingKey};

/// How to fetch and refresh a JWKS.
#[derive(Clone, Debug)]
pub struct JwksConfig {
    url: String,
    default_algorithm: Option<Algorithm>,
    min_refresh: Duration,
    max_refresh: Duration,
    default_refresh: Duration,
    unknown_kid_interval: Duration,
    timeout: Duration,
    max_body: usize,
    allow_http: bool,
}

impl JwksConfig {
    /// Fetch from `url` (HTTPS), refreshing every 5 minutes unless the
    /// response says otherwise (clamped to 1 minute .. 1 day), refetching for
    /// an unknown `kid` at most every 30 s, each fetch within 5 s and 256 KiB.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            default_algorithm: None,
            min_refresh: Duration::from_secs(60),
            max_refresh: Duration::from_secs(24 * 3600),
            default_refresh: Duration::from_secs(300),
            unknown_kid_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            max_body: 256 * 1024,
            allow_http: false,
        }
    }

    /// The algorithm of keys that name none (default: such keys are skipped).
    #[must_use]
    pub fn default_algorithm(mut self, alg: Algorithm) -> Self {
        self.default_algorithm = Some(alg);
        self
    }

    /// Bounds on how often the set is fetched again.
    #[must_use]
    pub fn refresh_between(mut self, min: Duration, max: Duration) -> Self {
        self.min_refresh = min;
        self.max_refresh = max.max(min);
        self
    }

    /// How often an unknown `kid` may trigger a fetch.
    #[must_use]
    pub fn unknown_kid_interval(mut self, interval: Duration) -> Self {
        self.unknown_kid_interval = interval;
        self
    }

    /// The timeout of one fetch.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Accepts an `http://` URL. Insecure: anyone on the path can swap the keys.
    /// For tests against a local server.
    #[must_use]
    pub fn allow_http_insecure(mut self) -> Self {
        self.allow_http = true;
        self
    }
}

/// A key set fetched from a JWKS URL and kept fresh.
#[derive(Debug)]
pub struct JwksKeys {
    config: JwksConfig,
    client: reqwest::Client,
    state: RwLock<State>,
    last_unknown_kid_fetch: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Debug)]
struct State {
    set: Arc<KeySet>,
    generation: u64,
    fingerprint: String,
}

struct Fetched {
    set: KeySet,
    fingerprint: String,
    max_age: Option<Duration>,
}

impl JwksKeys {
    /// Fetches the set once (it must succeed) and starts the background
    /// refresh, which ends when the returned value is dropped. Needs a Tokio
    /// runtime.
    pub async fn load(config: JwksConfig) -> Result<Arc<Self>, TokenConfigError> {
        let scheme_ok = config.url.starts_with("https://")
            || (config.allow_http && config.url.starts_with("http://"));
        if !scheme_ok {
            return Err(TokenConfigError::InvalidValue("JWKS URL (https:// only)"));
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TokenConfigError::Jwks(e.to_string()))?;
        let partial = Self {
            config,
            client,
            state: RwLock::new(State {
                set: Arc::new(placeholder_set()?),
                generation: 0,
                fingerprint: String::new(),
            }),
            last_unknown_kid_fetch: tokio::sync::Mutex::new(None),
        };
        let first = partial.fetch().await.map_err(TokenConfigError::Jwks)?;
        let next = partial.next_refresh(first.max_age);
        partial.install(first);
        let keys = Arc::new(partial);
        tokio::spawn(refresh_loop(Arc::downgrade(&keys), next));
        Ok(keys)
    }

    /// The current set and its generation.
    pub(crate) fn current(&self) -> (Arc<KeySet>, u64) {
        match self.state.read() {
            Ok(state) => (Arc::clone(&state.set), state.generation),
            Err(poisoned) => {
                let state = poisoned.into_inner();
                (Arc::clone(&state.set), state.generation)
            }
        }
    }

    /// The number of times the set changed since it was loaded.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.current().1
    }

    fn install(&self, fetched: Fetched) {
        let mut state = match self.state.write() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if state.fingerprint != fetched.fingerprint {
            state.set = Arc::new(fetched.set);
            state.fingerprint = fetched.fingerprint;
            state.generation += 1;
        }
    }

    fn next_refresh(&self, max_age: Option<Duration>) -> Duration {
        max_age
            .unwrap_or(self.config.default_refresh)
            .clamp(self.config.min_refresh, self.config.max_refresh)
    }

    pub(crate) async fn refresh_for_unknown_kid(&self) -> bool {
        // One fetch at a time, and at most one per interval.
        let mut last = self.last_unknown_kid_fetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.config.unknown_kid_interval) {
            return false;
        }
        *last = Some(Instant::now());
        let before = self.generation();
        match self.fetch().await {
            Ok(fetched) => {
                self.install(fetched);
                self.generation() != before
            }
            Err(error) => {
                tracing::warn!(%error, "JWKS fetch for an unknown kid failed; keeping the last good set");
                false
            }
        }
    }

    /// One fetch, counted (`shieldwall_jwks_refreshes_total`).
    async fn fetch(&self) -> Result<Fetched, String> {
        let fetched = self.fetch_uncounted().await;
        shieldwall_core::telemetry::jwks_refresh(fetched.is_ok());
        fetched
    }

    async fn fetch_uncounted(&self) -> Result<Fetched, String> {
        let mut response = self
            .client
            .get(&self.config.url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("request failed: {}", e.without_url()))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(format!("status {}", response.status().as_u16()));
        }
        let max_age = response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("body: {}", e.without_url()))?
        {
            if body.len() + chunk.len() > self.config.max_body {
                return Err("body larger than the limit".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        let (set, fingerprint) = parse_jwks(&body, self.config.default_algorithm)?;
        Ok(Fetched {
            set,
            fingerprint,
            max_age,
        })
    }
}

fn placeholder_set() -> Result<KeySet, TokenConfigError> {
    // Replaced by the first fetch before anyone can read it.
    let secret = shieldwall_core::Secret::from(vec![0_u8; 32]);
    KeySet::new([
        VerifyingKey::hmac(Algorithm::HS256, &secret)?.with_kid("placeholder-never-served")?
    ])
}

async fn refresh_loop(keys: Weak<JwksKeys>, mut next: Duration) {
    loop {
        tokio::time::sleep(next).await;
        let Some(keys) = keys.upgrade() else { return };
        next = match keys.fetch().await {
            Ok(fetched) => {
                let next = keys.next_refresh(fetched.max_age);
                keys.install(fetched);
                next
            }
            Err(error) => {
                tracing::warn!(%error, "JWKS refresh failed; keeping the last good set");
                keys.config.min_refresh
            }
        };
    }
}

fn parse_max_age(cache_control: &str) -> Option<Duration> {
    if cache_control
        .split(',')
        .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
    {
        return Some(Duration::ZERO);
    }
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| {
                value
                    .trim()
                    .trim_matches('"')
                    .parse()
                    .ok()
                    .map(Duration::from_secs)
            })
            .flatten()
    })
}

/// The usable keys of a JWKS document, and a fingerprint of them.
fn parse_jwks(body: &[u8], default_alg: Option<Algorithm>) -> Result<(KeySet, String), String> {
    let document: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
    let items = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| "no `keys` array".to_owned())?;
    let mut usable_keys: Vec<(&Value, VerifyingKey)> = Vec::new();
    for item in items {
        let Ok(jwk) = serde_json::from_value::<Jwk>(item.clone()) else {
            tracing::debug!("skipping a JWK that does not parse");
            continue;
        };
        match usable(&jwk, default_alg) {
            Ok(key) => usable_keys.push((item, key)),
            Err(reason) => tracing::debug!(kid = ?jwk.common.key_id, reason, "skipping a JWK"),
        }
    }
    let mut keys = without_ambiguous_kids(usable_keys);
    if keys.len() > 1 {
        keys.retain(|k| k.kid.is_some());
    }
    let mut fingerprint: Vec<String> = items.iter().map(Value::to_string).collect();
    fingerprint.sort();
    let set = KeySet::from_arcs(keys).map_err(|e| format!("no usable key: {e}"))?;
    Ok((set, fingerprint.join("\n")))
}

/// The keys whose `kid` names one key. The same entry listed twice is kept
/// once; two different keys under one `kid` are both skipped (which one a
/// token means cannot be told) and logged, and the rest of the set is kept,
/// so that one bad entry never freezes rotation.
fn without_ambiguous_kids(keys: Vec<(&Value, VerifyingKey)>) -> Vec<Arc<VerifyingKey>> {
    let mut kept: Vec<(&Value, Arc<VerifyingKey>)> = Vec::new();
    let mut ambiguous: Vec<String> = Vec::new();
    for (item, key) in keys {
        let Some(kid) = key.kid.clone() else {
            kept.push((item, Arc::new(key)));
            continue;
        };
        if ambiguous.contains(&kid) {
            continue;
        }
        match kept
            .iter()
            .position(|(_, k)| k.kid.as_deref() == Some(&kid))
        {
            Some(at) if kept.get(at).is_some_and(|(seen, _)| *seen == item) => {}
            Some(at) => {
                kept.remove(at);
                // `?`: the kid comes from the JWKS document; Debug escapes control characters.
                tracing::warn!(kid = ?kid, "JWKS lists different keys under one kid; skipping them");
                ambiguous.push(kid);
            }
            None => kept.push((item, Arc::new(key))),
        }
    }
    kept.into_iter().map(|(_, key)| key).collect()
}

fn usable(jwk: &Jwk, default_alg: Option<Algorithm>) -> Result<VerifyingKey, &'static str> {
    if let Some(key_use) = &jwk.common.public_key_use
        && *key_use != PublicKeyUse::Signature
    {
        return Err("use is not sig");
    }
    let alg = match &jwk.common.key_algorithm {
        Some(alg) => {
            let name = serde_json::to_value(alg)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            name.as_deref()
                .and_then(Algorithm::from_name)
                .ok_or("alg not supported")?
        }
        None => default_alg.ok_or("no alg and no default")?,
    };
    let key = match (&jwk.algorithm, alg.family()) {
        (AlgorithmParameters::RSA(rsa), Family::Rsa) => {
            return build(VerifyingKey::rsa_components(alg, &rsa.n, &rsa.e), jwk);
        }
        (AlgorithmParameters::EllipticCurve(ec), Family::Ec) => {
            let curve_fits = matches!(
                (&ec.curve, alg),
                (EllipticCurve::P256, Algorithm::ES256) | (EllipticCurve::P384, Algorithm::ES384)
            );
            if !curve_fits {
                return Err("curve does not fit alg");
            }
            DecodingKey::from_ec_components(&ec.x, &ec.y).map_err(|_| "bad EC key")?
        }
        (AlgorithmParameters::OctetKeyPair(okp), Family::Ed) => {
            if okp.curve != EllipticCurve::Ed25519 {
                return Err("curve is not Ed25519");
            }
            DecodingKey::from_ed_components(&okp.x).map_err(|_| "bad Ed25519 key")?
        }
        (AlgorithmParameters::OctetKey(_), _) => {
            return Err("shared secrets are never taken from a URL");
        }
        _ => return Err("key type does not fit alg"),
    };
    build(
        VerifyingKey::from_parts(alg, key)
            .map_err(|_| TokenConfigError::InvalidKey { what: "JWK" }),
        jwk,
    )
}

fn build(
    key: Result<VerifyingKey, TokenConfigError>,
    jwk: &Jwk,
) -> Result<VerifyingKey, &'static str> {
    let key = key.map_err(|_| "key refused")?;
    match &jwk.common.key_id {
        Some(kid) => key.with_kid(kid).map_err(|_| "bad kid"),
        None => Ok(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age() {
        assert_eq!(
            parse_max_age("public, max-age=600"),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            parse_max_age("MAX-AGE=\"60\""),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("private"), None);
        assert_eq!(parse_max_age("max-age=-1"), None);
    }

    #[test]
    fn only_public_signature_keys_with_a_fitting_alg_are_taken() {
        let doc = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "secret", "alg": "HS256", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"},
            {"kty": "EC", "kid": "enc", "use": "enc", "alg": "ES256", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "wrong-curve", "alg": "ES384", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "no-alg", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "good", "use": "sig", "alg": "ES256", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "unknown"}
        ]});
        let (set, _) = parse_jwks(doc.to_string().as_bytes(), None).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.select(Some("good")).is_some());
        let (set, _) = parse_jwks(doc.to_string().as_bytes(), Some(Algorithm::ES256)).unwrap();
        assert_eq!(set.len(), 2);
        assert!(parse_jwks(br#"{"keys": []}"#, None).is_err());
        assert!(parse_jwks(b"[]", None).is_err());
    }

    #[test]
    fn a_duplicate_kid_skips_those_entries_and_keeps_the_rest() {
        let ec = |kid: &str, x: &str, y: &str| serde_json::json!({"kty": "EC", "kid": kid, "alg": "ES256", "crv": "P-256", "x": x, "y": y});
        let one = |kid: &str| {
            ec(
                kid,
                "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
            )
        };
        // Another P-256 public key (es-1 of tests/keys/public-jwks.json).
        let another = |kid: &str| {
            ec(
                kid,
                "0EjuEbPLT91MVh8gtHW73LoUQxn7qKMNqGDZjETB0Go",
                "PM4wyx31xtkAkyX5q-HIHEV4yEN4uKAKtz0WQCClZ3c",
            )
        };
        let doc = serde_json::json!({"keys": [
            one("dup"),
            one("good"),
            another("dup"),
            one("twice"),
            one("twice"),
            one("dup"),
        ]});
        let (set, _) = parse_jwks(doc.to_string().as_bytes(), None).unwrap();
        assert!(
            set.select(Some("dup")).is_none(),
            "an ambiguous kid is skipped"
        );
        assert!(set.select(Some("good")).is_some(), "the rest is kept");
        assert!(
            set.select(Some("twice")).is_some(),
            "the same entry twice is one key"
        );
        assert_eq!(set.len(), 2);
        // Only ambiguous entries: no usable key, so the last good set stays.
        let doc = serde_json::json!({"keys": [one("dup"), another("dup")]});
        assert!(parse_jwks(doc.to_string().as_bytes(), None).is_err());
    }
}
