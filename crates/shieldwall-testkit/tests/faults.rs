//! Redis faults under load, through both example servers as processes
//! (issue 15). Each test starts a `redis-server` of its own, puts the fault
//! proxy in front of it, starts both servers on the proxy with a shared JWT
//! secret and the audit stream on Redis, and keeps a steady load on them (a
//! live API key, a deleted one, a logged-out token, signed transfers and a
//! replay of one, `/health`) while it makes Redis silent, cut off,
//! slow, flapping, back without its scripts, emptied, or restarted empty.
//! Every answer all through must come within the Redis timeout plus a
//! margin, be the failure policy's 503 (`closed`, problem+json) when Redis
//! cannot decide, never a 500, never a 2xx for the deleted key or the
//! logged-out token (not even once a restart has emptied Redis), nor for
//! the replay while Redis keeps its data; every request's audit event is
//! written or counted as dropped or lost; no server may exit or panic. Once Redis is back, each test
//! measures how long each server takes to serve again and to enforce a
//! tight per-user limit again (printed: `-- --nocapture`), bounded only by
//! a generous deadline. One more test does the same on a Redis Cluster of
//! its own whose primary is killed and replaced by its replica.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    reason = "tests"
)]

#[path = "support/crashes.rs"]
mod crashes;
#[path = "support/fault_load.rs"]
mod fault_load;
#[path = "support/fault_rig.rs"]
mod fault_rig;
#[path = "support/signing.rs"]
#[allow(dead_code, reason = "each test file uses part of the signing helpers")]
mod signing;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use fault_load::{Credentials, Lost, ME, REDIS_TIMEOUT, Record};
use fault_rig::{Rig, USER_QUOTA};
use shieldwall_redis::testing::{OwnCluster, OwnServer};
use shieldwall_testkit::TestRequest;
use shieldwall_testkit::fault_proxy::{FaultProxy, Mode};
use shieldwall_testkit::server::ServerProcess;

/// The load runs this long on a healthy Redis before the fault.
const BASELINE: Duration = Duration::from_millis(500);

/// How long each server may take to serve and to limit again once Redis is
/// back: far above the circuit breaker's 2 s cool-down, so that only a
/// server that does not recover fails.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(15);

/// A delay the command timeout cannot wait out.
const SLOW: Duration = REDIS_TIMEOUT.saturating_add(Duration::from_millis(300));

/// One test at a time: the answer bound is meant for one rig under load on
/// two cores, not for several at once.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn redis_black_holed() {
    // Longer than the revocation replica's 3 s of silence, so that it stops
    // answering and checks go to the silent Redis too.
    under_load("black hole", true, |_, proxy, _| {
        proxy.set_mode(Mode::BlackHole);
        std::thread::sleep(Duration::from_millis(3500));
        Lost::default()
    });
}

#[test]
fn redis_cut_off() {
    under_load("cut off", true, |_, proxy, _| {
        proxy.set_mode(Mode::Cut);
        std::thread::sleep(Duration::from_millis(2500));
        Lost::default()
    });
}

#[test]
fn redis_slow() {
    under_load("slow", true, |_, proxy, _| {
        proxy.set_mode(Mode::Delay(SLOW));
        std::thread::sleep(Duration::from_millis(2500));
        Lost::default()
    });
}

#[test]
fn redis_flapping() {
    under_load("flapping", true, |_, proxy, _| {
        let modes = [
            Mode::BlackHole,
            Mode::Pass,
            Mode::Cut,
            Mode::Pass,
            Mode::Delay(SLOW),
            Mode::Pass,
        ];
        for mode in modes.iter().cycle().take(14) {
            proxy.set_mode(*mode);
            std::thread::sleep(Duration::from_millis(300));
        }
        Lost::default()
    });
}

#[test]
fn redis_back_without_its_scripts() {
    // Every connection ends, and Redis comes back with its data but no
    // scripts (a restart that reloads its data from disk).
    under_load("scripts flushed", true, |_, proxy, redis_addr| {
        proxy.set_mode(Mode::Cut);
        command(redis_addr, "SCRIPT", "FLUSH");
        std::thread::sleep(Duration::from_secs(1));
        Lost::default()
    });
}

#[test]
fn redis_loses_its_data() {
    // On a live Redis: the connections and subscriptions stay up, so each
    // server's revocation replica keeps what it knew, and the logged-out
    // token stays refused (the load checks it, as in every test).
    under_load("data flushed", false, |_, _, redis_addr| {
        command(redis_addr, "FLUSHALL", "SYNC");
        let lost = Instant::now();
        std::thread::sleep(Duration::from_secs(1));
        Lost { data: Some(lost) }
    });
}

#[test]
fn redis_restarted_without_its_data() {
    // Stopped for a second, then a new process on the same port: no keys,
    // no revocations, no counts, no scripts.
    under_load("restarted empty", true, |redis, _, _| {
        redis.kill();
        let lost = Instant::now();
        std::thread::sleep(Duration::from_secs(1));
        redis.restart();
        Lost { data: Some(lost) }
    });
}

#[test]
fn redis_restarted_empty_at_once() {
    // Killed and started again at once: the breaker has no time to open,
    // so the checks reach the empty Redis while the replicas resubscribe.
    // The logged-out token must stay refused all the same.
    under_load("restarted empty at once", false, |redis, _, _| {
        redis.kill();
        let lost = Instant::now();
        redis.restart();
        std::thread::sleep(Duration::from_secs(1));
        Lost { data: Some(lost) }
    });
}

#[test]
fn redis_cluster_primary_killed_and_failed_over() {
    // Three primaries with a replica each; the primary of slot 0 (a third
    // of the keys: some of the signed transfers' nonces at least, so each
    // server must answer 503s) is killed, and its replica takes over after
    // the node timeout. The data was replicated long before, so nothing is
    // lost. Meanwhile a new server starts on the cluster and is asked, all
    // through, about the logged-out token: its revocation replica cannot
    // read the whole set while a slot has no primary, so it must not
    // answer "not revoked" from an incomplete one.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let mut cluster =
        OwnCluster::start(3, 1, Duration::from_secs(1)).unwrap_or_else(|e| panic!("{e}"));
    let seeds = cluster.seed_list();
    let mut rig = Rig::start(("REDIS_CLUSTER_NODES", &seeds));
    let revoked = TestRequest::get(ME).header("authorization", &rig.credentials.revoked_token);
    let newcomer_answers = Mutex::new(Vec::new());
    let another = rig.another();
    observe("cluster failover", true, &mut rig, || {
        let old = cluster.primary_of(0).unwrap_or_else(|e| panic!("{e}"));
        // What was written so far is on the replica: asynchronous
        // replication may lose the last instant's writes, not the setup's.
        cluster
            .wait_replicated(old, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{e}"));
        cluster.kill(old);
        let done = AtomicBool::new(false);
        let cluster = &cluster;
        std::thread::scope(|scope| {
            let failover = scope.spawn(|| {
                let took = cluster.wait_for_failover(0, old, Duration::from_secs(20));
                done.store(true, Ordering::Release);
                took
            });
            let starting = Instant::now();
            let newcomer = another.start();
            let started_in = starting.elapsed();
            // Until a second after the failover.
            let mut answers = Vec::new();
            let mut after: Option<Instant> = None;
            while after.is_none_or(|at| at.elapsed() < Duration::from_secs(1)) {
                if after.is_none() && done.load(Ordering::Acquire) {
                    after = Some(Instant::now());
                }
                answers.push(newcomer.send(&revoked).map(|a| a.status));
                std::thread::sleep(Duration::from_millis(20));
            }
            *newcomer_answers
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = answers;
            let took = failover
                .join()
                .expect("the failover thread")
                .unwrap_or_else(|e| panic!("{e}"));
            eprintln!(
                "faults: cluster failover: the replica served slot 0 {:.2} s after its primary \
                 was killed; the new server started in {:.2} s",
                took.as_secs_f64(),
                started_in.as_secs_f64()
            );
        });
        Lost::default()
    });
    let answers = newcomer_answers
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let served = answers.iter().filter(|a| matches!(a, Ok(200))).count();
    eprintln!(
        "faults: cluster failover: the new server answered the logged-out token {} times: {} \
         served",
        answers.len(),
        served
    );
    assert!(!answers.is_empty());
    assert!(
        answers.iter().all(|a| matches!(a, Ok(401 | 503))),
        "the new server: {answers:?}"
    );
}

/// Sends `name arg` to Redis directly (not through the proxy).
fn command(redis_addr: SocketAddr, name: &str, arg: &str) {
    let client = redis::Client::open(format!("redis://{redis_addr}")).expect("a valid URL");
    let mut connection = client.get_connection().expect("Redis behind the proxy");
    redis::cmd(name)
        .arg(arg)
        .query::<()>(&mut connection)
        .unwrap_or_else(|e| panic!("{name} {arg}: {e}"));
}

/// Sets `stop` when dropped, so that a failing assertion in the scope does
/// not leave the load running and the scope waiting for it forever.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Starts a `redis-server`, the fault proxy in front of it and a rig on the
/// proxy, then [`observe`]s the fault `inject` makes (the proxy is set back
/// to `Pass` after it).
fn under_load(
    fault: &str,
    unreachable: bool,
    inject: impl FnOnce(&mut OwnServer, &FaultProxy, SocketAddr) -> Lost,
) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let mut redis = OwnServer::start();
    let redis_addr: SocketAddr = redis
        .url()
        .trim_start_matches("redis://")
        .parse()
        .expect("OwnServer's URL is redis://127.0.0.1:PORT");
    let proxy = FaultProxy::start(redis_addr).expect("the fault proxy starts");
    let url = format!("redis://{}", proxy.addr());
    // Declared after Redis, so dropped (killed) before it.
    let mut rig = Rig::start(("REDIS_URL", &url));
    observe(fault, unreachable, &mut rig, || {
        let lost = inject(&mut redis, &proxy, redis_addr);
        proxy.set_mode(Mode::Pass);
        lost
    });
}

/// Runs the load on `rig`, lets `inject` do the fault (and undo it) and say
/// what Redis lost, measures recovery, and checks every answer.
/// `unreachable`: the fault keeps Redis from answering for a while, so each
/// server must have answered some 503s (proof that the fault reached it).
fn observe(fault: &str, unreachable: bool, rig: &mut Rig, inject: impl FnOnce() -> Lost) {
    let stop = AtomicBool::new(false);
    let (records, recovery, lost) = {
        let servers: &[ServerProcess] = &rig.servers;
        let credentials: &Credentials = &rig.credentials;
        let stop = &stop;
        std::thread::scope(|scope| {
            let _stop = StopOnDrop(stop);
            let load = scope.spawn(move || fault_load::run(servers, credentials, stop));
            std::thread::sleep(BASELINE);
            let lost = inject();
            let recovery = recover(servers, credentials);
            stop.store(true, Ordering::Release);
            (load.join().expect("the load"), recovery, lost)
        })
    };

    for (index, server) in rig.servers.iter().enumerate() {
        let mine: Vec<&Record> = records.iter().filter(|r| r.server == index).collect();
        eprintln!(
            "faults: {fault}: {}: {}; {}; logged-out token served {} times",
            server.name(),
            recovery[index],
            fault_load::summary(&mine),
            fault_load::served_revoked(&mine)
        );
    }
    let failures: Vec<String> = records
        .iter()
        .filter_map(|record| {
            fault_load::failure(record, lost).map(|failure| {
                format!(
                    "{} {:?}: {failure}",
                    rig.servers[record.server].name(),
                    record.kind
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{fault}: {} of {} answers failed, the first ones:\n{}",
        failures.len(),
        records.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (index, server) in rig.servers.iter().enumerate() {
        let unavailable = records
            .iter()
            .filter(|r| r.server == index)
            .filter(|r| r.answer.as_ref().is_ok_and(|a| a.status == 503))
            .count();
        assert!(
            !unreachable || unavailable > 0,
            "{fault}: {} never answered 503: did the fault reach it?",
            server.name()
        );
    }
    // Nothing the servers answered is missing from the audit accounting:
    // each event was written to the stream, or counted as dropped or lost.
    for (name, written, dropped, lost) in rig.audit_accounted() {
        eprintln!(
            "faults: {fault}: {name}: audit events written {written}, dropped {dropped}, lost {lost}"
        );
    }
    let crashes = rig.crashes();
    assert!(crashes.is_empty(), "{fault}: {crashes:?}");
}

/// From the moment Redis is back: when each server first serves bob, and
/// when the per-user limit refuses him again (one quota, shared by both
/// servers through Redis). Panics past [`RECOVERY_DEADLINE`].
fn recover(servers: &[ServerProcess], credentials: &Credentials) -> Vec<String> {
    let back = Instant::now();
    let mut probe = Probe {
        request: TestRequest::get(ME).header("authorization", &credentials.bob),
        back,
        served: 0,
    };
    let served: Vec<Duration> = servers.iter().map(|s| probe.until(s, 200)).collect();
    let limited: Vec<Duration> = servers.iter().map(|s| probe.until(s, 429)).collect();
    served
        .iter()
        .zip(&limited)
        .map(|(served, limited)| {
            format!(
                "served {:.2} s after Redis was back, limited at {:.2} s",
                served.as_secs_f64(),
                limited.as_secs_f64()
            )
        })
        .collect()
}

/// Bob's who-am-I, sent by the recovery checks only.
struct Probe {
    request: TestRequest,
    back: Instant,
    /// 200s so far, on both servers.
    served: usize,
}

impl Probe {
    /// Sends the request to `server` until it answers `wanted`; how long
    /// after Redis was back that was. Only 200 (within bob's quota), 429
    /// (past it) and 503 (not back yet) may come on the way, and no more
    /// 200s than his quota, plus one for the quota's refill (one request
    /// per 15 s) during a slow recovery.
    fn until(&mut self, server: &ServerProcess, wanted: u16) -> Duration {
        loop {
            let answer = server.send(&self.request).expect("an answer");
            assert!(
                [200, 429, 503].contains(&answer.status),
                "{}: bob's request answered {} {}",
                server.name(),
                answer.status,
                answer.text()
            );
            if answer.status == 200 {
                self.served += 1;
                assert!(
                    self.served <= USER_QUOTA + 1,
                    "{}: bob served {} times on a quota of {USER_QUOTA}",
                    server.name(),
                    self.served
                );
            }
            if answer.status == wanted {
                return self.back.elapsed();
            }
            assert!(
                self.back.elapsed() < RECOVERY_DEADLINE,
                "{}: no {wanted} within {RECOVERY_DEADLINE:?} of Redis being back (last {} {})",
                server.name(),
                answer.status,
                answer.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
