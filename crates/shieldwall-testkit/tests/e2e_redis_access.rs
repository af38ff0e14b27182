//! Both demo servers on a Redis reached as it would be in production
//! (issue 15): over TLS only (`rediss://`, its certificate issued by a CA of
//! the test's own that the servers trust through `SSL_CERT_FILE`), as an ACL
//! user that may touch only the demo's keys and channels (`~shieldwall:*`,
//! `&shieldwall:*`) and run no dangerous command, the default user off.
//! Every store works through it: rate limits, revocations (a logout on one
//! server refused by the other within a second: the replica's subscription
//! works under the ACL), API keys, signing nonces and the audit stream.
//! A wrong password, or a CA the servers do not trust, stops start-up with
//! one line that names `REDIS_URL` and never the password.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

#[path = "support/signing.rs"]
#[allow(dead_code, reason = "each test file uses part of the signing helpers")]
mod signing;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use shieldwall_redis::testing::OwnServer;
use shieldwall_testkit::server::{ServerProcess, binary, run_to_exit};
use shieldwall_testkit::{TempDir, TestRequest, tls};
use signing::{ALICE_SECRET, BODY, api_key, assert_invalid, signer, signing_keys, transfer};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const PASSWORD: &str = "app-password-not-a-real-one-0123";
const SECRET: &str = "redis-access-test-secret-not-a-real-one-0123";
const ME: &str = "/api/v1/protected/me";

/// The ACL: the default user off; `app` on the demo's prefix only.
fn users() -> Vec<String> {
    [
        "--user",
        "default",
        "off",
        "--user",
        "app",
        "on",
        &format!(">{PASSWORD}"),
        "~shieldwall:*",
        "&shieldwall:*",
        "+@all",
        "-@dangerous",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect()
}

struct SecureRedis {
    server: OwnServer,
    ca: std::path::PathBuf,
    _dir: TempDir,
}

impl SecureRedis {
    /// Panics without `openssl` (never a silent pass: `.ci/run` installs it).
    fn start() -> Self {
        let dir = TempDir::new("redis-tls");
        let (ca, cert, key) =
            tls::ca_and_leaf(&dir).expect("openssl makes the test CA: apt-get install -y openssl");
        let users = users();
        let extra: Vec<&str> = users.iter().map(String::as_str).collect();
        let server = OwnServer::start_tls(&cert, &key, &ca, &extra);
        Self {
            server,
            ca,
            _dir: dir,
        }
    }

    /// `rediss://app:PASSWORD@127.0.0.1:PORT/0`.
    fn url(&self, password: &str) -> String {
        let base = self.server.url();
        let host = base.trim_start_matches("rediss://");
        format!("rediss://app:{password}@{host}/0")
    }

    fn port(&self) -> String {
        self.server.url().rsplit(':').next().unwrap().to_owned()
    }

    /// Runs one command as `app` with `redis-cli` over TLS; its output.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["--tls", "--cacert"])
            .arg(&self.ca)
            .args(["-h", "127.0.0.1", "-p", &self.port()])
            .args(["--user", "app", "--pass", PASSWORD, "--no-auth-warning"])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

fn start(redis: &SecureRedis, name: &str) -> ServerProcess {
    let url = redis.url(PASSWORD);
    let keys = signing_keys();
    let env = [
        ("REDIS_URL", url.as_str()),
        ("SSL_CERT_FILE", redis.ca.to_str().unwrap()),
        ("SHIELDWALL_JWT_SECRET", SECRET),
        ("SHIELDWALL_SIGNING_KEYS", keys.as_str()),
        ("SHIELDWALL_AUDIT", "redis"),
    ];
    ServerProcess::start(&binary(name), &env).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_store_works_over_tls_as_an_acl_user() {
    let redis = SecureRedis::start();
    // The server refuses what the ACL forbids: the default user, and keys
    // outside the prefix.
    assert!(
        redis.cli(&["GET", "elsewhere:x"]).contains("NOPERM"),
        "the ACL is in force"
    );
    let alice = signer("alice-key", ALICE_SECRET);
    for name in SERVERS {
        let server = start(&redis, name);
        assert!(
            server
                .output()
                .iter()
                .any(|line| line == "stores: redis (REDIS_URL)"),
            "{name}: {:?}",
            server.output()
        );
        // Rate limits and the revocation check, then a revocation that the
        // replica must learn.
        let token = server
            .bearer("alice@example.com", "alice-password-1")
            .unwrap();
        let me = TestRequest::get(ME).header("authorization", &token);
        let answer = server.send(&me).unwrap();
        assert_eq!(answer.status, 200, "{name}: {}", answer.text());
        assert!(answer.header("ratelimit").is_some(), "{name}");
        let logout = server
            .send(&TestRequest::post("/api/v1/auth/logout").header("authorization", &token))
            .unwrap();
        assert_eq!(logout.status, 204, "{name}: {}", logout.text());
        let answer = server.send(&me).unwrap();
        assert_eq!(answer.status, 401, "{name}: {}", answer.text());
        assert_eq!(answer.json().unwrap()["code"], "TOKEN_REVOKED", "{name}");
        // API keys, then a signed transfer and its replay (nonces).
        let key = api_key(
            &server,
            "alice@example.com",
            "alice-password-1",
            &["transfers:write", "users:read"],
        );
        let users = server
            .send(&TestRequest::get("/api/v1/users").header("x-api-key", &key))
            .unwrap();
        assert_eq!(users.status, 200, "{name}: {}", users.text());
        let request = transfer(&alice, &key, BODY, BODY);
        let accepted = server.send(&request).unwrap();
        assert_eq!(accepted.status, 201, "{name}: {}", accepted.text());
        assert_invalid(&server.send(&request).unwrap(), "replay", name);
    }
    // Both at once: a logout on one reaches the other's revocation replica
    // through a subscription made as the ACL user, over TLS.
    let servers = SERVERS.map(|name| start(&redis, name));
    let token = servers[0]
        .bearer("bob@example.com", "bob-password-2")
        .unwrap();
    let me = TestRequest::get(ME).header("authorization", &token);
    assert_eq!(servers[1].send(&me).unwrap().status, 200);
    let logout = servers[0]
        .send(&TestRequest::post("/api/v1/auth/logout").header("authorization", &token))
        .unwrap();
    assert_eq!(logout.status, 204, "{}", logout.text());
    let since = Instant::now();
    let refused = loop {
        let answer = servers[1].send(&me).unwrap();
        if answer.status != 200 || since.elapsed() > Duration::from_secs(1) {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(refused.status, 401, "{}", refused.text());
    assert_eq!(refused.json().unwrap()["code"], "TOKEN_REVOKED");
    // The audit stream got the requests' events (written in batches).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let length: u64 = redis
            .cli(&["XLEN", "shieldwall:audit"])
            .parse()
            .unwrap_or(0);
        if length > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no audit entry in shieldwall:audit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_wrong_password_or_an_untrusted_ca_stops_start_up_without_the_password() {
    let redis = SecureRedis::start();
    let wrong = "wrong-password-not-a-real-one-0123";
    let other = TempDir::new("redis-tls-other");
    let (other_ca, _, _) = tls::ca_and_leaf(&other).expect("openssl");
    for (what, url, ca) in [
        ("wrong password", redis.url(wrong), redis.ca.as_path()),
        ("untrusted CA", redis.url(PASSWORD), other_ca.as_path()),
    ] {
        for name in SERVERS {
            let (code, output) = run_to_exit(
                &binary(name),
                &[
                    ("REDIS_URL", url.as_str()),
                    ("SSL_CERT_FILE", path(ca)),
                    ("SHIELDWALL_JWT_SECRET", SECRET),
                ],
            )
            .unwrap();
            assert_eq!(code, Some(2), "{name}, {what}: {output}");
            assert!(
                output.starts_with("REDIS_URL: cannot reach Redis"),
                "{name}, {what}: {output}"
            );
            assert!(
                !output.contains(wrong) && !output.contains(PASSWORD),
                "{name}, {what}: {output}"
            );
        }
    }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}
