//! The rig of `tests/faults.rs`: both example servers on the Redis a test
//! gives them (its own `redis-server` behind the fault proxy, or its own
//! Redis Cluster), and the credentials the load uses, made once and shared
//! by both servers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{TestRequest, client};

use crate::fault_load::{Credentials, ME, USERS};
use crate::signing::{ALICE_SECRET, BODY, signer, signing_keys, transfer};

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
    /// What every server was started with.
    env: Vec<(String, String)>,
}

impl Rig {
    /// Starts both servers on the Redis that `redis` names (`REDIS_URL` or
    /// `REDIS_CLUSTER_NODES` and its value) and makes the credentials on
    /// the first; returns once every server refuses the revoked token and
    /// the deleted key and accepts the live key.
    pub(crate) fn start(redis: (&str, &str)) -> Self {
        let keys = signing_keys();
        let env = [
            redis,
            ("SHIELDWALL_JWT_SECRET", JWT_SECRET),
            ("SHIELDWALL_SIGNING_KEYS", keys.as_str()),
            ("SHIELDWALL_LIMIT_USER", USER_LIMIT),
            // Said, not assumed: the policy under test is the default.
            ("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR", "closed"),
            // The audit stream is one of the stores under fault; what becomes
            // of its events is read from the metrics.
            ("SHIELDWALL_AUDIT", "redis"),
            ("SHIELDWALL_METRICS_ADDR", "127.0.0.1:0"),
        ];
        let servers: Vec<ServerProcess> = SERVERS
            .iter()
            .map(|name| ServerProcess::start(&binary(name), &env).expect("the server starts"))
            .collect();
        let credentials = credentials(&servers[0]);
        let rig = Self {
            servers,
            credentials,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
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

    /// What starts one more axum server as the others were started (a new
    /// instance joining while something goes wrong).
    pub(crate) fn another(&self) -> Another {
        Another(self.env.clone())
    }

    /// Checks each server's audit accounting once the load is over: every
    /// request it answered has its event counted as written, dropped or
    /// lost (`shieldwall_audit_events_total`), within 10 s (the writer's
    /// batches and retries); returns `(name, written, dropped, lost)`.
    pub(crate) fn audit_accounted(&self) -> Vec<(String, f64, f64, f64)> {
        self.servers
            .iter()
            .map(|server| {
                let metrics = metrics_addr(server);
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let text = client::send(metrics, &TestRequest::get("/metrics"))
                        .expect("a scrape")
                        .text();
                    let requests = sum(&text, "shieldwall_requests_total{");
                    let outcome = |o: &str| {
                        sum(
                            &text,
                            &format!("shieldwall_audit_events_total{{outcome=\"{o}\"}}"),
                        )
                    };
                    let (written, dropped, lost) =
                        (outcome("written"), outcome("dropped"), outcome("lost"));
                    if (written + dropped + lost - requests).abs() < 0.5 {
                        return (server.name().to_owned(), written, dropped, lost);
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{}: {requests} requests but audit events written {written}, dropped \
                         {dropped}, lost {lost}: some were never counted",
                        server.name()
                    );
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
            .collect()
    }

    /// Whether a server exited or printed a panic.
    pub(crate) fn crashes(&mut self) -> Vec<String> {
        crate::crashes::crashes(&mut self.servers)
    }
}

/// The metrics listener's address, from the line the server printed.
fn metrics_addr(server: &ServerProcess) -> SocketAddr {
    server
        .output()
        .iter()
        .find_map(|line| line.strip_prefix("metrics on http://")?.parse().ok())
        .expect("the server printed its metrics address")
}

/// The sum of every sample whose series starts with `prefix`.
fn sum(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .fold(0.0, |total, value| total + value)
}

/// See [`Rig::another`].
pub(crate) struct Another(Vec<(String, String)>);

impl Another {
    pub(crate) fn start(&self) -> ServerProcess {
        let env: Vec<(&str, &str)> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        ServerProcess::start(&binary(SERVERS[0]), &env).expect("the server starts")
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
                    .json(&format!(r#"{{"name":{name}}}"#)),
            )
            .expect("an answer to the key's creation");
        assert_eq!(made.status, 201, "{name}: {}", made.text());
        let json = made.json().expect("a JSON key");
        (
            json["id"].as_str().expect("an id").to_owned(),
            json["key"].as_str().expect("a key").to_owned(),
        )
    };
    let (_, valid_key) = make_key(r#""faults-live","scopes":["users:read","transfers:write"]"#);
    let (deleted_id, deleted_key) = make_key(r#""faults-deleted""#);
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
    let replay = transfer(&signer("alice-key", ALICE_SECRET), &valid_key, BODY, BODY);
    let accepted = server.send(&replay).expect("an answer to the transfer");
    assert_eq!(accepted.status, 201, "transfer: {}", accepted.text());
    Credentials {
        valid_key,
        replay,
        deleted_key,
        revoked_token,
        bob,
    }
}
