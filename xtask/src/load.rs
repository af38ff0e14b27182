//! `cargo xtask load [layers | demo]`: wrk against the servers on
//! loopback, each scenario beside its anchor in the same round. `layers`
//! (this file): the bench server's `GET /hello` behind one layer at a time;
//! `demo` ([`crate::load_demo`]): the demo's full stack beside the same
//! handlers without a layer. Without an argument, both.
//!
//! For each framework (axum, actix) and each of `ROUNDS` rounds, the
//! scenarios run one after the other (interleaved, so that drift of the
//! machine hits them alike): `bench-server FRAMEWORK STACK` (one worker
//! thread) pinned to the first core with `taskset`, a short warm-up, then
//! `wrk -t1 -c32` pinned to the second core, with an allowed `Origin` and
//! the stack's credential. On this 2-core machine that keeps the load
//! generator off the server's core: the figures are the cost of one core's
//! worth of serving. The stacks built from the demo's guards run on memory
//! and on a `redis-server` of the command's own (its commands per request
//! counted with `INFO commandstats`). The table gives the median requests
//! per second of each scenario, its ratio to the bare route and to the
//! perimeter, and the median round's latency percentiles; written to
//! `target/load-layers.md`. Loopback only; every run stops by itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{Result, root};

const FRAMEWORKS: [&str; 2] = ["axum", "actix"];
/// Each scenario: the bench server's stack, and whether its stores are on
/// Redis.
const SCENARIOS: [(&str, bool); 16] = [
    ("bare", false),
    ("floor", false),
    ("perimeter", false),
    ("headers", false),
    ("cors", false),
    ("shieldwall", false),
    ("anchor", false),
    ("audit", false),
    ("ip-limit", false),
    ("limit-anchor", false),
    ("api-key", false),
    ("bearer", false),
    ("ip-limit", true),
    ("limit-anchor", true),
    ("api-key", true),
    ("bearer", true),
];
const ROUNDS: usize = 3;
const SECONDS: u32 = 5;
/// The top-level commands counted per request on Redis.
pub(crate) const COMMANDS: [&str; 6] = ["evalsha", "exists", "hgetall", "set", "incr", "expire"];
/// A limit no load run reaches.
pub(crate) const HIGH: &str = "1000000000/1h";

/// A server process, killed when dropped.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A bench server up: its address, and the header line each request must
/// carry, if any.
pub(crate) struct Started {
    pub(crate) server: Server,
    pub(crate) addr: String,
    pub(crate) header: Option<String>,
}

/// Starts `bench-server FRAMEWORK STACK`, its stores on `redis` when given.
pub(crate) fn start(framework: &str, stack: &str, redis: Option<&str>) -> Result<Started> {
    let binary = root().join("target/release/bench-server");
    let mut command = Command::new("taskset");
    command
        .args(["-c", "0"])
        .arg(&binary)
        .args([framework, stack])
        .env("BENCH_AUDIT_FILE", audit_file())
        // The stacks built from the demo: quiet, no audit, limits out of reach.
        .env("SHIELDWALL_LOG", "warn")
        .env("SHIELDWALL_AUDIT", "off")
        .env("SHIELDWALL_LIMIT_PUBLIC", HIGH)
        .env("SHIELDWALL_LIMIT_AUTH", HIGH)
        .env("SHIELDWALL_LIMIT_USER", HIGH)
        .env_remove("REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = redis {
        command.env("REDIS_URL", url);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut header = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(h) = line.strip_prefix("header ") {
            header = Some(h.to_owned());
        } else if let Some(addr) = line.trim().strip_prefix("listening on http://") {
            return Ok(Started {
                server,
                addr: addr.to_owned(),
                header,
            });
        } else {
            return Err(format!("{framework} {stack}: unexpected line {line:?}"));
        }
    }
    Err(format!("{framework} {stack}: exited before listening"))
}

/// Where the `audit` stack writes (emptied before each server starts).
fn audit_file() -> std::path::PathBuf {
    root().join("target/bench-audit.jsonl")
}

/// What one `wrk` run measured.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WrkRun {
    pub(crate) rps: f64,
    pub(crate) requests: u64,
    /// Latency percentiles and maximum, in microseconds.
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) p999: f64,
    pub(crate) max: f64,
}

/// Prints the percentiles wrk's own summary lacks (p99.9) on one line.
pub(crate) const LATENCY_SCRIPT: &str = r#"
done = function(summary, latency, requests)
  io.write(string.format("xtask-latency %d %d %d %d %d\n", summary.requests,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
"#;

/// `wrk -t1 -c32` pinned to the second core against `url` with one extra
/// header, for `seconds`: its requests per second, or an error when any
/// answer was not 2xx.
pub(crate) fn wrk_on(url: &str, header: &str, seconds: u32) -> Result<f64> {
    wrk_run(url, &[header], seconds).map(|run| run.rps)
}

/// As [`wrk_on`], with every header of `headers`, the request count and
/// the latency percentiles.
pub(crate) fn wrk_run(url: &str, headers: &[&str], seconds: u32) -> Result<WrkRun> {
    wrk_script(url, headers, seconds, LATENCY_SCRIPT, &[])
}

/// As [`wrk_run`], with `script` before the latency report (its `init`
/// gets `args`).
pub(crate) fn wrk_script(
    url: &str,
    headers: &[&str],
    seconds: u32,
    script: &str,
    args: &[&str],
) -> Result<WrkRun> {
    let full = if script == LATENCY_SCRIPT {
        LATENCY_SCRIPT.to_owned()
    } else {
        format!("{script}\n{LATENCY_SCRIPT}")
    };
    let text = wrk_output(url, headers, seconds, &full, args)?;
    // wrk counts 4xx and 5xx as "Non-2xx or 3xx", and connection errors
    // and timeouts as "Socket errors": either makes the run a measure of
    // failures, not of the stack.
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        return Err(format!("failed answers under load on {url}:\n{text}"));
    }
    parse_run(&text)
}

/// Runs `wrk -t1 -c32` pinned to the second core with the Lua `script`;
/// its standard output (and standard error when it printed no rate).
pub(crate) fn wrk_output(
    url: &str,
    headers: &[&str],
    seconds: u32,
    script: &str,
    args: &[&str],
) -> Result<String> {
    // A file per run: several runs may go at once (`load instances`).
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = root().join(format!("target/xtask-wrk-{run}.lua"));
    std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut command = Command::new("taskset");
    command.args([
        "-c",
        "1",
        "wrk",
        "-t1",
        "-c32",
        &format!("-d{seconds}s"),
        "-s",
        &path.to_string_lossy(),
    ]);
    for header in headers {
        command.args(["-H", header]);
    }
    command.arg(url);
    if !args.is_empty() {
        command.arg("--").args(args);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run taskset and wrk: {e}"));
    let _ = std::fs::remove_file(&path);
    let output = output?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !text.contains("Requests/sec:") {
        text.push_str(&String::from_utf8_lossy(&output.stderr));
    }
    Ok(text)
}

/// Fails before any build when a tool the load commands drive is missing
/// (a fresh machine has no `wrk`): the command says what to install.
pub(crate) fn require_tools() -> Result {
    for (tool, package) in [("wrk", "wrk"), ("taskset", "util-linux")] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            return Err(format!(
                "{tool} is not installed; the load commands need it (apt-get install -y {package})"
            ));
        }
    }
    Ok(())
}

/// The rate, request count and latencies of wrk's output.
pub(crate) fn parse_run(text: &str) -> Result<WrkRun> {
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let numbers: Vec<f64> = text
        .lines()
        .find_map(|l| l.strip_prefix("xtask-latency "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [requests, p50, p99, p999, max] = numbers.as_slice() else {
        return Err(format!("no latency line in wrk's output:\n{text}"));
    };
    Ok(WrkRun {
        rps,
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a request count wrk printed as an integer"
        )]
        requests: *requests as u64,
        p50: *p50,
        p99: *p99,
        p999: *p999,
        max: *max,
    })
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// `cargo xtask load [layers | demo | instances]` (without an argument,
/// `layers` then `demo`).
pub(crate) fn run(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        None => {
            layers()?;
            crate::load_demo::run()
        }
        Some("layers") => layers(),
        Some("demo") => crate::load_demo::run(),
        Some("instances") => crate::load_instances::run(),
        Some(other) => Err(format!("load: layers, demo or instances, not {other}")),
    }
}

/// One scenario's rounds.
#[derive(Default)]
pub(crate) struct Rounds {
    pub(crate) runs: Vec<WrkRun>,
    /// Per counted command, calls per request, one value per round.
    pub(crate) per_request: std::collections::HashMap<&'static str, Vec<f64>>,
}

impl Rounds {
    pub(crate) fn median_rps(&self) -> f64 {
        median(&mut self.runs.iter().map(|r| r.rps).collect::<Vec<_>>())
    }

    /// The round whose throughput is the median: its latencies.
    pub(crate) fn median_run(&self) -> WrkRun {
        let m = self.median_rps();
        self.runs
            .iter()
            .copied()
            .find(|r| r.rps.total_cmp(&m).is_eq())
            .unwrap_or_default()
    }

    /// The median of each counted command per request, `a / b / …`.
    pub(crate) fn commands(&self) -> String {
        COMMANDS
            .map(|c| {
                let mut values = self.per_request.get(c).cloned().unwrap_or_default();
                format!("{:.2}", median(&mut values))
            })
            .join(" / ")
    }

    /// Runs `measure` once, counting Redis's commands around it when
    /// `redis` is given.
    pub(crate) fn record(
        &mut self,
        redis: Option<&crate::redis::TestServer>,
        measure: impl FnOnce() -> Result<WrkRun>,
    ) -> Result {
        let before = redis
            .map(crate::redis::TestServer::command_calls)
            .transpose()?;
        let run = measure()?;
        if let (Some(redis), Some(before)) = (redis, before) {
            let after = redis.command_calls()?;
            for command in COMMANDS {
                let delta = after
                    .get(command)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(before.get(command).copied().unwrap_or(0));
                #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
                let per = delta as f64 / run.requests.max(1) as f64;
                self.per_request.entry(command).or_default().push(per);
            }
        }
        self.runs.push(run);
        Ok(())
    }
}

pub(crate) fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn layers() -> Result {
    crate::build_release(&["example-bench-server"])?;
    let redis = crate::redis::TestServer::start()?;
    let redis_url = redis.url();
    let mut results: Vec<Vec<Rounds>> = FRAMEWORKS
        .iter()
        .map(|_| SCENARIOS.iter().map(|_| Rounds::default()).collect())
        .collect();
    for round in 0..ROUNDS {
        for (f, framework) in FRAMEWORKS.iter().enumerate() {
            println!(
                "xtask: load layers: round {} of {ROUNDS}, {framework}",
                round + 1
            );
            for (i, (stack, on_redis)) in SCENARIOS.iter().enumerate() {
                let _ = std::fs::remove_file(audit_file());
                let url = on_redis.then_some(redis_url.as_str());
                let started = start(framework, stack, url)?;
                let target = format!("http://{}/hello", started.addr);
                let mut headers = vec!["Origin: https://myapp.com"];
                headers.extend(started.header.as_deref());
                wrk_run(&target, &headers, 1)?; // warm-up
                std::thread::sleep(Duration::from_millis(200));
                let counted = on_redis.then_some(&redis);
                if let Some(rounds) = results.get_mut(f).and_then(|r| r.get_mut(i)) {
                    rounds.record(counted, || wrk_run(&target, &headers, SECONDS))?;
                }
                drop(started);
            }
        }
    }
    let _ = std::fs::remove_file(audit_file());
    let table = layers_table(&results);
    println!("{table}");
    let md = root().join("target/load-layers.md");
    std::fs::write(&md, &table).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    println!("xtask: load layers: {}", md.display());
    Ok(())
}

fn layers_table(results: &[Vec<Rounds>]) -> String {
    let mut out = format!(
        "| framework | stack | stores | requests/s (median of {ROUNDS}, {SECONDS} s) | ratio to bare | ratio to perimeter | p50 / p99 / p99.9 / max ms | Redis per request ({}) |\n|---|---|---|---|---|---|---|---|\n",
        COMMANDS.map(str::to_uppercase).join(" / ")
    );
    for (framework, rounds) in FRAMEWORKS.iter().zip(results) {
        let median_of = |name: &str| {
            SCENARIOS
                .iter()
                .position(|(s, _)| *s == name)
                .and_then(|i| rounds.get(i))
                .map_or(0.0, Rounds::median_rps)
        };
        let (bare, perimeter) = (median_of("bare"), median_of("perimeter"));
        let ratio = |m: f64, to: f64| if to > 0.0 { m / to } else { 0.0 };
        for ((stack, on_redis), scenario) in SCENARIOS.iter().zip(rounds) {
            let m = scenario.median_rps();
            let run = scenario.median_run();
            out.push_str(&format!(
                "| {framework} | {stack} | {} | {m:.0} | {:.3} | {:.3} | {} / {} / {} / {} | {} |\n",
                if *on_redis { "redis" } else { "memory" },
                ratio(m, bare),
                ratio(m, perimeter),
                ms(run.p50),
                ms(run.p99),
                ms(run.p999),
                ms(run.max),
                if *on_redis { scenario.commands() } else { String::new() },
            ));
        }
    }
    out
}
