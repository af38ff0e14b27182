//! `cargo xtask load`: wrk against the bench server, each stack beside the
//! bare route of the same framework in the same run.
//!
//! For each framework (axum, actix) and each of `ROUNDS` rounds, the stacks
//! run one after the other (interleaved, so that drift of the machine hits
//! them alike): `bench-server FRAMEWORK STACK` (one worker thread) pinned to
//! the first core with `taskset`, a short warm-up, then `wrk -t1 -c32` pinned
//! to the second core, with an allowed `Origin`. On this 2-core machine that
//! keeps the load generator off the server's core: the figures are the cost
//! of one core's worth of serving.
//! The table gives the median requests per second of each stack and its
//! ratio to the bare route. Loopback only; every run stops by itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{Result, cargo, root, step};

const FRAMEWORKS: [&str; 2] = ["axum", "actix"];
const STACKS: [&str; 6] = [
    "bare",
    "floor",
    "perimeter",
    "shieldwall",
    "anchor",
    "audit",
];
const ROUNDS: usize = 5;
const SECONDS: u32 = 6;

/// A server process, killed when dropped.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start(framework: &str, stack: &str) -> Result<(Server, String)> {
    let binary = root().join("target/release/bench-server");
    let mut child = Command::new("taskset")
        .args(["-c", "0"])
        .arg(&binary)
        .args([framework, stack])
        .env("BENCH_AUDIT_FILE", audit_file())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| format!("{framework} {stack}: unexpected first line {line:?}"))?
        .to_owned();
    Ok((server, addr))
}

/// Where the `audit` stack writes (emptied before each server starts).
fn audit_file() -> std::path::PathBuf {
    root().join("target/bench-audit.jsonl")
}

fn wrk(addr: &str, seconds: u32) -> Result<f64> {
    wrk_on(
        &format!("http://{addr}/hello"),
        "Origin: https://myapp.com",
        seconds,
    )
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
const LATENCY_SCRIPT: &str = r#"
done = function(summary, latency, requests)
  io.write(string.format("xtask-latency %d %d %d %d %d\n", summary.requests,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
"#;

fn latency_script() -> Result<std::path::PathBuf> {
    let path = root().join("target/xtask-latency.lua");
    std::fs::write(&path, LATENCY_SCRIPT)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// `wrk -t1 -c32` pinned to the second core against `url` with one extra
/// header, for `seconds`: its requests per second, or an error when any
/// answer was not 2xx.
pub(crate) fn wrk_on(url: &str, header: &str, seconds: u32) -> Result<f64> {
    wrk_run(url, header, seconds).map(|run| run.rps)
}

/// As [`wrk_on`], with the request count and the latency percentiles.
pub(crate) fn wrk_run(url: &str, header: &str, seconds: u32) -> Result<WrkRun> {
    let script = latency_script()?;
    let output = Command::new("taskset")
        .args([
            "-c",
            "1",
            "wrk",
            "-t1",
            "-c32",
            &format!("-d{seconds}s"),
            "-s",
            &script.to_string_lossy(),
            "-H",
            header,
            url,
        ])
        .output()
        .map_err(|e| {
            format!("cannot run taskset and wrk (apt-get install -y util-linux wrk): {e}")
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        return Err(format!("non-2xx answers under load on {url}:\n{text}"));
    }
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

pub(crate) fn run() -> Result {
    step(
        "build bench server (release)",
        cargo().args(["build", "--release", "-p", "example-bench-server"]),
    )?;
    println!(
        "| framework | stack | requests/s (median of {ROUNDS}, {SECONDS} s each) | runs | ratio to bare | ratio to perimeter |"
    );
    println!("|---|---|---|---|---|---|");
    for framework in FRAMEWORKS {
        let mut results: Vec<Vec<f64>> = vec![Vec::new(); STACKS.len()];
        for _ in 0..ROUNDS {
            for (i, stack) in STACKS.iter().enumerate() {
                let _ = std::fs::remove_file(audit_file());
                let (_server, addr) = start(framework, stack)?;
                wrk(&addr, 2)?; // warm-up
                std::thread::sleep(Duration::from_millis(200));
                let rps = wrk(&addr, SECONDS)?;
                if let Some(runs) = results.get_mut(i) {
                    runs.push(rps);
                }
            }
        }
        let median_of = |name: &str| {
            STACKS
                .iter()
                .position(|s| *s == name)
                .and_then(|i| results.get(i))
                .map_or(0.0, |runs| median(&mut runs.clone()))
        };
        let (bare, perimeter) = (median_of("bare"), median_of("perimeter"));
        let ratio = |m: f64, to: f64| if to > 0.0 { m / to } else { 0.0 };
        for (stack, runs) in STACKS.iter().zip(&results) {
            let m = median(&mut runs.clone());
            let list: Vec<String> = runs.iter().map(|r| format!("{r:.0}")).collect();
            println!(
                "| {framework} | {stack} | {m:.0} | {} | {:.3} | {:.3} |",
                list.join(", "),
                ratio(m, bare),
                ratio(m, perimeter)
            );
        }
        let _ = std::fs::remove_file(audit_file());
    }
    Ok(())
}
