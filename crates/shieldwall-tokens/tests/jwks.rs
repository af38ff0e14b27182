//! JWKS against a local HTTP server: first load, rotation found through an
//! unknown `kid`, the refetch rate limit, a duplicate `kid` that does not
//! freeze rotation, the last good set served while the
//! endpoint fails, `Cache-Control: max-age`, and what is refused at load.
#![cfg(feature = "jwks")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shieldwall_tokens::jwks::{JwksConfig, JwksKeys};
use shieldwall_tokens::{
    Algorithm, Issuer, MemoryRevocations, SigningKey, TokenErrorKind, Verifier,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server answers: status, Cache-Control, body.
struct Answer {
    status: u16,
    cache_control: String,
    body: String,
}

struct JwksServer {
    url: String,
    answer: Arc<Mutex<Answer>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(body: &Value, cache_control: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let answer = Arc::new(Mutex::new(Answer {
            status: 200,
            cache_control: cache_control.to_owned(),
            body: body.to_string(),
        }));
        let hits = Arc::new(AtomicUsize::new(0));
        let (a, h) = (Arc::clone(&answer), Arc::clone(&hits));
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (a, h) = (Arc::clone(&a), Arc::clone(&h));
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0_u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    h.fetch_add(1, Ordering::SeqCst);
                    let response = {
                        let a = a.lock().unwrap();
                        format!(
                            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncache-control: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                            a.status,
                            a.cache_control,
                            a.body.len(),
                            a.body
                        )
                    };
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        Self { url, answer, hits }
    }

    fn set(&self, status: u16, body: &Value) {
        let mut a = self.answer.lock().unwrap();
        a.status = status;
        a.body = body.to_string();
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn all_keys() -> Value {
    serde_json::from_str(include_str!("keys/public-jwks.json")).unwrap()
}

fn only(kids: &[&str]) -> Value {
    let keys: Vec<Value> = all_keys()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| kids.contains(&k["kid"].as_str().unwrap()))
        .cloned()
        .collect();
    json!({ "keys": keys })
}

fn token(private_pem: &[u8], kid: &str, alg: Algorithm) -> String {
    let key = match alg {
        Algorithm::EdDSA => SigningKey::ed_pem(private_pem).unwrap(),
        _ => SigningKey::ec_pem(alg, private_pem).unwrap(),
    };
    Issuer::builder(key.with_kid(kid).unwrap())
        .build()
        .unwrap()
        .issue("user-1", &[])
        .unwrap()
        .token()
        .to_owned()
}

fn es1() -> String {
    token(
        include_bytes!("keys/es256-private.pem"),
        "es-1",
        Algorithm::ES256,
    )
}

fn es2() -> String {
    token(
        include_bytes!("keys/es256b-private.pem"),
        "es-2",
        Algorithm::ES256,
    )
}

fn config(server: &JwksServer) -> JwksConfig {
    JwksConfig::new(&server.url)
        .allow_http_insecure()
        .refresh_between(Duration::from_secs(3600), Duration::from_secs(3600))
        .unknown_kid_interval(Duration::from_secs(3600))
        .timeout(Duration::from_secs(2))
}

fn verifier(keys: Arc<JwksKeys>) -> Verifier {
    Verifier::builder(keys, MemoryRevocations::new())
        .allow_algorithms([Algorithm::ES256, Algorithm::EdDSA])
        .build()
        .unwrap()
}

#[tokio::test]
async fn keys_load_and_verify_by_kid() {
    let server = JwksServer::start(&all_keys(), "max-age=3600").await;
    let v = verifier(JwksKeys::load(config(&server)).await.unwrap());
    assert_eq!(server.hits(), 1);
    assert!(v.verify(&es1()).await.is_ok());
    assert!(v.verify(&es2()).await.is_ok());
    let ed = token(
        include_bytes!("keys/ed25519-private.pem"),
        "ed-1",
        Algorithm::EdDSA,
    );
    assert!(v.verify(&ed).await.is_ok());
    // A key named es-1 in the token but signed by es-2's private key fails.
    let wrong = token(
        include_bytes!("keys/es256b-private.pem"),
        "es-1",
        Algorithm::ES256,
    );
    assert_eq!(
        v.verify(&wrong).await.unwrap_err().kind(),
        TokenErrorKind::Signature
    );
}

#[tokio::test]
async fn a_rotated_key_is_found_by_refetching_once_and_the_refetch_is_rate_limited() {
    let server = JwksServer::start(&only(&["es-1"]), "max-age=3600").await;
    let keys = JwksKeys::load(config(&server).unknown_kid_interval(Duration::from_secs(3600)))
        .await
        .unwrap();
    let v = verifier(Arc::clone(&keys));
    assert_eq!(
        v.verify(&es2()).await.unwrap_err().kind(),
        TokenErrorKind::UnknownKey
    );
    assert_eq!(server.hits(), 2, "one refetch for the unknown kid");

    // The issuer rotates; the rate limit holds the refetch back.
    server.set(200, &only(&["es-1", "es-2"]));
    for _ in 0..20 {
        assert_eq!(
            v.verify(&es2()).await.unwrap_err().kind(),
            TokenErrorKind::UnknownKey
        );
    }
    assert_eq!(server.hits(), 2, "no refetch within the interval");

    // With a short interval, the next unknown kid brings the new key in.
    let server = JwksServer::start(&only(&["es-1"]), "max-age=3600").await;
    let keys = JwksKeys::load(config(&server).unknown_kid_interval(Duration::ZERO))
        .await
        .unwrap();
    let v = verifier(Arc::clone(&keys));
    assert_eq!(keys.generation(), 1);
    server.set(200, &only(&["es-1", "es-2"]));
    assert!(v.verify(&es2()).await.is_ok());
    assert_eq!(keys.generation(), 2);
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_duplicate_kid_does_not_freeze_rotation() {
    let server = JwksServer::start(&only(&["es-1"]), "max-age=3600").await;
    let keys = JwksKeys::load(config(&server).unknown_kid_interval(Duration::ZERO))
        .await
        .unwrap();
    let v = verifier(Arc::clone(&keys));
    // The rotated set lists es-2 and, by mistake, the Ed25519 key under es-1's kid too.
    let mut rotated = only(&["es-1", "es-2"]);
    let mut impostor = only(&["ed-1"])["keys"][0].clone();
    impostor["kid"] = json!("es-1");
    rotated["keys"].as_array_mut().unwrap().push(impostor);
    server.set(200, &rotated);
    assert!(
        v.verify(&es2()).await.is_ok(),
        "the new key is taken despite the bad entries"
    );
    assert_eq!(keys.generation(), 2);
    // es-1 is ambiguous in that set: refused, never verified by either key.
    assert_eq!(
        v.verify(&es1()).await.unwrap_err().kind(),
        TokenErrorKind::UnknownKey
    );
}

#[tokio::test]
async fn the_last_good_set_serves_while_the_endpoint_fails() {
    let server = JwksServer::start(&only(&["es-1"]), "max-age=1").await;
    let keys = JwksKeys::load(
        config(&server)
            .refresh_between(Duration::from_millis(200), Duration::from_millis(200))
            .unknown_kid_interval(Duration::ZERO),
    )
    .await
    .unwrap();
    let v = verifier(Arc::clone(&keys));
    server.set(500, &json!({"error": "down"}));
    // Background refreshes and unknown-kid refetches fail; es-1 keeps working.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(v.verify(&es1()).await.is_ok());
        assert_eq!(
            v.verify(&es2()).await.unwrap_err().kind(),
            TokenErrorKind::UnknownKey
        );
    }
    assert!(server.hits() >= 4, "{}", server.hits());
    server.set(200, &json!({"keys": "garbage"}));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        v.verify(&es1()).await.is_ok(),
        "a broken document does not replace the good set"
    );
}

#[tokio::test]
async fn cache_control_max_age_drives_the_background_refresh() {
    let server = JwksServer::start(&only(&["es-1"]), "public, max-age=1").await;
    let keys = JwksKeys::load(
        config(&server).refresh_between(Duration::from_secs(1), Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    server.set(200, &only(&["es-2"]));
    let mut waited = Duration::ZERO;
    while keys.generation() < 2 && waited < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    assert_eq!(keys.generation(), 2, "refreshed after max-age");
    let v = verifier(keys);
    assert!(v.verify(&es2()).await.is_ok());
    assert_eq!(
        v.verify(&es1()).await.unwrap_err().kind(),
        TokenErrorKind::UnknownKey,
        "es-1 rotated out"
    );
}

#[tokio::test]
async fn bad_sources_are_refused_at_load() {
    let server = JwksServer::start(&all_keys(), "").await;
    // Plain HTTP needs the insecure switch.
    assert!(JwksKeys::load(JwksConfig::new(&server.url)).await.is_err());
    server.set(500, &all_keys());
    assert!(JwksKeys::load(config(&server)).await.is_err());
    server.set(200, &json!({"keys": [{"kty": "oct", "kid": "s", "alg": "HS256", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}));
    assert!(
        JwksKeys::load(config(&server)).await.is_err(),
        "shared secrets are never taken from a URL"
    );
    server.set(200, &json!([1, 2]));
    assert!(JwksKeys::load(config(&server)).await.is_err());
    // Nobody listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = JwksConfig::new(&format!("http://127.0.0.1:{port}/jwks")).allow_http_insecure();
    assert!(JwksKeys::load(dead).await.is_err());
    // A JWKS source needs an explicit algorithm list.
    let keys = JwksKeys::load(config(&JwksServer::start(&all_keys(), "").await))
        .await
        .unwrap();
    assert!(
        Verifier::builder(keys, MemoryRevocations::new())
            .build()
            .is_err()
    );
}
