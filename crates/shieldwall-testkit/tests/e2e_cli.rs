//! End to end, the `shieldwall` command (DEMO_API.md, "The `shieldwall`
//! command") against both example servers as processes on one Redis: a key
//! it creates is accepted by both, `keys list` shows it without the secret,
//! `keys revoke` makes both running servers refuse it within about a second;
//! `token inspect` reads and verifies a login token; `sign` makes a transfer
//! both servers accept. Every failure is a non-zero exit and one stderr line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{TempDir, TestRequest};

const USERS: &str = "/api/v1/users";
const TRANSFERS: &str = "/api/v1/transfers";
const JWT_SECRET: &str = "shared-secret-of-at-least-32-bytes!";
const ALICE_SECRET: &[u8; 32] = b"alice-transfer-signing-secret-32";
const HOST: &str = "api.example.test";
const BODY: &str = r#"{"to":"bob","amount":1250,"currency":"EUR"}"#;
/// A database no other test uses.
const DATABASE: u8 = 9;

/// Runs `shieldwall ARGS` with `env` (and none of the developer's demo variables).
fn shieldwall(args: &[&str], env: &[(&str, &str)]) -> Output {
    let path = binary("shieldwall");
    assert!(
        path.exists(),
        "{} does not exist: run `cargo xtask test` (or `cargo build -p shieldwall-cli`)",
        path.display()
    );
    let mut command = Command::new(&path);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("SHIELDWALL_") || key == "REDIS_URL" || key == "REDIS_CLUSTER_NODES" {
            command.env_remove(key.as_ref());
        }
    }
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Succeeded, and said nothing on stderr.
fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: {:?}: {}",
        output.status,
        stderr(&output)
    );
    assert_eq!(stderr(&output), "", "{what}");
    stdout(&output)
}

/// Failed with a non-zero exit code and exactly one line on stderr; returns it.
fn fails(output: &Output, what: &str) -> String {
    assert!(!output.status.success(), "{what}: succeeded");
    assert!(
        output.status.code().is_some_and(|c| c != 0),
        "{what}: {:?}",
        output.status
    );
    let text = stderr(output);
    assert_eq!(text.lines().count(), 1, "{what}: {text:?}");
    assert!(text.ends_with('\n'), "{what}: {text:?}");
    assert!(
        !text.contains("panicked") && !text.contains("backtrace"),
        "{what}: {text}"
    );
    text
}

fn start(name: &str, redis: &str) -> ServerProcess {
    start_on(name, ("REDIS_URL", redis))
}

/// A server on the Redis that `redis` names (`REDIS_URL` or
/// `REDIS_CLUSTER_NODES`, and its value).
fn start_on(name: &str, redis: (&str, &str)) -> ServerProcess {
    let keys = format!(
        "alice-key:alice@example.com:{}",
        base64::engine::general_purpose::STANDARD.encode(ALICE_SECRET)
    );
    ServerProcess::start(
        &binary(name),
        &[
            redis,
            ("SHIELDWALL_JWT_SECRET", JWT_SECRET),
            ("SHIELDWALL_SIGNING_KEYS", &keys),
            ("SHIELDWALL_AUDIT", "off"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Every server refuses `key` (revoked) within the second the docs promise
/// (polled for at most 1.5 s).
fn assert_refused_within_a_second(servers: &[ServerProcess], key: &str) {
    for server in servers {
        let deadline = Instant::now() + Duration::from_millis(1500);
        let mut status = users(server, key);
        while status == 200 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            status = users(server, key);
        }
        assert_eq!(status, 401, "{} still accepts a revoked key", server.name());
    }
}

fn users(server: &ServerProcess, key: &str) -> u16 {
    server
        .send(&TestRequest::get(USERS).header("x-api-key", key))
        .unwrap()
        .status
}

/// A transfer with the header lines `shieldwall sign` printed.
fn signed_transfer(dir: &TempDir, key: &str) -> TestRequest {
    let body = dir.file("transfer.json", BODY);
    let secret = base64::engine::general_purpose::STANDARD.encode(ALICE_SECRET);
    let url = format!("http://{HOST}{TRANSFERS}");
    let out = ok(
        shieldwall(
            &[
                "sign",
                "--keyid",
                "alice-key",
                "--secret-env",
                "ALICE_SIGNING_SECRET",
                "--method",
                "POST",
                "--url",
                &url,
                "--body",
                body.to_str().unwrap(),
                "--content-type",
                "application/json",
            ],
            &[("ALICE_SIGNING_SECRET", &secret)],
        ),
        "sign",
    );
    assert!(!out.contains(&secret), "the secret is never printed");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let mut request = TestRequest::post(TRANSFERS)
        .header("host", HOST)
        .header("x-api-key", key)
        .header("content-type", "application/json");
    for (line, name) in lines
        .iter()
        .zip(["Content-Digest", "Signature-Input", "Signature"])
    {
        let value = line
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or_else(|| panic!("expected {name}: {line}"));
        request = request.header(name, value);
    }
    request.body(BODY)
}

#[test]
#[allow(clippy::too_many_lines, reason = "one flow, step by step")]
fn the_shieldwall_command_against_both_servers() {
    let url = shieldwall_redis::testing::fresh_database_url(DATABASE);
    let servers = [
        start("example-axum-api", &url),
        start("example-actix-api", &url),
    ];
    let bearer = servers[0]
        .bearer("alice@example.com", "alice-password-1")
        .unwrap();
    let me = servers[0]
        .send(&TestRequest::get("/api/v1/protected/me").header("authorization", &bearer))
        .unwrap()
        .json()
        .unwrap();
    let alice = me["id"].as_str().unwrap().to_owned();

    // keys create: a JSON record, then the key alone on the last line.
    let out = ok(
        shieldwall(
            &[
                "keys",
                "create",
                "--redis",
                &url,
                "--owner",
                &alice,
                "--name",
                "from the cli",
                "--scope",
                "users:read",
                "--scope",
                "transfers:write",
                "--expires-in-days",
                "30",
            ],
            &[],
        ),
        "keys create",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let key = lines[1].to_owned();
    assert!(key.starts_with("sk_") && key.len() == 64, "{key}");
    let record: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let id = record["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("sk_{id}")));
    assert!(!lines[0].contains(&key[15..]), "the record holds no secret");
    assert_eq!(record["owner"], alice.as_str());
    assert_eq!(
        record["scopes"],
        serde_json::json!(["transfers:write", "users:read"])
    );
    assert!(record["expires_at"].is_string());

    // Both servers accept it at once.
    for server in &servers {
        assert_eq!(users(server, &key), 200, "{}", server.name());
    }

    // keys list: one JSON object per line, no secret.
    let out = ok(
        shieldwall(&["keys", "list", "--redis", &url, "--owner", &alice], &[]),
        "keys list",
    );
    assert!(!out.contains(&key[15..]), "{out}");
    let listed: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(listed.len(), 1, "{out}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["name"], "from the cli");
    assert_eq!(listed[0]["revoked"], false);
    assert!(listed[0].get("key").is_none());

    // sign: a transfer both servers accept (each with a fresh signature).
    let dir = TempDir::new("e2e-cli");
    for server in &servers {
        let answer = server.send(&signed_transfer(&dir, &key)).unwrap();
        assert_eq!(answer.status, 201, "{}: {}", server.name(), answer.text());
    }

    // token inspect: header and claims, unverified, then verified.
    let token = bearer.strip_prefix("Bearer ").unwrap();
    let out = ok(
        shieldwall(&["token", "inspect", token], &[]),
        "token inspect",
    );
    let inspected: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(inspected["header"]["alg"], "HS256");
    assert_eq!(inspected["claims"]["sub"], alice.as_str());
    assert_eq!(inspected["claims"]["iss"], "shieldwall-demo");
    assert_eq!(inspected["verified"], false);
    let out = ok(
        shieldwall(
            &["token", "inspect", "--secret-env", "JWT_SECRET", token],
            &[("JWT_SECRET", JWT_SECRET)],
        ),
        "token inspect --secret-env",
    );
    assert!(!out.contains(JWT_SECRET));
    let verified: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["claims"], inspected["claims"]);
    let wrong = shieldwall(
        &["token", "inspect", "--secret-env", "JWT_SECRET", token],
        &[("JWT_SECRET", "another-secret-of-at-least-32-bytes")],
    );
    assert_eq!(stdout(&wrong), "", "nothing on stdout for a refused token");
    let line = fails(&wrong, "a wrong secret");
    assert!(!line.contains("another-secret"), "{line}");
    let tampered = format!("{token}x");
    fails(
        &shieldwall(
            &["token", "inspect", "--secret-env", "JWT_SECRET", &tampered],
            &[("JWT_SECRET", JWT_SECRET)],
        ),
        "a tampered token",
    );
    fails(
        &shieldwall(&["token", "inspect", "not-a-token"], &[]),
        "a bad token",
    );
    fails(
        &shieldwall(
            &["token", "inspect", "--secret-env", "UNSET_VAR", token],
            &[],
        ),
        "an unset variable",
    );

    // keys revoke: both running servers refuse the key (their caches hear
    // the store's invalidation; polled for at most 1.5 s).
    let out = ok(
        shieldwall(&["keys", "revoke", "--redis", &url, &id], &[]),
        "keys revoke",
    );
    assert!(!out.contains(&key[15..]));
    let revoked: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(revoked["revoked"], true);
    assert_refused_within_a_second(&servers, &key);
    let out = ok(
        shieldwall(&["keys", "list", "--redis", &url, "--owner", &alice], &[]),
        "keys list after revoke",
    );
    let listed: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(listed["revoked"], true);

    // Failures: one line on stderr, a non-zero exit, never a panic.
    fails(
        &shieldwall(&["keys", "revoke", "--redis", &url, "AAAAAAAAAAAA"], &[]),
        "an unknown id",
    );
    fails(
        &shieldwall(&["keys", "revoke", "--redis", &url, "../etc"], &[]),
        "a malformed id",
    );
    fails(
        &shieldwall(
            &["keys", "list", "--redis", "http://nowhere", "--owner", "x"],
            &[],
        ),
        "a bad URL",
    );
    fails(
        &shieldwall(
            &[
                "keys",
                "list",
                "--redis",
                "redis://127.0.0.1:1",
                "--owner",
                "x",
            ],
            &[],
        ),
        "an unreachable Redis",
    );
    fails(
        &shieldwall(
            &[
                "keys",
                "create",
                "--redis",
                &url,
                "--owner",
                &alice,
                "--scope",
                "bad scope",
            ],
            &[],
        ),
        "a bad scope",
    );
    fails(
        &shieldwall(&["keys", "create", "--owner", "x"], &[]),
        "no --redis",
    );
    fails(&shieldwall(&["nothing"], &[]), "an unknown command");
}

#[test]
fn keys_made_and_revoked_on_a_redis_cluster() {
    let nodes = shieldwall_redis::testing::cluster_nodes();
    let servers = [
        start_on("example-axum-api", ("REDIS_CLUSTER_NODES", &nodes)),
        start_on("example-actix-api", ("REDIS_CLUSTER_NODES", &nodes)),
    ];
    let owner = "usr_1";
    let out = ok(
        shieldwall(
            &[
                "keys",
                "create",
                "--redis-cluster",
                &nodes,
                "--owner",
                owner,
            ],
            &[],
        ),
        "keys create on the cluster",
    );
    let lines: Vec<&str> = out.lines().collect();
    let key = lines[1].to_owned();
    let id = serde_json::from_str::<serde_json::Value>(lines[0]).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for server in &servers {
        assert_eq!(users(server, &key), 200, "{}", server.name());
    }
    // REDIS_CLUSTER_NODES stands for the flag, as REDIS_URL does for --redis.
    let out = ok(
        shieldwall(
            &["keys", "list", "--owner", owner],
            &[("REDIS_CLUSTER_NODES", &nodes)],
        ),
        "keys list from REDIS_CLUSTER_NODES",
    );
    assert!(out.contains(&id), "{out}");
    ok(
        shieldwall(&["keys", "revoke", "--redis-cluster", &nodes, &id], &[]),
        "keys revoke on the cluster",
    );
    assert_refused_within_a_second(&servers, &key);
    // Both, or a bad node, are refused on one line.
    for (redis, what) in [
        (
            &["--redis", "redis://h", "--redis-cluster", nodes.as_str()][..],
            "both --redis and --redis-cluster",
        ),
        (
            &["--redis-cluster", "http://:hunter2@x"][..],
            "a bad cluster node",
        ),
    ] {
        let mut args = vec!["keys", "list", "--owner", owner];
        args.extend_from_slice(redis);
        fails(&shieldwall(&args, &[]), what);
    }
}
