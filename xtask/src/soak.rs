//! `cargo xtask soak [--minutes N]`: both demo servers (release, memory
//! stores, the DEMO_API.md default limits) under a mixed load for N minutes
//! (10 by default), at the same time: valid and invalid API keys and
//! tokens, signed transfers and their replays, a bad query, `/health`, each
//! from one of 16 million client addresses (`X-Forwarded-For` from a
//! trusted loopback proxy), so that the public limit's memory store fills
//! up to its key cap (1 000 000) and stays there. Every minute: throughput,
//! latency percentiles, the answers by status class, and each server's
//! resident memory. Fails on any 5xx, a socket error or a server that exits.

use std::time::{Duration, Instant};

use crate::load::{ms, parse_run, wrk_output};
use crate::{Result, demo_process, root};

const SERVERS: [(&str, &str); 2] = [("axum", "example-axum-api"), ("actix", "example-actix-api")];
const SLICE: Duration = Duration::from_secs(60);
/// Transfers signed before each minute: fewer than the demo's memory nonce
/// store takes (100 000 nonces, each held 330 s: about 18 000 a minute), so
/// that a full store's 503s (by design) do not hide the rest; the mix's
/// other signed requests are replays.
const SIGNED_PER_SLICE: usize = 15_000;

/// The mix. `init` reads the pre-signed transfers (`args[1]`), the API key
/// (`args[2]`) and the token (`args[3]`); `response` counts answers by status
/// class in each thread; `done` prints them with the latencies.
const SCRIPT: &str = r#"
local signed = {}
local next_signed = 0
local key, token
-- A global: `done` reads each thread's copy with thread:get.
counts = {}
local threads = {}
local chars = "abcdefghijklmnopqrstuvwxyz0123456789"

setup = function(thread)
  threads[#threads + 1] = thread
end

local function junk(n)
  local out = {}
  for i = 1, n do
    local c = math.random(#chars)
    out[i] = chars:sub(c, c)
  end
  return table.concat(out)
end

init = function(args)
  for line in io.lines(args[1]) do
    local digest, input, signature = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)")
    signed[#signed + 1] = { digest, input, signature }
  end
  key = args[2]
  token = args[3]
  math.randomseed(os.time())
end

request = function()
  local ip = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(0, 255)
  local r = math.random(100)
  if r <= 30 then
    return wrk.format("GET", "/api/v1/users?limit=5", { ["X-API-Key"] = key, ["X-Forwarded-For"] = ip })
  elseif r <= 45 then
    return wrk.format("GET", "/api/v1/users", { ["X-API-Key"] = "sk_live_" .. junk(40), ["X-Forwarded-For"] = ip })
  elseif r <= 60 then
    return wrk.format("GET", "/api/v1/protected/me", { ["Authorization"] = "Bearer " .. token, ["X-Forwarded-For"] = ip })
  elseif r <= 70 then
    return wrk.format("GET", "/api/v1/protected/me", { ["Authorization"] = "Bearer ey" .. junk(60), ["X-Forwarded-For"] = ip })
  elseif r <= 85 then
    next_signed = next_signed + 1
    local s = signed[next_signed] or signed[#signed]
    return wrk.format("POST", "/api/v1/transfers", {
      ["Content-Type"] = "application/json",
      ["X-API-Key"] = key,
      ["X-Forwarded-For"] = ip,
      ["Content-Digest"] = s[1],
      ["Signature-Input"] = s[2],
      ["Signature"] = s[3],
    }, '{"to":"bob","amount":1250,"currency":"EUR"}')
  elseif r <= 92 then
    return wrk.format("GET", "/api/v1/users?limit=" .. junk(5), { ["X-API-Key"] = key, ["X-Forwarded-For"] = ip })
  else
    return wrk.format("GET", "/health", { ["X-Forwarded-For"] = ip })
  end
end

response = function(status, headers, body)
  local class = math.floor(status / 100)
  counts[class] = (counts[class] or 0) + 1
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts") or {}
    for class, n in pairs(c) do
      total[class] = (total[class] or 0) + n
    end
  end
  io.write(string.format("xtask-latency %d %d %d %d %d\n", summary.requests,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
  io.write(string.format("xtask-status %d %d %d %d\n", total[2] or 0, total[3] or 0,
    total[4] or 0, total[5] or 0))
end
"#;

/// One minute of one server.
#[derive(Clone, Copy, Debug, Default)]
struct Slice {
    rps: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
    /// Answers by class: 2xx, 3xx, 4xx, 5xx.
    classes: [u64; 4],
    rss_mb: f64,
}

pub(crate) fn run(args: &[String]) -> Result {
    let minutes: u64 = match args {
        [] => 10,
        [flag, n] if flag == "--minutes" => n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or("soak: --minutes takes a whole number above 0")?,
        _ => return Err("usage: cargo xtask soak [--minutes N]".to_owned()),
    };
    crate::build_release(&[
        "example-axum-api",
        "example-actix-api",
        "example-bench-server",
    ])?;
    let bench = root().join("target/release/bench-server");
    let signing = std::process::Command::new(&bench)
        .arg("signing-keys")
        .output()
        .map_err(|e| format!("cannot run bench-server: {e}"))?;
    let signing = String::from_utf8_lossy(&signing.stdout).trim().to_owned();
    let env = [
        ("SHIELDWALL_SIGNING_KEYS", signing.as_str()),
        ("SHIELDWALL_TRUSTED_PROXIES", "127.0.0.1/32"),
        // DEMO_API.md's defaults (the load commands raise them).
        ("SHIELDWALL_LIMIT_PUBLIC", "100/15m"),
        ("SHIELDWALL_LIMIT_AUTH", "5/15m"),
        ("SHIELDWALL_LIMIT_USER", "60/1m"),
    ];
    let mut running = Vec::new();
    for (name, binary) in SERVERS {
        let (server, addr) = demo_process::start(binary, &env)?;
        let (token, key) = demo_process::credentials(&addr)?;
        running.push((name, server, addr, token, key));
    }
    let started = Instant::now();
    let mut slices: Vec<Vec<Slice>> = vec![Vec::new(); SERVERS.len()];
    for minute in 0..minutes {
        println!("xtask: soak: minute {} of {minutes}", minute + 1);
        let measured: Vec<Result<Slice>> = std::thread::scope(|scope| {
            let threads: Vec<_> = running
                .iter_mut()
                .map(|(name, server, addr, token, key)| {
                    let bench = &bench;
                    scope.spawn(move || {
                        let slice = one_minute(bench, name, addr, token, key)?;
                        if let Ok(Some(status)) = server.0.try_wait() {
                            return Err(format!("{name} exited ({status})"));
                        }
                        Ok(Slice {
                            rss_mb: resident_mb(server.0.id())?,
                            ..slice
                        })
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().map_err(|_| "a soak thread panicked".to_owned())?)
                .collect()
        });
        for (index, slice) in measured.into_iter().enumerate() {
            let slice = slice?;
            if let Some(list) = slices.get_mut(index) {
                list.push(slice);
            }
        }
    }
    let table = table(&slices, started.elapsed());
    println!("{table}");
    let path = root().join("target/soak.md");
    std::fs::write(&path, &table).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("xtask: soak: {}", path.display());
    for (index, (name, ..)) in running.iter().enumerate() {
        let errors: u64 = slices
            .get(index)
            .map_or(0, |s| s.iter().map(|slice| slice.classes[3]).sum());
        if errors > 0 {
            return Err(format!("soak: {name} answered {errors} 5xx"));
        }
    }
    Ok(())
}

fn one_minute(
    bench: &std::path::Path,
    name: &str,
    addr: &str,
    token: &str,
    key: &str,
) -> Result<Slice> {
    let file = root().join(format!("target/xtask-soak-{name}.tsv"));
    let file_arg = file.to_string_lossy().into_owned();
    let status = std::process::Command::new(bench)
        .args([
            "sign-transfers",
            addr,
            &SIGNED_PER_SLICE.to_string(),
            &file_arg,
        ])
        .status()
        .map_err(|e| format!("cannot run bench-server: {e}"))?;
    if !status.success() {
        return Err("bench-server sign-transfers failed".to_owned());
    }
    let seconds = u32::try_from(SLICE.as_secs()).unwrap_or(60);
    let text = wrk_output(
        &format!("http://{addr}/"),
        &[],
        seconds,
        SCRIPT,
        &[&file_arg, key, token],
    )?;
    let _ = std::fs::remove_file(&file);
    if text.contains("Socket errors") {
        return Err(format!("{name}: socket errors under the soak:\n{text}"));
    }
    let run = parse_run(&text)?;
    let classes: Vec<u64> = text
        .lines()
        .find_map(|l| l.strip_prefix("xtask-status "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [ok, redirect, client, server] = classes.as_slice() else {
        return Err(format!("{name}: no status line in wrk's output:\n{text}"));
    };
    Ok(Slice {
        rps: run.rps,
        p50: run.p50,
        p99: run.p99,
        p999: run.p999,
        max: run.max,
        classes: [*ok, *redirect, *client, *server],
        rss_mb: 0.0,
    })
}

/// `VmRSS` of a process, in MiB.
fn resident_mb(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmRSS")?;
    Ok(kib / 1024.0)
}

fn table(slices: &[Vec<Slice>], took: Duration) -> String {
    let mut out = String::from(
        "| server | minute | requests/s | p50 ms | p99 ms | p99.9 ms | max ms | 2xx | 4xx | 5xx | resident MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (index, (name, _)) in SERVERS.iter().enumerate() {
        for (minute, s) in slices.get(index).into_iter().flatten().enumerate() {
            out.push_str(&format!(
                "| {name} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {:.1} |\n",
                minute + 1,
                s.rps,
                ms(s.p50),
                ms(s.p99),
                ms(s.p999),
                ms(s.max),
                s.classes[0],
                s.classes[2],
                s.classes[3],
                s.rss_mb
            ));
        }
    }
    out.push_str(&format!(
        "\nBoth servers at once for {:.1} minutes, memory stores, DEMO_API.md's default limits, \
         audit off; one `wrk -t1 -c32` each on core 1, the servers on core 0. The mix: 30% \
         `/users` with a valid key, 15% an invalid key, 15% `/me` with a valid token (mostly \
         429 past its 60/1m), 10% an invalid token, 15% signed transfers (15 000 fresh each \
         minute, then replays), 7% a bad query, 8% `/health`, each from a random address of 10.0.0.0/8.\n",
        took.as_secs_f64() / 60.0
    ));
    out
}
