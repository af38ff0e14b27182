//! Signed transfers (`POST /api/v1/transfers`) as the end-to-end tests send
//! them: the demo's signing keys, an API key with the right scope, a request
//! signed by RFC 9421 for one public host name, and the one answer every bad
//! signature (a replay included) gets.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use shieldwall_core::{ManualClock, Secret};
use shieldwall_signing::{Scheme, Signer};
use shieldwall_testkit::server::ServerProcess;
use shieldwall_testkit::{Observed, TestRequest};

pub(crate) const TRANSFERS: &str = "/api/v1/transfers";
pub(crate) const ALICE_SECRET: &[u8; 32] = b"alice-transfer-signing-secret-32";
pub(crate) const BOB_SECRET: &[u8; 32] = b"bob's-transfer-signing-secret-32";
/// One public name for every server, as behind a load balancer: a request
/// signed for it is valid on each of them (and so replayable across them).
pub(crate) const HOST: &str = "api.example.test";
pub(crate) const BODY: &str = r#"{"to":"bob","amount":1250,"currency":"EUR"}"#;

/// `SHIELDWALL_SIGNING_KEYS`: `alice-key` for alice, `bob-key` for bob.
pub(crate) fn signing_keys() -> String {
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    format!(
        "alice-key:alice@example.com:{},bob-key:bob@example.com:{}",
        b64(ALICE_SECRET),
        b64(BOB_SECRET)
    )
}

/// A new API key of `email` with `scopes`.
pub(crate) fn api_key(
    server: &ServerProcess,
    email: &str,
    password: &str,
    scopes: &[&str],
) -> String {
    let bearer = server.bearer(email, password).unwrap();
    let body = serde_json::json!({"name": "transfers", "scopes": scopes}).to_string();
    let created = server
        .send(
            &TestRequest::post("/api/v1/protected/keys")
                .header("authorization", &bearer)
                .json(&body),
        )
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text());
    created.json().unwrap()["key"].as_str().unwrap().to_owned()
}

/// A transfer carrying `body`, signed by `signer` over `signed_body`.
pub(crate) fn transfer(signer: &Signer, key: &str, signed_body: &str, body: &str) -> TestRequest {
    let mut head = http::Request::post(format!("http://{HOST}{TRANSFERS}"))
        .header("host", HOST)
        .header("content-type", "application/json")
        .body(())
        .unwrap();
    signer.sign(&mut head, signed_body.as_bytes()).unwrap();
    let mut request = TestRequest::post(TRANSFERS).header("x-api-key", key);
    for (name, value) in head.headers() {
        request = request.header(name.as_str(), value.as_bytes());
    }
    request.body(body)
}

pub(crate) fn signer(key_id: &str, secret: &[u8]) -> Signer {
    Signer::hmac_sha256(key_id, Secret::new(secret.to_vec()))
        .unwrap()
        .default_scheme(Scheme::Http)
}

pub(crate) fn signer_at(key_id: &str, secret: &[u8], offset_secs: i64) -> Signer {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now.checked_add_signed(offset_secs).unwrap();
    signer(key_id, secret).clock(ManualClock::at_unix_seconds(at))
}

/// The one answer every bad signature gets.
pub(crate) fn assert_invalid(observed: &Observed, what: &str, server: &str) {
    assert_eq!(observed.status, 401, "{server} {what}: {}", observed.text());
    let json = observed.json().unwrap();
    assert_eq!(json["code"], "INVALID_SIGNATURE", "{server} {what}");
    // The cause stays in the audit log.
    assert!(json.get("reason").is_none(), "{server} {what}: {json}");
}
