//! The rig of `tests/faults.rs`: both example servers on the Redis a test
//! gives them (its own `redis-server` behind the fault proxy, or its own
//! Redis Cluster), and the credentials the load uses, made once and shared
//! by both servers.

use std::time::{Duration, Instant};

use shieldwall_testkit::TestRequest;
use shieldwall_testkit::server::{ServerProcess, binary};

use crate::fault_load::{Credentials, ME, USERS};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const KEYS: &str = "/api/v1/protected/keys";

/// The per-user limit: tight, so that the recovery probes see it enforced
/// after a few requests. Alice spends 3 of it making keys; bob, whom only
/// the probes use, starts each test with all of it.
pub(crate) const USER_QUOTA: usize = 4;
const USER_LIMIT: &str = "4/1m";

/// One secret for both servers: a token issued by one is accepted, and a
/// logout on one refused, by the other, as with several instances of a
/// service on one Redis.
const JWT_SECRET: &str = "faults-test-secret-not-a-real-one-0123456789";

/// How long the other server may take to learn of the logout and the key
/// deletion (its revocation replica follows pub/sub; the docs promise 1 s
/// for keys).
const PROPAGATION: Duration = Duration::from_secs(5);

pub(crate) struct Rig {
    pub(crate) servers: Vec<ServerProcess>,
    pub(crate) credentials: Credentials,
}

impl Rig {
    /// Starts both servers on the Redis that `redis` names (`REDIS_URL` or
    /// `REDIS_CLUSTER_NODES` and its value) and makes the credentials on
    /// the first; returns once every server refuses the revoked token and
    /// the deleted key and accepts the live key.
    pub(crate) fn start(redis: (&str, &str)) -> Self {
        let env = [
            redis,
            ("SHIELDWALL_JWT_SECRET", JWT_SECRET),
            ("SHIELDWALL_LIMIT_USER", USER_LIMIT),
            // Said, not assumed: the policy under test is the default.
            ("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR", "closed"),
            // One line per request would cost the two cores more than the load.
            ("SHIELDWALL_AUDIT", "off"),
        ];
        let servers: Vec<ServerProcess> = SERVERS
            .iter()
            .map(|name| ServerProcess::start(&binary(name), &env).expect("the server starts"))
            .collect();
        let credentials = credentials(&servers[0]);
        let rig = Self {
            servers,
            credentials,
        };
        rig.wait_until_consistent();
        rig
    }

    fn wait_until_consistent(&self) {
        let deadline = Instant::now() + PROPAGATION;
        for server in &self.servers {
            loop {
                let valid = status(server, &get_users(&self.credentials.valid_key));
                let deleted = status(server, &get_users(&self.credentials.deleted_key));
                let revoked = status(
                    server,
                    &TestRequest::get(ME).header("authorization", &self.credentials.revoked_token),
                );
                if (valid, deleted, revoked) == (200, 401, 401) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{}: live key {valid}, deleted key {deleted}, revoked token {revoked} \
                     after {PROPAGATION:?}",
                    server.name()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Whether a server exited or printed a panic.
    pub(crate) fn crashes(&mut self) -> Vec<String> {
        crate::crashes::crashes(&mut self.servers)
    }
}

fn get_users(key: &str) -> TestRequest {
    TestRequest::get(USERS).header("x-api-key", key)
}

fn status(server: &ServerProcess, request: &TestRequest) -> u16 {
    server.send(request).expect("an answer").status
}

/// Logs alice in twice and out once, makes two keys and deletes one, logs
/// bob in.
fn credentials(server: &ServerProcess) -> Credentials {
    let alice = server
        .bearer("alice@example.com", "alice-password-1")
        .expect("alice logs in");
    let revoked_token = server
        .bearer("alice@example.com", "alice-password-1")
        .expect("alice logs in again");
    let logout = server
        .send(&TestRequest::post("/api/v1/auth/logout").header("authorization", &revoked_token))
        .expect("an answer to logout");
    assert_eq!(logout.status, 204, "logout: {}", logout.text());
    let make_key = |name: &str| {
        let made = server
            .send(
                &TestRequest::post(KEYS)
                    .header("authorization", &alice)
                    .json(&format!(r#"{{"name":"{name}"}}"#)),
            )
            .expect("an answer to the key's creation");
        assert_eq!(made.status, 201, "{name}: {}", made.text());
        let json = made.json().expect("a JSON key");
        (
            json["id"].as_str().expect("an id").to_owned(),
            json["key"].as_str().expect("a key").to_owned(),
        )
    };
    let (_, valid_key) = make_key("faults-live");
    let (deleted_id, deleted_key) = make_key("faults-deleted");
    let deleted = server
        .send(
            &TestRequest::new("DELETE", &format!("{KEYS}/{deleted_id}"))
                .header("authorization", &alice),
        )
        .expect("an answer to the deletion");
    assert_eq!(deleted.status, 204, "delete: {}", deleted.text());
    let bob = server
        .bearer("bob@example.com", "bob-password-2")
        .expect("bob logs in");
    Credentials {
        valid_key,
        deleted_key,
        revoked_token,
        bob,
    }
}
