//! The steady load of `tests/faults.rs` and what every answer under it must
//! be, whatever Redis is doing: a few threads per server sending requests
//! in a loop over real HTTP, each answer kept with how long it took.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shieldwall_testkit::server::ServerProcess;
use shieldwall_testkit::{Observed, TestRequest};

use crate::signing::{ALICE_SECRET, BODY, signer, transfer};

/// The demo's Redis command timeout: it builds its `RedisConfig` with
/// `RedisConfig::new`, whose default is 500 ms, and sets no other.
pub(crate) const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// The longest any answer may take: the command timeout plus a margin for a
/// shared two-core machine running two servers, Redis and this load. It
/// bounds gross hangs (a request waiting on a dead connection), not latency.
pub(crate) const ANSWER_BOUND: Duration = REDIS_TIMEOUT.saturating_add(Duration::from_secs(2));

const THREADS_PER_SERVER: usize = 2;
/// Between two requests of one thread: a steady load that leaves the two
/// cores room for the servers to answer.
const PAUSE: Duration = Duration::from_millis(10);

/// The users route (API key) and who-am-I route (bearer token).
pub(crate) const USERS: &str = "/api/v1/users";
pub(crate) const ME: &str = "/api/v1/protected/me";

/// What each server must keep refusing or serving.
#[derive(Debug)]
pub(crate) struct Credentials {
    /// `X-API-Key` of a live key with `users:read` and `transfers:write`.
    pub(crate) valid_key: String,
    /// A signed transfer accepted before the load starts: a replay.
    pub(crate) replay: TestRequest,
    /// `X-API-Key` of a key deleted before the load starts.
    pub(crate) deleted_key: String,
    /// `Authorization` of a token logged out before the load starts.
    pub(crate) revoked_token: String,
    /// `Authorization` of bob, whom only the recovery probes use.
    pub(crate) bob: String,
}

/// What the load sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `GET /health`: no store behind it.
    Health,
    /// The users list with the live key.
    ValidKey,
    /// The users list with the deleted key.
    DeletedKey,
    /// Who-am-I with the logged-out token.
    RevokedToken,
    /// A transfer signed just now (a nonce of its own).
    Transfer,
    /// The transfer accepted before the load, sent again.
    Replay,
}

const KINDS: [Kind; 6] = [
    Kind::ValidKey,
    Kind::DeletedKey,
    Kind::RevokedToken,
    Kind::Transfer,
    Kind::Replay,
    Kind::Health,
];

impl Kind {
    fn request(self, credentials: &Credentials) -> TestRequest {
        match self {
            Self::Health => TestRequest::get("/health"),
            Self::ValidKey => TestRequest::get(USERS).header("x-api-key", &credentials.valid_key),
            Self::DeletedKey => {
                TestRequest::get(USERS).header("x-api-key", &credentials.deleted_key)
            }
            Self::RevokedToken => {
                TestRequest::get(ME).header("authorization", &credentials.revoked_token)
            }
            Self::Transfer => transfer(
                &signer("alice-key", ALICE_SECRET),
                &credentials.valid_key,
                BODY,
                BODY,
            ),
            Self::Replay => credentials.replay.clone(),
        }
    }
}

/// One answer (or why there was none).
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) server: usize,
    pub(crate) kind: Kind,
    pub(crate) answered_at: Instant,
    pub(crate) elapsed: Duration,
    pub(crate) answer: Result<Observed, String>,
}

/// Sends the load to every server until `stop`; returns every answer.
pub(crate) fn run(
    servers: &[ServerProcess],
    credentials: &Credentials,
    stop: &AtomicBool,
) -> Vec<Record> {
    std::thread::scope(|scope| {
        let threads: Vec<_> = servers
            .iter()
            .enumerate()
            .flat_map(|(index, server)| (0..THREADS_PER_SERVER).map(move |t| (index, server, t)))
            .map(|(index, server, thread)| {
                scope.spawn(move || {
                    let mut records = Vec::new();
                    // Each thread starts at another kind, so that every kind
                    // is in flight on every server at once.
                    for kind in KINDS.iter().cycle().skip(thread) {
                        if stop.load(Ordering::Acquire) {
                            break;
                        }
                        let start = Instant::now();
                        let answer = server.send(&kind.request(credentials));
                        records.push(Record {
                            server: index,
                            kind: *kind,
                            answered_at: Instant::now(),
                            elapsed: start.elapsed(),
                            answer,
                        });
                        std::thread::sleep(PAUSE);
                    }
                    records
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("a load thread"))
            .collect()
    })
}

/// What Redis lost in a fault, and from when: an answer after that may
/// find the live key unknown (401), and may accept the replay once (its
/// nonce went with the data: the documented cost of a Redis without
/// persistence). Revocations are never lost: each server's replica holds
/// the logout, refuses the token while it resynchronises, and gives Redis
/// the logout back.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Lost {
    /// The keys and nonces went with Redis's data.
    pub(crate) data: Option<Instant>,
}

/// What is wrong with `record`, if anything.
pub(crate) fn failure(record: &Record, lost: Lost) -> Option<String> {
    let answer = match &record.answer {
        Ok(answer) => answer,
        Err(error) => return Some(format!("no answer: {error}")),
    };
    if record.elapsed > ANSWER_BOUND {
        return Some(format!(
            "answered {} after {:?} (bound {ANSWER_BOUND:?})",
            answer.status, record.elapsed
        ));
    }
    let since = |at: Option<Instant>| at.is_some_and(|at| record.answered_at >= at);
    let allowed: &[u16] = match record.kind {
        Kind::Health => &[200],
        Kind::ValidKey if since(lost.data) => &[200, 401, 503],
        Kind::ValidKey => &[200, 503],
        Kind::Transfer if since(lost.data) => &[201, 401, 503],
        Kind::Transfer => &[201, 503],
        Kind::Replay if since(lost.data) => &[201, 401, 503],
        // Fail closed: refused, or unavailable; never served.
        Kind::DeletedKey | Kind::RevokedToken | Kind::Replay => &[401, 503],
    };
    if !allowed.contains(&answer.status) {
        return Some(format!(
            "answered {} (allowed {allowed:?}): {}",
            answer.status,
            answer.text()
        ));
    }
    if answer.status == 503 {
        return unavailable_failure(answer);
    }
    None
}

/// How many times the logged-out token was served.
pub(crate) fn served_revoked(records: &[&Record]) -> usize {
    records
        .iter()
        .filter(|r| r.kind == Kind::RevokedToken)
        .filter(|r| r.answer.as_ref().is_ok_and(|a| a.status == 200))
        .count()
}

/// The failure policy's answer: RFC 9457 `SERVICE_UNAVAILABLE`, nothing of
/// the store in it.
fn unavailable_failure(answer: &Observed) -> Option<String> {
    let text = answer.text();
    let code = answer.json().map(|json| json["code"].clone());
    let problem = answer.header("content-type").as_deref() == Some("application/problem+json");
    let leaks = ["redis", "127.0.0.1", "timed out", "Timeout"]
        .iter()
        .any(|word| text.contains(word));
    (!problem || code != Some(serde_json::json!("SERVICE_UNAVAILABLE")) || leaks)
        .then(|| format!("a 503 that is not the failure policy's answer: {text}"))
}

/// `N answers (200: a, 401: b, 503: c), slowest T, Retry-After on r of c 503s`.
pub(crate) fn summary(records: &[&Record]) -> String {
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut retry_after = 0;
    for answer in records.iter().filter_map(|r| r.answer.as_ref().ok()) {
        *statuses.entry(answer.status).or_default() += 1;
        if answer.status == 503 && answer.header("retry-after").is_some() {
            retry_after += 1;
        }
    }
    let slowest = records.iter().map(|r| r.elapsed).max().unwrap_or_default();
    let counts: Vec<String> = statuses
        .iter()
        .map(|(status, n)| format!("{status}: {n}"))
        .collect();
    format!(
        "{} answers ({}), slowest {:.0?}, Retry-After on {retry_after} of {} 503s",
        records.len(),
        counts.join(", "),
        slowest,
        statuses.get(&503).copied().unwrap_or(0)
    )
}
