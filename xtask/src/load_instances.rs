//! `cargo xtask load instances`: the demo's `/me` (two rate-limit scripts
//! on Redis per request) served by 1, 2 and 3 instances at once, on one
//! `redis-server` and on a 3-primary Redis Cluster: the instances'
//! throughput together, and the CPU time Redis spent per request (`INFO
//! cpu`), from which the rate at which one Redis core saturates follows.
//!
//! The instances share the first core and `wrk` (one per instance, 32
//! connections each) the second; Redis floats. On this two-core machine the
//! instances cannot add throughput: what the table shows is Redis's cost
//! per request, measured under load, and how it spreads over primaries.

use std::time::Duration;

use crate::load::{Server, WrkRun, median, wrk_run};
use crate::redis::TestServer;
use crate::redis_cluster::{self, LocalCluster};
use crate::{Result, demo_process, root};

const BINARIES: [&str; 3] = ["example-axum-api", "example-actix-api", "example-axum-api"];
const ROUNDS: usize = 3;
const SECONDS: u32 = 5;
/// One secret for every instance: a token from one is accepted by all.
const JWT_SECRET: &str = "load-instances-secret-not-a-real-one-0123456789";

/// Where the instances keep their state.
enum Backend {
    Server(TestServer),
    Cluster(LocalCluster),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Self::Server(_) => "one redis-server",
            Self::Cluster(_) => "cluster, 3 primaries",
        }
    }

    fn env(&self) -> (&'static str, String) {
        match self {
            Self::Server(server) => ("REDIS_URL", server.url()),
            Self::Cluster(cluster) => ("REDIS_CLUSTER_NODES", cluster.seed_list()),
        }
    }

    fn ports(&self) -> Vec<u16> {
        let urls = match self {
            Self::Server(server) => vec![server.url()],
            Self::Cluster(cluster) => cluster.seeds(),
        };
        urls.iter()
            .filter_map(|url| {
                url.trim_start_matches("redis://")
                    .split(['/', ':'])
                    .nth(1)?
                    .parse()
                    .ok()
            })
            .collect()
    }

    /// CPU seconds (user + system) each node has used so far.
    fn cpu(&self) -> Result<Vec<f64>> {
        self.ports()
            .into_iter()
            .map(|port| {
                let info = redis_cluster::command(port, "INFO cpu")?;
                let field = |name: &str| {
                    info.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .unwrap_or(0.0)
                };
                Ok(field("used_cpu_user:") + field("used_cpu_sys:"))
            })
            .collect()
    }
}

/// One measurement: throughput together, Redis CPU per request, the
/// busiest node's share of a core.
#[derive(Clone, Copy, Debug, Default)]
struct Measured {
    rps: f64,
    redis_us_per_request: f64,
    busiest_core: f64,
    p99_us: f64,
}

pub(crate) fn run() -> Result {
    crate::build_release(&["example-axum-api", "example-actix-api"])?;
    let backends = [
        Backend::Server(TestServer::start()?),
        Backend::Cluster(redis_cluster::start()?),
    ];
    let mut rows = Vec::new();
    for backend in &backends {
        for instances in 1..=BINARIES.len() {
            let mut rounds = Vec::new();
            for round in 0..ROUNDS {
                println!(
                    "xtask: load instances: {}, {instances} instance(s), round {} of {ROUNDS}",
                    backend.name(),
                    round + 1
                );
                rounds.push(measure(backend, instances)?);
            }
            rows.push((backend.name(), instances, rounds));
        }
    }
    let table = table(&rows);
    println!("{table}");
    let path = root().join("target/load-instances.md");
    std::fs::write(&path, &table).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("xtask: load instances: {}", path.display());
    Ok(())
}

fn measure(backend: &Backend, instances: usize) -> Result<Measured> {
    let (var, value) = backend.env();
    let env = [(var, value.as_str()), ("SHIELDWALL_JWT_SECRET", JWT_SECRET)];
    let mut servers: Vec<(Server, String)> = Vec::new();
    for binary in BINARIES.iter().take(instances) {
        servers.push(demo_process::start(binary, &env)?);
    }
    let first = servers
        .first()
        .map(|(_, addr)| addr.clone())
        .ok_or("no instance")?;
    let (token, _) = demo_process::credentials(&first)?;
    let header = format!("Authorization: Bearer {token}");
    let urls: Vec<String> = servers
        .iter()
        .map(|(_, addr)| format!("http://{addr}/api/v1/protected/me"))
        .collect();
    // Warm-up: connections, scripts loaded, replicas read.
    together(&urls, &header, 1)?;
    std::thread::sleep(Duration::from_millis(200));
    let before = backend.cpu()?;
    let started = std::time::Instant::now();
    let runs = together(&urls, &header, SECONDS)?;
    let wall = started.elapsed().as_secs_f64();
    let after = backend.cpu()?;
    drop(servers);
    let used: Vec<f64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    let requests: u64 = runs.iter().map(|r| r.requests).sum();
    #[allow(clippy::cast_precision_loss, reason = "request counts far below 2^52")]
    let requests = requests.max(1) as f64;
    Ok(Measured {
        rps: runs.iter().map(|r| r.rps).sum(),
        redis_us_per_request: used.iter().sum::<f64>() * 1e6 / requests,
        busiest_core: used.iter().copied().fold(0.0, f64::max) / wall,
        p99_us: runs.iter().map(|r| r.p99).fold(0.0, f64::max),
    })
}

/// One `wrk` per URL, all at once.
fn together(urls: &[String], header: &str, seconds: u32) -> Result<Vec<WrkRun>> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = urls
            .iter()
            .map(|url| scope.spawn(move || wrk_run(url, &[header], seconds)))
            .collect();
        runs.into_iter()
            .map(|run| run.join().map_err(|_| "a wrk thread panicked".to_owned())?)
            .collect()
    })
}

fn table(rows: &[(&str, usize, Vec<Measured>)]) -> String {
    let mut out = String::from(
        "| Redis | instances | requests/s together | Redis CPU per request (all nodes) | busiest Redis node, share of a core | the busiest node would saturate at | worst p99 |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (backend, instances, rounds) in rows {
        let pick = |f: fn(&Measured) -> f64| median(&mut rounds.iter().map(f).collect::<Vec<_>>());
        let rps = pick(|m| m.rps);
        let cost = pick(|m| m.redis_us_per_request);
        let busiest = pick(|m| m.busiest_core);
        let p99 = pick(|m| m.p99_us);
        let saturates = pick(|m| {
            if m.busiest_core > 0.0 {
                m.rps / m.busiest_core
            } else {
                0.0
            }
        });
        out.push_str(&format!(
            "| {backend} | {instances} | {rps:.0} | {cost:.1} µs | {:.0}% | ~{:.0}k requests/s | {} ms |\n",
            busiest * 100.0,
            saturates / 1000.0,
            crate::load::ms(p99)
        ));
    }
    out.push_str(&format!(
        "\nMedians of {ROUNDS} rounds of {SECONDS} s; `GET /api/v1/protected/me` (two rate-limit \
         scripts per request); instances on core 0, `wrk -t1 -c32` per instance on core 1; Redis's CPU time (user and \
         system, so its share of loopback TCP too) from `INFO cpu`. \"Would saturate at\" is \
         the throughput divided by the busiest node's share of a core: the request rate at which \
         that node, given a core of its own, would have none left.\n"
    ));
    out
}
