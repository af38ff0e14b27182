//! End to end, audit events: both servers as processes write one event per
//! request to a JSON-lines file (and to a Redis stream), every refusal of
//! the earlier crates with its reason, the route template and never the raw
//! path, no secret anywhere in the log, client text escaped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use shieldwall_core::Secret;
use shieldwall_signing::{Scheme, Signer};
use shieldwall_testkit::TempDir;
use shieldwall_testkit::TestRequest;
use shieldwall_testkit::server::{ServerProcess, binary};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const SIGNING_SECRET: &[u8; 32] = b"alice-transfer-signing-secret-32";
const TRANSFER: &str = r#"{"to":"bob","amount":5,"currency":"EUR"}"#;

fn env_with<'a>(audit: &'a str, keys: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("SHIELDWALL_AUDIT", audit),
        ("SHIELDWALL_SIGNING_KEYS", keys),
        ("SHIELDWALL_LIMIT_AUTH", "3/15m"),
    ]
}

fn signing_keys() -> String {
    format!(
        "alice-key:alice@example.com:{}",
        base64::engine::general_purpose::STANDARD.encode(SIGNING_SECRET)
    )
}

/// Reads the JSON lines of `path` until `n` events are there (the writer
/// batches), or fails after a few seconds.
fn events(path: &Path, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
            .collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Drives the requests of the scenario; returns the secrets that must not
/// appear in the log and how many requests were sent.
fn scenario(server: &ServerProcess) -> (Vec<String>, usize) {
    let mut sent = 0;
    let mut send = |request: TestRequest| {
        sent += 1;
        server.send(&request).unwrap()
    };
    let login = |password: &str| {
        TestRequest::post("/api/v1/auth/login").json(
            &serde_json::json!({"email": "alice@example.com", "password": password}).to_string(),
        )
    };
    // 1. A login (allowed) and 2. a logout: the token is revoked.
    let token = send(login("alice-password-1")).json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {token}");
    assert_eq!(
        send(TestRequest::post("/api/v1/auth/logout").header("authorization", &bearer)).status,
        204
    );
    // 3. The revoked token.
    assert_eq!(
        send(TestRequest::get("/api/v1/protected/me").header("authorization", &bearer)).status,
        401
    );
    // 4. A bad API key, with a query holding a secret-looking value and a
    // user agent that tries to forge a line.
    assert_eq!(
        send(
            TestRequest::get("/api/v1/users?limit=5&password=hunter2")
                .header("x-api-key", "sk_not_a_real_key_at_all")
                .header(
                    "user-agent",
                    b"evil\xe2\x80\xaeagent \"quoted\" {}".as_slice()
                )
        )
        .status,
        401
    );
    // 5. A fresh login to make a key, 6. the key, 7. a transfer with a body
    // that breaks a rule (validation), 8. a signed transfer, 9. its replay.
    let token = send(login("alice-password-1")).json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = send(
        TestRequest::post("/api/v1/protected/keys")
            .header("authorization", format!("Bearer {token}"))
            .json(r#"{"name":"audit","scopes":["transfers:write"]}"#),
    );
    assert_eq!(created.status, 201);
    let key = created.json().unwrap()["key"].as_str().unwrap().to_owned();
    // 7. A key without the scope, 8. used on transfers: refused, and the
    // event names the key's owner (the key itself was genuine).
    let reader = send(
        TestRequest::post("/api/v1/protected/keys")
            .header("authorization", format!("Bearer {token}"))
            .json(r#"{"name":"reader","scopes":["users:read"]}"#),
    );
    let reader = reader.json().unwrap()["key"].as_str().unwrap().to_owned();
    assert_eq!(
        send(
            TestRequest::post("/api/v1/transfers")
                .header("x-api-key", &reader)
                .json(TRANSFER)
        )
        .status,
        403
    );
    let signer = Signer::hmac_sha256("alice-key", Secret::new(SIGNING_SECRET.to_vec()))
        .unwrap()
        .default_scheme(Scheme::Http);
    let signed = |body: &str| {
        let mut head = http::Request::post(format!("http://{}/api/v1/transfers", server.addr()))
            .header("content-type", "application/json")
            .body(())
            .unwrap();
        signer.sign(&mut head, body.as_bytes()).unwrap();
        let mut request = TestRequest::post("/api/v1/transfers").header("x-api-key", &key);
        for (name, value) in head.headers() {
            request = request.header(name.as_str(), value.as_bytes());
        }
        request.body(body)
    };
    let bad = r#"{"to":"bob","amount":0,"currency":"EUR"}"#;
    assert_eq!(send(signed(bad)).status, 400);
    let transfer = signed(TRANSFER);
    assert_eq!(send(transfer.clone()).status, 201);
    assert_eq!(send(transfer).status, 401);
    // 10. A refused preflight (answered before routing: no route) and 11. a
    // wrong method (routed: the route, 405).
    assert_eq!(
        send(
            TestRequest::new("OPTIONS", "/api/v1/transfers")
                .header("origin", "https://evil.example")
                .header("access-control-request-method", "POST")
        )
        .status,
        403
    );
    assert_eq!(
        send(TestRequest::new("PUT", "/api/v1/transfers")).status,
        405
    );
    // 12.-14. Wrong passwords until the auth limit (3) refuses: the third
    // login of this client was above, so the first wrong one is the fourth.
    let mut limited = false;
    for _ in 0..3 {
        limited |= send(login("wrong-password")).status == 429;
    }
    assert!(limited);
    (vec![token, key, reader, bearer, "hunter2".into()], sent)
}

#[test]
fn every_refusal_is_in_the_audit_log_with_its_reason() {
    let dir = TempDir::new("e2e-audit");
    let keys = signing_keys();
    let mut summaries = Vec::new();
    for name in SERVERS {
        let path = dir.path(&format!("{name}.jsonl"));
        let audit = path.to_string_lossy().into_owned();
        let server = ServerProcess::start(&binary(name), &env_with(&audit, &keys)).unwrap();
        let (secrets, sent) = scenario(&server);
        let events = events(&path, sent);
        assert_eq!(events.len(), sent, "{name}: one event per request");
        let text = std::fs::read_to_string(&path).unwrap();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name}: a secret in the log"
            );
        }
        assert!(
            !text.contains("password"),
            "{name}: a query value in the log"
        );
        assert!(
            !text.contains('\u{202e}'),
            "{name}: an unescaped bidi override"
        );
        let reasons: Vec<(String, u64, String)> = events
            .iter()
            .map(|e| {
                (
                    e["route"].as_str().unwrap_or("-").to_owned(),
                    e["status"].as_u64().unwrap(),
                    e["reason"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect();
        let expected = [
            ("/api/v1/auth/login", 200, "-"),
            ("/api/v1/auth/logout", 204, "-"),
            ("/api/v1/protected/me", 401, "token_revoked"),
            ("/api/v1/users", 401, "malformed_key"),
            ("/api/v1/auth/login", 200, "-"),
            ("/api/v1/protected/keys", 201, "-"),
            ("/api/v1/protected/keys", 201, "-"),
            ("/api/v1/transfers", 403, "insufficient_scope"),
            ("/api/v1/transfers", 400, "validation_failed"),
            ("/api/v1/transfers", 201, "-"),
            ("/api/v1/transfers", 401, "nonce_replayed"),
            ("-", 403, "cors_forbidden"),
            ("/api/v1/transfers", 405, "method_not_allowed"),
        ];
        for (i, (route, status, reason)) in expected.iter().enumerate() {
            assert_eq!(
                (reasons[i].0.as_str(), reasons[i].1, reasons[i].2.as_str()),
                (*route, *status as u64, *reason),
                "{name}: event {i}"
            );
        }
        assert!(
            reasons[expected.len()..]
                .iter()
                .any(|(_, status, reason)| *status == 429 && reason == "rate_limited"),
            "{name}: {reasons:?}"
        );
        // Who: the user behind the key on the transfer, the key id too.
        let refused = &events[7];
        assert_eq!(refused["principal_kind"], "api_key", "{name}: {refused}");
        assert!(refused["key_id"].as_str().is_some(), "{name}: {refused}");
        let transfer = &events[9];
        assert_eq!(transfer["principal_kind"], "api_key", "{name}");
        assert!(transfer["key_id"].as_str().is_some(), "{name}");
        assert_eq!(transfer["outcome"], "allowed", "{name}");
        assert_eq!(events[2]["outcome"], "refused", "{name}");
        let agent = events[3]["user_agent"].as_str().unwrap();
        assert!(agent.starts_with("evil"), "{name}: {agent}");
        summaries.push(reasons);
    }
    assert_eq!(
        summaries[0], summaries[1],
        "the same events on both frameworks"
    );
}

#[test]
fn audit_events_go_to_a_redis_stream() {
    let url = shieldwall_redis::testing::fresh_database_url(8);
    let keys = signing_keys();
    let mut connection = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut stream: Vec<String> = Vec::new();
    for (i, name) in SERVERS.into_iter().enumerate() {
        let mut env = env_with("redis", &keys);
        env.push(("REDIS_URL", url.as_str()));
        let server = ServerProcess::start(&binary(name), &env).unwrap();
        for _ in 0..3 {
            server.send(&TestRequest::get("/health")).unwrap();
        }
        server
            .send(&TestRequest::get("/api/v1/users").header("x-api-key", "sk_nope"))
            .unwrap();
        // The writer batches: wait for this server's four events.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            stream = redis::cmd("KEYS")
                .arg("*audit*")
                .query(&mut connection)
                .unwrap();
            let len: usize = stream
                .first()
                .map(|k| redis::cmd("XLEN").arg(k).query(&mut connection).unwrap())
                .unwrap_or(0);
            if len >= 4 * (i + 1) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: {len} events in {stream:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert_eq!(stream.len(), 1, "{stream:?}");
    let entries: redis::Value = redis::cmd("XRANGE")
        .arg(&stream[0])
        .arg("-")
        .arg("+")
        .query(&mut connection)
        .unwrap();
    let text = format!("{entries:?}");
    assert_eq!(text.matches("/health").count(), 6, "{text}");
    assert_eq!(text.matches("malformed_key").count(), 2, "{text}");
    assert!(!text.contains("sk_nope"), "{text}");
}
