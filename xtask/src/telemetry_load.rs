//! `cargo xtask load-telemetry`: what metrics and tracing cost the full demo
//! stack under `wrk`, on both frameworks.
//!
//! Each round starts each demo server (release, pinned to the first core)
//! twice, interleaved: `off` (`SHIELDWALL_LOG=warn`: no shieldwall span is
//! wanted; no metrics recorder) and `on` (`SHIELDWALL_LOG=debug`: the request
//! span and every guard decision's span, formatted by the log subscriber;
//! `SHIELDWALL_METRICS_ADDR`: the Prometheus recorder counting every
//! family). Against each: `wrk -t1 -c32` pinned to the second core on
//! `GET /api/v1/users?limit=5` with an API key (public limit, key, scope,
//! query validation, a page of JSON) and on `GET /api/v1/protected/me` with
//! a bearer token (public limit, bearer, user limit). Memory stores, audit
//! off, limits too high to be reached. Loopback only; every run stops.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::load::{Server, median, wrk_on as wrk};
use crate::{Result, cargo, json, root, step};

const FRAMEWORKS: [(&str, &str); 2] =
    [("axum", "example-axum-api"), ("actix", "example-actix-api")];
/// `off`: no shieldwall span wanted, no recorder. `metrics`: the Prometheus
/// recorder alone. `on`: the recorder and the demo's default logging (the
/// request span, kept by the log subscriber for every line). `debug`: the
/// recorder, and every guard decision's span too.
const CONFIGS: [&str; 4] = ["off", "metrics", "on", "debug"];
const ROUNDS: usize = 5;
const SECONDS: u32 = 6;
const HIGH: &str = "1000000000/1h";

fn start(binary: &str, config: &str) -> Result<(Server, String)> {
    let path = root().join("target/release").join(binary);
    let mut command = Command::new("taskset");
    command
        .args(["-c", "0"])
        .arg(&path)
        .env("SHIELDWALL_ADDR", "127.0.0.1:0")
        .env("SHIELDWALL_AUDIT", "off")
        .env("SHIELDWALL_LIMIT_PUBLIC", HIGH)
        .env("SHIELDWALL_LIMIT_AUTH", HIGH)
        .env("SHIELDWALL_LIMIT_USER", HIGH)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let log = match config {
        "on" => "info",
        "debug" => "debug",
        _ => "warn",
    };
    command.env("SHIELDWALL_LOG", log);
    if config != "off" {
        command.env("SHIELDWALL_METRICS_ADDR", "127.0.0.1:0");
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(addr) = line.strip_prefix("listening on http://") {
            return Ok((server, addr.trim().to_owned()));
        }
    }
    Err(format!("{binary} ({config}) never printed its address"))
}

fn curl(args: &[&str]) -> Result<json::Value> {
    let output = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    json::parse(&String::from_utf8_lossy(&output.stdout))
}

/// A bearer token of alice, and a new API key of hers.
fn credentials(addr: &str) -> Result<(String, String)> {
    let login = curl(&[
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"email":"alice@example.com","password":"alice-password-1"}"#,
        &format!("http://{addr}/api/v1/auth/login"),
    ])?;
    let token = login
        .get("access_token")
        .and_then(json::Value::as_str)
        .ok_or("login gave no token")?
        .to_owned();
    let created = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("authorization: Bearer {token}"),
        &format!("http://{addr}/api/v1/protected/keys"),
    ])?;
    let key = created
        .get("key")
        .and_then(json::Value::as_str)
        .ok_or("no key created")?
        .to_owned();
    Ok((token, key))
}

pub(crate) fn run() -> Result {
    step(
        "build demo servers (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "example-axum-api",
            "-p",
            "example-actix-api",
        ]),
    )?;
    println!(
        "| framework | route | config | requests/s (median of {ROUNDS}, {SECONDS} s each) | ratio to off | runs |"
    );
    println!("|---|---|---|---|---|---|");
    for (framework, binary) in FRAMEWORKS {
        // runs[config][route]
        let mut runs = vec![[Vec::new(), Vec::new()]; CONFIGS.len()];
        for _ in 0..ROUNDS {
            for (c, config) in CONFIGS.iter().enumerate() {
                let (_server, addr) = start(binary, config)?;
                let (token, key) = credentials(&addr)?;
                let routes = [
                    (
                        format!("http://{addr}/api/v1/users?limit=5"),
                        format!("X-API-Key: {key}"),
                    ),
                    (
                        format!("http://{addr}/api/v1/protected/me"),
                        format!("Authorization: Bearer {token}"),
                    ),
                ];
                for (r, (url, header)) in routes.iter().enumerate() {
                    wrk(url, header, 2)?; // warm-up
                    std::thread::sleep(Duration::from_millis(200));
                    let rps = wrk(url, header, SECONDS)?;
                    if let Some(list) = runs.get_mut(c).and_then(|c| c.get_mut(r)) {
                        list.push(rps);
                    }
                }
            }
        }
        let routes = [
            "/api/v1/users?limit=5 (API key)",
            "/api/v1/protected/me (bearer)",
        ];
        for (r, route) in routes.iter().enumerate() {
            let of = |c: usize| {
                runs.get(c)
                    .and_then(|c| c.get(r))
                    .cloned()
                    .unwrap_or_default()
            };
            let off = median(&mut of(0));
            for (c, config) in CONFIGS.iter().enumerate() {
                let list = of(c);
                let m = median(&mut list.clone());
                let text: Vec<String> = list.iter().map(|r| format!("{r:.0}")).collect();
                println!(
                    "| {framework} | {route} | {config} | {m:.0} | {:.3} | {} |",
                    if off > 0.0 { m / off } else { 0.0 },
                    text.join(", ")
                );
            }
        }
    }
    Ok(())
}
