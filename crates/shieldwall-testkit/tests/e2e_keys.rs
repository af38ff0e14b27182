//! End to end, API keys and the users they guard: create, list, use, scope,
//! revoke, every bad key, on both servers as processes, memory and Redis;
//! then a key deleted on one process refused by the other within a second.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const KEYS: &str = "/api/v1/protected/keys";
const USERS: &str = "/api/v1/users";

/// Replaces what differs from run to run (keys, ids, times) with placeholders.
fn mask(observed: &mut Observed, secrets: &[String]) {
    let mut text = observed.text();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret.as_str(), "<masked>");
    }
    // RFC 3339 times.
    let bytes: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let candidate: String = bytes[i..(i + 20).min(bytes.len())].iter().collect();
        let is_time = candidate.len() == 20
            && candidate.as_bytes()[4] == b'-'
            && candidate.as_bytes()[10] == b'T'
            && candidate.ends_with('Z')
            && candidate.as_bytes()[..4].iter().all(u8::is_ascii_digit);
        if is_time {
            out.push_str("<time>");
            i += 20;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    observed.body = out.into_bytes();
}

struct Run {
    answers: Vec<Observed>,
    cases: Vec<Case>,
}

#[allow(clippy::too_many_lines, reason = "one flow, step by step")]
fn flow(server: &ServerProcess) -> Run {
    let alice = server
        .bearer("alice@example.com", "alice-password-1")
        .unwrap();
    let bob = server.bearer("bob@example.com", "bob-password-2").unwrap();
    let mut secrets = Vec::new();
    let mut answers = Vec::new();
    let mut cases = Vec::new();
    let mut step = |case: Case, secrets: &mut Vec<String>| -> Observed {
        let observed = server.send(&case.request).unwrap();
        let mut masked = observed.clone();
        if let Some(json) = observed.json() {
            for field in ["key", "id", "prefix"] {
                if let Some(value) = json[field].as_str() {
                    secrets.push(value.to_owned());
                }
            }
        }
        mask(&mut masked, secrets);
        answers.push(masked);
        cases.push(case);
        observed
    };

    step(
        Case::new(
            "create without a bearer token",
            TestRequest::post(KEYS),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED"),
        ),
        &mut secrets,
    );
    let full = step(
        Case::new(
            "create with no body: the defaults",
            TestRequest::post(KEYS).header("authorization", &alice),
            Expect::status(201).header("cache-control", "no-store"),
        ),
        &mut secrets,
    );
    let full = full.json().unwrap();
    assert_eq!(
        full["scopes"],
        serde_json::json!(["users:read", "users:write"])
    );
    assert_eq!(full["name"], "default");
    assert!(full["expires_at"].is_null());
    let full_key = full["key"].as_str().unwrap().to_owned();
    assert!(
        full_key.starts_with("sk_") && full_key.len() == 64,
        "{full_key}"
    );
    assert_eq!(
        full["prefix"],
        format!("sk_{}", full["id"].as_str().unwrap())
    );

    let reader = step(
        Case::new(
            "create a read-only key for 30 days",
            TestRequest::post(KEYS)
                .header("authorization", &alice)
                .json(r#"{"name":"reader","scopes":["users:read"],"expires_in_days":30}"#),
            Expect::status(201),
        ),
        &mut secrets,
    )
    .json()
    .unwrap();
    let reader_key = reader["key"].as_str().unwrap().to_owned();
    let reader_id = reader["id"].as_str().unwrap().to_owned();
    assert!(reader["expires_at"].is_string());

    for (name, body, field) in [
        (
            "unknown scope",
            r#"{"scopes":["admin"]}"#,
            Some("scopes[0]"),
        ),
        ("no scopes", r#"{"scopes":[]}"#, Some("scopes")),
        (
            "lifetime of 0 days",
            r#"{"expires_in_days":0}"#,
            Some("expires_in_days"),
        ),
        ("empty name", r#"{"name":""}"#, Some("name")),
        ("unknown field", r#"{"owner":"bob"}"#, None),
    ] {
        let mut expect = Expect::problem(400, "VALIDATION_FAILED");
        if field.is_none() {
            expect = Expect::problem(400, "VALIDATION_FAILED").never("bob");
        }
        let answer = step(
            Case::new(
                name,
                TestRequest::post(KEYS)
                    .header("authorization", &alice)
                    .json(body),
                expect,
            ),
            &mut secrets,
        );
        if let Some(field) = field {
            assert_eq!(
                answer.json().unwrap()["errors"][0]["field"],
                field,
                "{name}"
            );
        }
    }
    // Key names are visible text: refused, never stored (the listing below holds two keys).
    for (name, body) in [
        (
            "a bidi override in the name",
            r#"{"name":"invoice\u202egpj.exe"}"#,
        ),
        (
            "a zero-width space in the name",
            r#"{"name":"ad\u200bmin"}"#,
        ),
        ("a bidi isolate in the name", r#"{"name":"a\u2066b\u2069"}"#),
        ("a control character in the name", r#"{"name":"a\u0007b"}"#),
    ] {
        step(
            Case::new(
                name,
                TestRequest::post(KEYS)
                    .header("authorization", &alice)
                    .json(body),
                Expect::problem(400, "VALIDATION_FAILED")
                    .fields(&[("name", "invisible_character")])
                    .never("gpj")
                    .never("admin"),
            ),
            &mut secrets,
        );
    }
    step(
        Case::new(
            "create with a text body",
            TestRequest::post(KEYS)
                .header("authorization", &alice)
                .header("content-type", "text/plain")
                .body("x"),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        &mut secrets,
    );
    let listed = step(
        Case::new(
            "list",
            TestRequest::get(KEYS).header("authorization", &alice),
            Expect::status(200)
                .never(&full_key[15..])
                .never(&reader_key[15..]),
        ),
        &mut secrets,
    );
    let listed = listed.json().unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["name"], "reader", "newest first");
    assert_eq!(listed[0]["revoked"], false);
    assert!(listed[0].get("key").is_none());
    step(
        Case::new(
            "bob sees none of alice's keys",
            TestRequest::get(KEYS).header("authorization", &bob),
            Expect::status(200).json(serde_json::json!([])),
        ),
        &mut secrets,
    );

    let page = step(
        Case::new(
            "list users with a read key",
            TestRequest::get(USERS).header("x-api-key", &reader_key),
            Expect::status(200)
                .header("x-total-count", "2")
                .header("x-page-count", "1"),
        ),
        &mut secrets,
    )
    .json()
    .unwrap();
    assert_eq!(
        (
            page["page"].clone(),
            page["limit"].clone(),
            page["total"].clone()
        ),
        (1.into(), 20.into(), 2.into())
    );
    step(
        Case::new(
            "users without a key",
            TestRequest::get(USERS),
            Expect::problem(401, "API_KEY_REQUIRED"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "users with the key in the query string only",
            TestRequest::get(&format!("{USERS}?api_key={reader_key}")),
            Expect::problem(401, "API_KEY_REQUIRED"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "users with two key headers",
            TestRequest::get(USERS)
                .header("x-api-key", &reader_key)
                .header("x-api-key", &reader_key),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        &mut secrets,
    );
    let mut flipped = reader_key.clone().into_bytes();
    let i = (15..58)
        .find(|i| flipped[*i].is_ascii_alphabetic())
        .unwrap();
    flipped[i] ^= 0x20;
    for (name, value) in [
        (
            "a space inside",
            format!("{} {}", &reader_key[..30], &reader_key[31..]).into_bytes(),
        ),
        (
            "zero-width space",
            format!("{}\u{200b}{}", &reader_key[..30], &reader_key[30..]).into_bytes(),
        ),
        ("case changed", flipped),
        (
            "wrong prefix",
            reader_key.replacen("sk_", "pk_", 1).into_bytes(),
        ),
        (
            "bad checksum",
            format!("{}AAAAAA", &reader_key[..58]).into_bytes(),
        ),
        (
            "not UTF-8",
            [
                &reader_key.as_bytes()[..20],
                b"\xc3\x28",
                &reader_key.as_bytes()[22..],
            ]
            .concat(),
        ),
        ("8 KiB", vec![b'k'; 8192]),
    ] {
        step(
            Case::new(
                name,
                TestRequest::get(USERS).header("x-api-key", value),
                Expect::problem(401, "INVALID_API_KEY").never(&reader_key[15..58]),
            ),
            &mut secrets,
        );
    }
    step(
        Case::new(
            "create a user with a read key",
            TestRequest::post(USERS)
                .header("x-api-key", &reader_key)
                .json(r#"{"email":"c@example.com","name":"Carol"}"#),
            Expect::problem(403, "INSUFFICIENT_SCOPE"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "create a user",
            TestRequest::post(USERS)
                .header("x-api-key", &full_key)
                .json(r#"{"email":"carol@example.com","name":"Carol","age":41}"#),
            Expect::status(201),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "create a user with invalid fields",
            TestRequest::post(USERS)
                .header("x-api-key", &full_key)
                .json(r#"{"email":"hunter2","name":"","age":151}"#),
            Expect::problem(400, "VALIDATION_FAILED").never("hunter2"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "one user per page, oldest first",
            TestRequest::get(&format!("{USERS}?limit=1&sort=asc&page=3"))
                .header("x-api-key", &reader_key),
            Expect::status(200)
                .header("x-total-count", "3")
                .header("x-page-count", "3"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "page 0",
            TestRequest::get(&format!("{USERS}?page=0")).header("x-api-key", &reader_key),
            Expect::problem(400, "VALIDATION_FAILED"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "wrong method on users: 405 before the key",
            TestRequest::new("DELETE", USERS),
            Expect::problem(405, "METHOD_NOT_ALLOWED").header("allow", "GET,HEAD,POST"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "bob cannot delete alice's key",
            TestRequest::new("DELETE", &format!("{KEYS}/{reader_id}"))
                .header("authorization", &bob),
            Expect::problem(404, "NOT_FOUND"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "unknown key id",
            TestRequest::new("DELETE", &format!("{KEYS}/AAAAAAAAAAAA"))
                .header("authorization", &alice),
            Expect::problem(404, "NOT_FOUND"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "malformed key id",
            TestRequest::new("DELETE", &format!("{KEYS}/..%2F..%2Fetc"))
                .header("authorization", &alice),
            Expect::problem(404, "NOT_FOUND"),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "delete",
            TestRequest::new("DELETE", &format!("{KEYS}/{reader_id}"))
                .header("authorization", &alice),
            Expect::status(204),
        ),
        &mut secrets,
    );
    step(
        Case::new(
            "a deleted key is refused",
            TestRequest::get(USERS).header("x-api-key", &reader_key),
            Expect::problem(401, "INVALID_API_KEY"),
        ),
        &mut secrets,
    );
    let listed = step(
        Case::new(
            "the listing shows it revoked",
            TestRequest::get(KEYS).header("authorization", &alice),
            Expect::status(200),
        ),
        &mut secrets,
    )
    .json()
    .unwrap();
    assert_eq!(listed[0]["revoked"], true);
    Run { answers, cases }
}

/// Each server runs against its own store: the flows create data with the same owners.
fn run_all(redis_databases: Option<[u8; 2]>) {
    let mut runs = Vec::new();
    let mut cases = Vec::new();
    for (index, name) in SERVERS.into_iter().enumerate() {
        let url =
            redis_databases.map(|dbs| shieldwall_redis::testing::fresh_database_url(dbs[index]));
        let env: Vec<(&str, &str)> = url.iter().map(|u| ("REDIS_URL", u.as_str())).collect();
        let server = ServerProcess::start(&binary(name), &env).unwrap_or_else(|e| panic!("{e}"));
        let run = flow(&server);
        cases = run.cases;
        runs.push((name, run.answers));
    }
    assert_cases(&runs, &cases);
}

#[test]
fn keys_and_users_on_memory_stores() {
    run_all(None);
}

#[test]
fn keys_and_users_with_redis() {
    run_all(Some([1, 2]));
}

#[test]
fn a_key_deleted_on_one_process_is_refused_by_the_other_within_a_second() {
    let url = shieldwall_redis::testing::fresh_database_url(3);
    let env = [
        ("REDIS_URL", url.as_str()),
        (
            "SHIELDWALL_JWT_SECRET",
            "shared-secret-of-at-least-32-bytes!",
        ),
    ];
    let axum = ServerProcess::start(&binary("example-axum-api"), &env).unwrap();
    let actix = ServerProcess::start(&binary("example-actix-api"), &env).unwrap();
    let alice = axum
        .bearer("alice@example.com", "alice-password-1")
        .unwrap();
    let created = axum
        .send(&TestRequest::post(KEYS).header("authorization", &alice))
        .unwrap()
        .json()
        .unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let use_key = |server: &ServerProcess| {
        server
            .send(&TestRequest::get(USERS).header("x-api-key", &key))
            .unwrap()
            .status
    };
    assert_eq!(
        use_key(&actix),
        200,
        "a key made on one instance works on the other"
    );
    assert_eq!(use_key(&axum), 200);
    let deleted = actix
        .send(&TestRequest::new("DELETE", &format!("{KEYS}/{id}")).header("authorization", &alice))
        .unwrap();
    assert_eq!(deleted.status, 204);
    let started = Instant::now();
    while use_key(&axum) != 401 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the other instance still accepts the key after 1 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("refused by the other process after {:?}", started.elapsed());
    assert_eq!(use_key(&actix), 401);
}

#[test]
fn a_one_mebibyte_key_header_is_refused_and_both_servers_keep_serving() {
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &[]).unwrap();
        let huge = vec![b'k'; 1 << 20];
        // The HTTP layer refuses headers this large (431, or closing the connection);
        // never a 2xx, never a crash.
        match server.send(&TestRequest::get(USERS).header("x-api-key", &huge)) {
            Ok(answer) => assert!(
                answer.status >= 400 && answer.status < 500,
                "{name}: {}",
                answer.status
            ),
            Err(error) => println!("{name}: connection refused the request: {error}"),
        }
        assert_eq!(
            server.send(&TestRequest::get("/health")).unwrap().status,
            200,
            "{name} keeps serving"
        );
    }
}
