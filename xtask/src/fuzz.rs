//! `cargo xtask fuzz --minutes N`: the property tests of the parsers of
//! attacker bytes, run again and again with many cases (each run draws new
//! ones) until N minutes have passed, on the installed stable toolchain.
//! Prints the executions per target; a failure stops it and prints
//! proptest's minimal failing input (keep it as a regression test).

use std::time::{Duration, Instant};

use crate::{Result, cargo, step};

/// `(package, test target, property tests in it)`.
const TARGETS: [(&str, &str, u64); 7] = [
    ("shieldwall-core", "json_screen_props", 3),
    ("shieldwall-core", "client_ip_props", 2),
    ("shieldwall-keys", "format_props", 2),
    ("shieldwall-sanitize", "html_props", 2),
    ("shieldwall-tokens", "token_props", 2),
    ("shieldwall-cors", "origin_props", 2),
    ("shieldwall-signing", "signature_props", 2),
];

/// Cases per property test per run.
const CASES: u64 = 20_000;

pub(crate) fn run(args: &[String]) -> Result {
    let minutes: u64 = match args {
        [flag, n] if flag == "--minutes" => n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or("--minutes takes a whole number above 0")?,
        _ => return Err("usage: cargo xtask fuzz --minutes N".to_owned()),
    };
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let mut executions = vec![0_u64; TARGETS.len()];
    let mut rounds = 0_u64;
    while Instant::now() < deadline {
        for (i, (package, target, properties)) in TARGETS.iter().enumerate() {
            step(
                &format!("fuzz {package} {target}"),
                cargo()
                    .args([
                        "test",
                        "--release",
                        "--all-features",
                        "-p",
                        package,
                        "--test",
                        target,
                    ])
                    .env("PROPTEST_CASES", CASES.to_string()),
            )?;
            if let Some(count) = executions.get_mut(i) {
                *count += CASES * properties;
            }
        }
        rounds += 1;
    }
    println!("| target | executions | findings |\n|---|---|---|");
    for ((package, target, _), count) in TARGETS.iter().zip(executions) {
        println!("| {package} {target} | {count} | 0 |");
    }
    println!("xtask: fuzz: {rounds} rounds in {minutes} min, no failure");
    Ok(())
}
