//! `cargo xtask load demo` (also `cargo xtask load-demo`): the demo's full
//! stack (DEMO_API.md) under `wrk`, on both frameworks, on memory stores and
//! on Redis, beside the same handlers with no shieldwall layer (the bench
//! server's `handlers` stack) in the same round.
//!
//! Each round, per framework: the anchor, then each demo server (release,
//! one configuration per store), on `GET /health` (the perimeter and the
//! route), `GET /api/v1/protected/me` with a bearer token (public limit,
//! bearer, user limit), `GET /api/v1/users?limit=5` with an API key (public
//! limit, key, scope, query validation, a page of JSON) and `POST
//! /api/v1/transfers` signed (public limit, key, body read, signature with
//! its nonce, body validation): wrk cannot sign, so the bench server signs
//! each run's transfers before it (`sign-transfers`, one nonce each) and a
//! script sends each once; the anchor gets the same bytes; on a fresh
//! server, after 2 000 of them, for 4 s (the nonces must fit the demo's
//! memory nonce store, which refuses when full). Server pinned to
//! the first core, `wrk -t1 -c32` to the second; audit off; limits too high
//! to be reached. Reported: requests per second (median of the rounds), the
//! ratio to the anchor's median on the same route, p50 / p99 / p99.9 / max
//! latency (the median round's), and on Redis the top-level commands per
//! request (`INFO commandstats` before and after). Writes the table to
//! `target/load-demo.md` and a bar chart to `target/load-demo.svg`.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use crate::load::{Rounds, WrkRun, ms, wrk_run, wrk_script};
use crate::redis::TestServer;
use crate::{Result, demo_process, root};

const FRAMEWORKS: [(&str, &str); 2] =
    [("axum", "example-axum-api"), ("actix", "example-actix-api")];
const STORES: [&str; 2] = ["memory", "redis"];
/// Each route: how the table names it, its path, and what it carries.
const ROUTES: [(&str, &str, Carries); 4] = [
    ("GET /health", "/health", Carries::Nothing),
    (
        "GET /api/v1/protected/me",
        "/api/v1/protected/me",
        Carries::Bearer,
    ),
    (
        "GET /api/v1/users?limit=5",
        "/api/v1/users?limit=5",
        Carries::Key,
    ),
    (
        "POST /api/v1/transfers (signed)",
        "/api/v1/transfers",
        Carries::Signed,
    ),
];
const ROUNDS: usize = 3;
const SECONDS: u32 = 5;
/// The signed transfer's runs are shorter: each request leaves a nonce in
/// the server's store for 300 s, and the demo's memory nonce store holds
/// 100 000 (full, it refuses, as it must): a fresh server, 2 000 signed
/// requests to warm it, then 4 s, stay below that up to about 24 000
/// requests per second.
const SIGNED_SECONDS: u32 = 4;
/// Signed transfers to warm a server with (the warm-up stops after them).
const SIGNED_WARM_UP: usize = 2_000;
/// Signed transfers per measured run: more than the fastest server answers
/// in it (each is sent once; a second send would be a replay, refused).
const SIGNED_RUN: usize = 500_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Carries {
    Nothing,
    Bearer,
    Key,
    Signed,
}

/// Sends each line of the signed file once (`Content-Digest`,
/// `Signature-Input`, `Signature`), with the API key and the body.
const SIGNED_SCRIPT: &str = r#"
local requests = {}
local next_one = 0
init = function(args)
  local body = '{"to":"bob","amount":1250,"currency":"EUR"}'
  for line in io.lines(args[1]) do
    local digest, input, signature = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)")
    requests[#requests + 1] = wrk.format("POST", "/api/v1/transfers", {
      ["Content-Type"] = "application/json",
      ["X-API-Key"] = args[2],
      ["Content-Digest"] = digest,
      ["Signature-Input"] = input,
      ["Signature"] = signature,
    }, body)
  end
end
request = function()
  next_one = next_one + 1
  return requests[next_one] or requests[#requests]
end
"#;

/// The warm-up's end: each thread stops once every line was sent, before
/// any would be sent again (a replay).
const SIGNED_WARM_UP_END: &str = r#"
response = function(status, headers, body)
  if next_one >= #requests then
    wrk.thread:stop()
  end
end
"#;

fn bench_server() -> std::path::PathBuf {
    root().join("target/release/bench-server")
}

/// The `SHIELDWALL_SIGNING_KEYS` the bench server signs with.
fn signing_keys() -> Result<String> {
    let output = Command::new(bench_server())
        .arg("signing-keys")
        .output()
        .map_err(|e| format!("cannot run bench-server: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One run on `route` of the server at `addr`.
fn measure(
    addr: &str,
    route: (&str, Carries),
    token: &str,
    key: &str,
    seconds: u32,
) -> Result<WrkRun> {
    let (path, carries) = route;
    let url = format!("http://{addr}{path}");
    match carries {
        Carries::Signed => {
            let warm_up = seconds <= 1;
            let count = if warm_up { SIGNED_WARM_UP } else { SIGNED_RUN };
            let file = root().join("target/xtask-signed.tsv");
            let file_arg = file.to_string_lossy().into_owned();
            let status = Command::new(bench_server())
                .args(["sign-transfers", addr, &count.to_string(), &file_arg])
                .status()
                .map_err(|e| format!("cannot run bench-server: {e}"))?;
            if !status.success() {
                return Err("bench-server sign-transfers failed".to_owned());
            }
            let script = if warm_up {
                format!("{SIGNED_SCRIPT}{SIGNED_WARM_UP_END}")
            } else {
                SIGNED_SCRIPT.to_owned()
            };
            wrk_script(&url, &[], seconds, &script, &[&file_arg, key])
        }
        Carries::Bearer => wrk_run(&url, &[&format!("Authorization: Bearer {token}")], seconds),
        Carries::Key => wrk_run(&url, &[&format!("X-API-Key: {key}")], seconds),
        Carries::Nothing => wrk_run(&url, &[], seconds),
    }
}

pub(crate) fn run() -> Result {
    crate::build_release(&[
        "example-axum-api",
        "example-actix-api",
        "example-bench-server",
    ])?;
    let redis = TestServer::start()?;
    let redis_url = redis.url();
    let signing = signing_keys()?;
    // results[(framework, store, route)]; the anchor's store is "anchor".
    let mut results: HashMap<(&str, &str, &str), Rounds> = HashMap::new();
    for round in 0..ROUNDS {
        for (framework, binary) in FRAMEWORKS {
            println!(
                "xtask: load demo: round {} of {ROUNDS}, {framework}",
                round + 1
            );
            for store in ["anchor", "memory", "redis"] {
                let url = (store == "redis").then_some(redis_url.as_str());
                let mut started = start_one(framework, binary, url, &signing, store)?;
                for (name, path, carries) in ROUTES {
                    let seconds = if carries == Carries::Signed {
                        // A fresh server: its nonce store empty (see
                        // `SIGNED_SECONDS`).
                        drop(started);
                        started = start_one(framework, binary, url, &signing, store)?;
                        SIGNED_SECONDS
                    } else {
                        SECONDS
                    };
                    let Started {
                        addr, token, key, ..
                    } = &started;
                    // Warm-up (and the key cache).
                    measure(addr, (path, carries), token, key, 1)?;
                    std::thread::sleep(Duration::from_millis(200));
                    let counted = url.is_some().then_some(&redis);
                    results
                        .entry((framework, store, name))
                        .or_default()
                        .record(counted, || {
                            measure(addr, (path, carries), token, key, seconds)
                        })?;
                }
                drop(started);
            }
        }
    }
    let table = table(&results);
    println!("{table}");
    let md = root().join("target/load-demo.md");
    std::fs::write(&md, &table).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    let svg = root().join("target/load-demo.svg");
    std::fs::write(&svg, chart(&results))
        .map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
    let _ = std::fs::remove_file(root().join("target/xtask-signed.tsv"));
    println!("xtask: load demo: {} and {}", md.display(), svg.display());
    Ok(())
}

/// A server up for one store, and alice's credentials on it.
struct Started {
    _server: crate::load::Server,
    addr: String,
    token: String,
    key: String,
}

/// Starts the anchor (the bench server's `handlers` stack) or a demo
/// server on memory stores or on Redis at `url`.
fn start_one(
    framework: &str,
    binary: &str,
    url: Option<&str>,
    signing: &str,
    store: &str,
) -> Result<Started> {
    if store == "anchor" {
        let started = crate::load::start(framework, "handlers", None)?;
        return Ok(Started {
            _server: started.server,
            addr: started.addr,
            token: String::new(),
            key: String::new(),
        });
    }
    let mut env = vec![("SHIELDWALL_SIGNING_KEYS", signing)];
    env.extend(url.map(|url| ("REDIS_URL", url)));
    let (server, addr) = demo_process::start(binary, &env)?;
    let (token, key) = demo_process::credentials(&addr)?;
    Ok(Started {
        _server: server,
        addr,
        token,
        key,
    })
}

/// Each scenario's ratio to the anchor on its route.
fn ratio(
    results: &HashMap<(&str, &str, &str), Rounds>,
    framework: &str,
    store: &str,
    route: &str,
) -> Option<f64> {
    let anchor = results.get(&(framework, "anchor", route))?.median_rps();
    let rps = results.get(&(framework, store, route))?.median_rps();
    (anchor > 0.0).then(|| rps / anchor)
}

fn table(results: &HashMap<(&str, &str, &str), Rounds>) -> String {
    let mut out = format!(
        "| framework | stores | route | requests/s (median of {ROUNDS}; {SECONDS} s, signed {SIGNED_SECONDS} s) | ratio to the same handlers without layers | p50 / p99 / p99.9 / max ms | Redis per request ({}) |\n|---|---|---|---|---|---|---|\n",
        crate::load::COMMANDS.map(str::to_uppercase).join(" / ")
    );
    for (framework, _) in FRAMEWORKS {
        for store in ["anchor", "memory", "redis"] {
            for (route, _, _) in ROUTES {
                let Some(rounds) = results.get(&(framework, store, route)) else {
                    continue;
                };
                let run = rounds.median_run();
                let shown = if store == "anchor" {
                    "none (anchor)"
                } else {
                    store
                };
                out.push_str(&format!(
                    "| {framework} | {shown} | `{route}` | {:.0} | {:.2} | {} / {} / {} / {} | {} |\n",
                    rounds.median_rps(),
                    ratio(results, framework, store, route).unwrap_or(0.0),
                    ms(run.p50),
                    ms(run.p99),
                    ms(run.p999),
                    ms(run.max),
                    if store == "redis" { rounds.commands() } else { String::new() },
                ));
            }
        }
    }
    out
}

/// A horizontal bar chart of each scenario's ratio to the same handlers
/// without layers, as plain SVG (xtask keeps no dependencies).
fn chart(results: &HashMap<(&str, &str, &str), Rounds>) -> String {
    let mut bars: Vec<(String, f64)> = Vec::new();
    for (framework, _) in FRAMEWORKS {
        for store in STORES {
            for (route, _, _) in ROUTES {
                if let Some(r) = ratio(results, framework, store, route) {
                    bars.push((format!("{framework} {store} {route}"), r));
                }
            }
        }
    }
    let (label_w, bar_w, row_h) = (380.0, 400.0, 22.0);
    #[allow(clippy::cast_precision_loss, reason = "a few dozen bars")]
    let height = row_h * (bars.len() as f64 + 2.0);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" font-family="sans-serif" font-size="12">
<text x="4" y="14">Throughput as a fraction of the same handlers without layers, same framework, same run (cargo xtask load demo)</text>
"#,
        w = label_w + bar_w + 60.0
    );
    for (i, (label, ratio)) in bars.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "a few dozen bars")]
        let y = row_h * (i as f64 + 1.0) + 6.0;
        let width = bar_w * ratio.clamp(0.0, 1.2) / 1.2;
        svg.push_str(&format!(
            r##"<text x="4" y="{ty}">{label}</text><rect x="{label_w}" y="{y}" width="{width:.1}" height="{h}" fill="#4a7bb7"/><text x="{tx:.1}" y="{ty}">{ratio:.2}</text>
"##,
            ty = y + 14.0,
            h = row_h - 6.0,
            tx = label_w + width + 4.0,
        ));
    }
    // The 1.0 line: the handlers without layers.
    let x = label_w + bar_w / 1.2;
    svg.push_str(&format!(
        r##"<line x1="{x:.1}" y1="{row_h}" x2="{x:.1}" y2="{y2}" stroke="#c33" stroke-dasharray="4 3"/>
</svg>
"##,
        y2 = height - row_h + 6.0
    ));
    svg
}
