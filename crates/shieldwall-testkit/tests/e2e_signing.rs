//! End to end, signed transfers (`POST /api/v1/transfers`): an API key with
//! `transfers:write` and an RFC 9421 signature by a key of the same owner,
//! on both servers as processes; every way to get it wrong answers the same
//! 401; and a request accepted by one server is refused as a replay by the
//! other on the same Redis.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

#[path = "support/signing.rs"]
mod signing;

use std::time::Duration;

use shieldwall_testkit::TestRequest;
use shieldwall_testkit::server::{ServerProcess, binary};
use signing::{
    ALICE_SECRET, BOB_SECRET, BODY, TRANSFERS, api_key, assert_invalid, signer, signer_at,
    signing_keys, transfer,
};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];

fn start(name: &str, redis: Option<&str>) -> ServerProcess {
    let keys = signing_keys();
    let mut env = vec![
        ("SHIELDWALL_SIGNING_KEYS", keys.as_str()),
        (
            "SHIELDWALL_JWT_SECRET",
            "shared-secret-of-at-least-32-bytes!",
        ),
        ("SHIELDWALL_AUDIT", "off"),
    ];
    env.extend(redis.map(|url| ("REDIS_URL", url)));
    ServerProcess::start(&binary(name), &env).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn signed_transfers_on_both_servers() {
    let mut bodies = Vec::new();
    for name in SERVERS {
        let server = start(name, None);
        let alice_key = api_key(
            &server,
            "alice@example.com",
            "alice-password-1",
            &["transfers:write"],
        );
        let alice_users_key = api_key(
            &server,
            "alice@example.com",
            "alice-password-1",
            &["users:read"],
        );
        let alice = signer("alice-key", ALICE_SECRET);

        // Signed by alice's key, alice's API key: 201 with the transfer.
        let good = transfer(&alice, &alice_key, BODY, BODY);
        let answer = server.send(&good).unwrap();
        assert_eq!(answer.status, 201, "{name}: {}", answer.text());
        let json = answer.json().unwrap();
        assert_eq!(
            (&json["to"], &json["amount"], &json["currency"]),
            (
                &serde_json::json!("bob"),
                &serde_json::json!(1250),
                &serde_json::json!("EUR")
            ),
            "{name}"
        );
        assert!(
            json["id"].as_str().is_some_and(|id| id.starts_with("tr_")),
            "{name}"
        );

        // The same request again: a replay.
        assert_invalid(&server.send(&good).unwrap(), "replay", name);

        // No signature at all.
        let unsigned = TestRequest::post(TRANSFERS)
            .header("x-api-key", &alice_key)
            .json(BODY);
        let answer = server.send(&unsigned).unwrap();
        assert_eq!(answer.status, 401, "{name}");
        assert_eq!(
            answer.json().unwrap()["code"],
            "SIGNATURE_REQUIRED",
            "{name}"
        );

        // The API key comes first: none, or one without the scope.
        let no_key = {
            let mut r = transfer(&alice, &alice_key, BODY, BODY);
            r.headers.retain(|(n, _)| n != "x-api-key");
            r
        };
        let answer = server.send(&no_key).unwrap();
        assert_eq!(answer.json().unwrap()["code"], "API_KEY_REQUIRED", "{name}");
        let answer = server
            .send(&transfer(&alice, &alice_users_key, BODY, BODY))
            .unwrap();
        assert_eq!(answer.status, 403, "{name}");
        assert_eq!(
            answer.json().unwrap()["code"],
            "INSUFFICIENT_SCOPE",
            "{name}"
        );

        // Every way to get the signature wrong: one answer.
        let tampered = r#"{"to":"mallory","amount":1250,"currency":"EUR"}"#;
        let cases: Vec<(&str, TestRequest)> = vec![
            ("body changed", transfer(&alice, &alice_key, BODY, tampered)),
            (
                "another owner's key",
                transfer(&signer("bob-key", BOB_SECRET), &alice_key, BODY, BODY),
            ),
            (
                "unknown key",
                transfer(&signer("carol-key", ALICE_SECRET), &alice_key, BODY, BODY),
            ),
            (
                "wrong secret",
                transfer(&signer("alice-key", BOB_SECRET), &alice_key, BODY, BODY),
            ),
            (
                "created ten minutes ago",
                transfer(
                    &signer_at("alice-key", ALICE_SECRET, -600),
                    &alice_key,
                    BODY,
                    BODY,
                ),
            ),
            (
                "created ten minutes ahead",
                transfer(
                    &signer_at("alice-key", ALICE_SECRET, 600),
                    &alice_key,
                    BODY,
                    BODY,
                ),
            ),
            ("path changed", {
                let mut r = transfer(&alice, &alice_key, BODY, BODY);
                r.target = format!("{TRANSFERS}?dry_run=1");
                r
            }),
            ("method changed", {
                let mut r = transfer(&alice, &alice_key, BODY, BODY);
                r.method = "PUT".into();
                r
            }),
            ("authority changed", {
                let mut r = transfer(&alice, &alice_key, BODY, BODY);
                r.headers.retain(|(n, _)| n != "host");
                r
            }),
            ("signature garbled", {
                let mut r = transfer(&alice, &alice_key, BODY, BODY);
                for (n, v) in &mut r.headers {
                    if n == "signature-input" {
                        v.extend_from_slice(b";;(");
                    }
                }
                r
            }),
        ];
        let mut answers = Vec::new();
        for (what, request) in cases {
            let answer = server.send(&request).unwrap();
            if what == "method changed" {
                // PUT is not a method of the route: 405 before any guard.
                assert_eq!(answer.status, 405, "{name} {what}");
                continue;
            }
            assert_invalid(&answer, what, name);
            let mut json = answer.json().unwrap();
            json["request_id"] = serde_json::Value::Null;
            answers.push(json);
        }
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "{name}: one body for every cause: {answers:?}"
        );

        // A good signature on a body that breaks a rule: the signature
        // passes, validation answers.
        let bad_currency = r#"{"to":"bob","amount":1250,"currency":"eur"}"#;
        let answer = server
            .send(&transfer(&alice, &alice_key, bad_currency, bad_currency))
            .unwrap();
        assert_eq!(answer.status, 400, "{name}");
        assert_eq!(
            answer.json().unwrap()["code"],
            "VALIDATION_FAILED",
            "{name}"
        );
        bodies.push(answers.first().cloned());
    }
    assert_eq!(bodies[0], bodies[1], "the same refusal on both frameworks");
}

#[test]
fn a_transfer_accepted_by_one_server_is_a_replay_on_the_other() {
    let url = shieldwall_redis::testing::fresh_database_url(7);
    let axum = start("example-axum-api", Some(&url));
    let actix = start("example-actix-api", Some(&url));
    // A key made on one server works on both (keys live in Redis).
    let key = api_key(
        &axum,
        "alice@example.com",
        "alice-password-1",
        &["transfers:write"],
    );
    let alice = signer("alice-key", ALICE_SECRET);
    for (first, second) in [(&axum, &actix), (&actix, &axum)] {
        let request = transfer(&alice, &key, BODY, BODY);
        let answer = first.send(&request).unwrap();
        assert_eq!(answer.status, 201, "{}: {}", first.name(), answer.text());
        assert_invalid(&second.send(&request).unwrap(), "replay", second.name());
        assert_invalid(&first.send(&request).unwrap(), "replay", first.name());
    }
    // A fresh signature still passes on both.
    for server in [&axum, &actix] {
        let answer = server.send(&transfer(&alice, &key, BODY, BODY)).unwrap();
        assert_eq!(answer.status, 201, "{}", server.name());
    }
    // Nonces are kept no shorter than the window: 300 s + skew.
    let mut connection = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
    let nonce_keys: Vec<&String> = keys.iter().filter(|k| k.contains("nonce")).collect();
    assert_eq!(nonce_keys.len(), 4, "{keys:?}");
    for key in nonce_keys {
        let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut connection).unwrap();
        assert!(
            ttl > Duration::from_secs(300).as_millis() as i64,
            "{key}: {ttl} ms"
        );
    }
}
