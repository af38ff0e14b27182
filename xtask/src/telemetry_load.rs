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

use std::time::Duration;

use crate::load::{Server, median, wrk_on as wrk};
use crate::{Result, demo_process};

const FRAMEWORKS: [(&str, &str); 2] =
    [("axum", "example-axum-api"), ("actix", "example-actix-api")];
/// `off`: no shieldwall span wanted, no recorder. `metrics`: the Prometheus
/// recorder alone. `on`: the recorder and the demo's default logging (the
/// request span, kept by the log subscriber for every line). `debug`: the
/// recorder, and every guard decision's span too.
const CONFIGS: [&str; 4] = ["off", "metrics", "on", "debug"];
const ROUNDS: usize = 5;
const SECONDS: u32 = 6;

fn start(binary: &str, config: &str) -> Result<(Server, String)> {
    let log = match config {
        "on" => "info",
        "debug" => "debug",
        _ => "warn",
    };
    let mut env = vec![("SHIELDWALL_LOG", log)];
    if config != "off" {
        env.push(("SHIELDWALL_METRICS_ADDR", "127.0.0.1:0"));
    }
    demo_process::start(binary, &env)
}

pub(crate) fn run() -> Result {
    crate::build_release(&["example-axum-api", "example-actix-api"])?;
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
                let (token, key) = demo_process::credentials(&addr)?;
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
