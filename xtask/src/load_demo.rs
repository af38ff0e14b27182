//! `cargo xtask load-demo`: the demo's full stack (DEMO_API.md) under
//! `wrk`, on both frameworks, on memory stores and on Redis, beside the bare
//! route of the same framework in the same round.
//!
//! Each round, per framework: the bench server's bare `GET /hello` (the
//! anchor), then each demo server (release, one configuration per store)
//! on `GET /health` (the perimeter and the route), `GET /api/v1/protected/me`
//! with a bearer token (public limit, bearer, user limit) and
//! `GET /api/v1/users?limit=5` with an API key (public limit, key, scope,
//! query validation, a page of JSON). Server pinned to the first core, `wrk
//! -t1 -c32` to the second; audit off; limits too high to be reached.
//! Reported: requests per second (median of the rounds), the ratio to the
//! anchor's median, p50 / p99 / p99.9 / max latency (the median round's),
//! and on Redis the top-level commands per request (`INFO commandstats`
//! before and after: `EVALSHA`, `EXISTS`, `HGETALL`). Writes the table to
//! `target/load-demo.md` and a bar chart to `target/load-demo.svg`.

use std::collections::HashMap;
use std::time::Duration;

use crate::load::{Server, WrkRun, median, wrk_run};
use crate::redis::TestServer;
use crate::{Result, cargo, demo_process, root, step};

const FRAMEWORKS: [(&str, &str); 2] =
    [("axum", "example-axum-api"), ("actix", "example-actix-api")];
const STORES: [&str; 2] = ["memory", "redis"];
const ROUTES: [(&str, &str); 3] = [
    ("/health", "none"),
    ("/api/v1/protected/me", "bearer"),
    ("/api/v1/users?limit=5", "key"),
];
const ROUNDS: usize = 3;
const SECONDS: u32 = 5;
/// The top-level commands counted per request.
const COMMANDS: [&str; 3] = ["evalsha", "exists", "hgetall"];

fn start_demo(binary: &str, redis: Option<&str>) -> Result<(Server, String)> {
    let mut env = vec![("SHIELDWALL_LOG", "warn")];
    env.extend(redis.map(|url| ("REDIS_URL", url)));
    demo_process::start(binary, &env)
}

/// One scenario's rounds.
#[derive(Default)]
struct Rounds {
    runs: Vec<WrkRun>,
    /// Per counted command, calls per request, one value per round.
    per_request: HashMap<&'static str, Vec<f64>>,
}

impl Rounds {
    fn median_rps(&self) -> f64 {
        median(&mut self.runs.iter().map(|r| r.rps).collect::<Vec<_>>())
    }

    /// The round whose throughput is the median: its latencies.
    fn median_run(&self) -> WrkRun {
        let m = self.median_rps();
        self.runs
            .iter()
            .copied()
            .find(|r| r.rps.total_cmp(&m).is_eq())
            .unwrap_or_default()
    }
}

fn measure(url: &str, header: &str) -> Result<WrkRun> {
    wrk_run(url, header, 1)?; // warm-up
    std::thread::sleep(Duration::from_millis(200));
    wrk_run(url, header, SECONDS)
}

pub(crate) fn run() -> Result {
    step(
        "build demo and bench servers (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "example-axum-api",
            "-p",
            "example-actix-api",
            "-p",
            "example-bench-server",
        ]),
    )?;
    let redis = TestServer::start()?;
    let redis_url = redis.url();
    // results[(framework, store, route)], anchors[framework]
    let mut results: HashMap<(&str, &str, &str), Rounds> = HashMap::new();
    let mut anchors: HashMap<&str, Rounds> = HashMap::new();
    for round in 0..ROUNDS {
        for (framework, binary) in FRAMEWORKS {
            println!(
                "xtask: load-demo: round {} of {ROUNDS}, {framework}",
                round + 1
            );
            {
                let (_server, addr) = crate::load::start(framework, "bare")?;
                let run = measure(&format!("http://{addr}/hello"), "X-Bench: 1")?;
                anchors.entry(framework).or_default().runs.push(run);
            }
            for store in STORES {
                let url = (store == "redis").then_some(redis_url.as_str());
                let (_server, addr) = start_demo(binary, url)?;
                let (token, key) = demo_process::credentials(&addr)?;
                for (route, auth) in ROUTES {
                    let header = match auth {
                        "bearer" => format!("Authorization: Bearer {token}"),
                        "key" => format!("X-API-Key: {key}"),
                        _ => "X-Bench: 1".to_owned(),
                    };
                    let target = format!("http://{addr}{route}");
                    wrk_run(&target, &header, 1)?; // warm-up (and the key cache)
                    std::thread::sleep(Duration::from_millis(200));
                    let before = if url.is_some() {
                        redis.command_calls()?
                    } else {
                        HashMap::new()
                    };
                    let run = wrk_run(&target, &header, SECONDS)?;
                    let entry = results.entry((framework, store, route)).or_default();
                    if url.is_some() {
                        let after = redis.command_calls()?;
                        for command in COMMANDS {
                            let delta = after.get(command).copied().unwrap_or(0)
                                - before.get(command).copied().unwrap_or(0);
                            #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
                            let per = delta as f64 / run.requests.max(1) as f64;
                            entry.per_request.entry(command).or_default().push(per);
                        }
                    }
                    entry.runs.push(run);
                }
            }
        }
    }
    let table = table(&results, &anchors);
    println!("{table}");
    let md = root().join("target/load-demo.md");
    std::fs::write(&md, &table).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    let svg = root().join("target/load-demo.svg");
    std::fs::write(&svg, chart(&results, &anchors))
        .map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
    println!("xtask: load-demo: {} and {}", md.display(), svg.display());
    Ok(())
}

fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn table(results: &HashMap<(&str, &str, &str), Rounds>, anchors: &HashMap<&str, Rounds>) -> String {
    let mut out = format!(
        "| framework | stores | route | requests/s (median of {ROUNDS}, {SECONDS} s) | ratio to bare `/hello` | p50 / p99 / p99.9 / max ms | Redis per request ({}) |\n|---|---|---|---|---|---|---|\n",
        COMMANDS.map(str::to_uppercase).join(" / ")
    );
    for (framework, _) in FRAMEWORKS {
        let anchor = anchors.get(framework).map_or(0.0, Rounds::median_rps);
        let a = anchors
            .get(framework)
            .map(Rounds::median_run)
            .unwrap_or_default();
        out.push_str(&format!(
            "| {framework} | | bare `GET /hello` (anchor) | {anchor:.0} | 1.00 | {} / {} / {} / {} | |\n",
            ms(a.p50),
            ms(a.p99),
            ms(a.p999),
            ms(a.max)
        ));
        for store in STORES {
            for (route, _) in ROUTES {
                let Some(rounds) = results.get(&(framework, store, route)) else {
                    continue;
                };
                let rps = rounds.median_rps();
                let run = rounds.median_run();
                let commands = if store == "redis" {
                    COMMANDS
                        .map(|c| {
                            let mut values = rounds.per_request.get(c).cloned().unwrap_or_default();
                            format!("{:.2}", median(&mut values))
                        })
                        .join(" / ")
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "| {framework} | {store} | `GET {route}` | {rps:.0} | {:.2} | {} / {} / {} / {} | {commands} |\n",
                    if anchor > 0.0 { rps / anchor } else { 0.0 },
                    ms(run.p50),
                    ms(run.p99),
                    ms(run.p999),
                    ms(run.max)
                ));
            }
        }
    }
    out
}

/// A horizontal bar chart of each scenario's ratio to its framework's bare
/// route, as plain SVG (xtask keeps no dependencies).
fn chart(results: &HashMap<(&str, &str, &str), Rounds>, anchors: &HashMap<&str, Rounds>) -> String {
    let mut bars: Vec<(String, f64)> = Vec::new();
    for (framework, _) in FRAMEWORKS {
        let anchor = anchors.get(framework).map_or(0.0, Rounds::median_rps);
        for store in STORES {
            for (route, _) in ROUTES {
                if let Some(rounds) = results.get(&(framework, store, route)) {
                    let ratio = if anchor > 0.0 {
                        rounds.median_rps() / anchor
                    } else {
                        0.0
                    };
                    bars.push((format!("{framework} {store} {route}"), ratio));
                }
            }
        }
    }
    let (label_w, bar_w, row_h) = (330.0, 400.0, 22.0);
    #[allow(clippy::cast_precision_loss, reason = "a dozen bars")]
    let height = row_h * (bars.len() as f64 + 2.0);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" font-family="sans-serif" font-size="12">
<text x="4" y="14">Throughput as a fraction of the bare route of the same framework (cargo xtask load-demo)</text>
"#,
        w = label_w + bar_w + 60.0
    );
    for (i, (label, ratio)) in bars.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "a dozen bars")]
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
    // The 1.0 line: the bare route.
    let x = label_w + bar_w / 1.2;
    svg.push_str(&format!(
        r##"<line x1="{x:.1}" y1="{row_h}" x2="{x:.1}" y2="{y2}" stroke="#c33" stroke-dasharray="4 3"/>
</svg>
"##,
        y2 = height - row_h + 6.0
    ));
    svg
}
