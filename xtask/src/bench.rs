//! `cargo xtask bench [--quick]`: every criterion benchmark of the
//! workspace, then one table of what this run measured: each benchmark's
//! median beside its group's anchor (the library or hand-written baseline
//! measured in the same run) and the ratio.
//!
//! A group's anchor is its benchmark whose name starts with one of
//! [`ANCHOR_PREFIXES`]: the crates name their baselines so. Where a group
//! has several, `bare` (the same handler with nothing around it) is the
//! one, else the first by name; the others are listed beside it. `--quick` runs
//! criterion's quick mode with short warm-up and measurement (what CI runs:
//! the benches build and run; its figures are not for publishing). The
//! table is printed and written to `target/bench-summary.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{Result, cargo, json, root, step};

/// How the benches name their baselines.
const ANCHOR_PREFIXES: [&str; 7] = [
    "anchor",
    "jsonwebtoken",
    "governor",
    "ammonia",
    "serde_json",
    "crc32fast",
    "bare",
];

/// One benchmark's median, as criterion left it.
#[derive(Debug)]
struct Measured {
    group: String,
    name: String,
    median_ns: f64,
}

pub(crate) fn run(args: &[String]) -> Result {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => return Err("usage: cargo xtask bench [--quick]".to_owned()),
    };
    let started = SystemTime::now();
    let mut criterion_args = vec!["--noplot".to_owned()];
    if quick {
        criterion_args.extend(
            [
                "--quick",
                "--warm-up-time",
                "0.1",
                "--measurement-time",
                "0.3",
            ]
            .map(String::from),
        );
    }
    step(
        if quick { "bench (quick)" } else { "bench" },
        cargo()
            // The bench server's `subscriber` bench prepares the demo, whose
            // logging follows this (at `info` it would keep every span).
            .env("SHIELDWALL_LOG", "warn")
            .args([
                "bench",
                "--workspace",
                "--all-features",
                "--bench",
                "*",
                "--",
            ])
            .args(&criterion_args),
    )?;
    let measured = read_results(&root().join("target/criterion"), started)?;
    if measured.is_empty() {
        return Err("no criterion results were written by this run".to_owned());
    }
    let table = table(&measured, quick);
    println!("{table}");
    let path = root().join("target/bench-summary.md");
    std::fs::write(&path, &table).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!(
        "xtask: bench: {} benchmarks; table in {}",
        measured.len(),
        path.display()
    );
    Ok(())
}

/// Every `new/benchmark.json` under `dir` written since `since`, with the
/// median of its `estimates.json`.
fn read_results(dir: &Path, since: SystemTime) -> Result<Vec<Measured>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "benchmark.json")
                && path
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "new")
                && modified_since(&path, since)
            {
                found.push(read_one(&path)?);
            }
        }
    }
    found.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    Ok(found)
}

fn modified_since(path: &Path, since: SystemTime) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|at| at >= since)
}

fn read_file(path: &Path) -> Result<json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_one(benchmark: &Path) -> Result<Measured> {
    let about = read_file(benchmark)?;
    let estimates_path: PathBuf = benchmark.with_file_name("estimates.json");
    let estimates = read_file(&estimates_path)?;
    let text = |key: &str| about.get(key).and_then(json::Value::as_str);
    let group = text("group_id").unwrap_or_default().to_owned();
    let mut name = text("function_id").unwrap_or_default().to_owned();
    if let Some(value) = text("value_str") {
        name = format!("{name}/{value}");
    }
    let median_ns = match estimates
        .get("median")
        .and_then(|m| m.get("point_estimate"))
    {
        Some(json::Value::Number(n)) => n.parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{}: no median", estimates_path.display()))?;
    Ok(Measured {
        group,
        name,
        median_ns,
    })
}

fn is_anchor(name: &str) -> bool {
    ANCHOR_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The markdown table: per group, each benchmark beside the group's anchor
/// (`ratio` < 1 is faster than the anchor).
fn table(measured: &[Measured], quick: bool) -> String {
    let mut groups: BTreeMap<&str, Vec<&Measured>> = BTreeMap::new();
    for m in measured {
        groups.entry(m.group.as_str()).or_default().push(m);
    }
    let mut out = String::new();
    if quick {
        out.push_str("(quick mode: short runs, not figures to publish)\n\n");
    }
    out.push_str("| group | benchmark | median | anchor | anchor median | ratio |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for (group, members) in groups {
        let chosen = members
            .iter()
            .find(|m| m.name.starts_with("bare"))
            .or_else(|| members.iter().find(|m| is_anchor(&m.name)));
        for m in &members {
            if chosen.is_some_and(|c| std::ptr::eq(*c, *m)) && members.len() > 1 {
                continue;
            }
            let (anchor, anchor_median, ratio) = match chosen {
                Some(a) => (
                    a.name.as_str(),
                    duration(a.median_ns),
                    format!("{:.2}x", m.median_ns / a.median_ns),
                ),
                None => ("", String::new(), String::new()),
            };
            out.push_str(&format!(
                "| {group} | {} | {} | {anchor} | {anchor_median} | {ratio} |\n",
                m.name,
                duration(m.median_ns)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(group: &str, name: &str, median_ns: f64) -> Measured {
        Measured {
            group: group.to_owned(),
            name: name.to_owned(),
            median_ns,
        }
    }

    #[test]
    fn each_benchmark_is_set_beside_its_group_s_anchor() {
        let table = table(
            &[
                m("hs256", "jsonwebtoken_decode", 2000.0),
                m("hs256", "shieldwall_verify", 1800.0),
                m("audit", "observe", 150.0),
            ],
            false,
        );
        assert!(
            table.contains(
                "| hs256 | shieldwall_verify | 1.80 µs | jsonwebtoken_decode | 2.00 µs | 0.90x |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| audit | observe | 150 ns |  |  |  |"),
            "{table}"
        );
        assert!(
            !table.contains("| hs256 | jsonwebtoken_decode |"),
            "{table}"
        );
    }

    #[test]
    fn bare_is_the_anchor_where_a_group_has_it() {
        let table = table(
            &[
                m("one_request", "anchor", 6000.0),
                m("one_request", "bare", 2000.0),
                m("one_request", "perimeter", 3000.0),
            ],
            false,
        );
        assert!(
            table.contains("| one_request | perimeter | 3.00 µs | bare | 2.00 µs | 1.50x |"),
            "{table}"
        );
        assert!(
            table.contains("| one_request | anchor | 6.00 µs | bare | 2.00 µs | 3.00x |"),
            "{table}"
        );
    }
}
