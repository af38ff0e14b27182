//! The declared `rust-version` against what needs more: the lock file's
//! packages (their own `rust-version`), the edition, and language features
//! found in our sources. What it cannot see: a standard library item newer
//! than the declared version (clippy's `incompatible_msrv`, in the lint step,
//! catches those) and whatever only a build with that toolchain would show.
//! That build is not run: CI's machine has the stable toolchain only and
//! fetches no other.

use std::fs;
use std::path::Path;
use std::time::Instant;

use crate::metadata::{self, RustVersion};
use crate::{Result, root};

/// Language features with the first version that has them, and a text
/// that only code using them contains.
const LANGUAGE_FEATURES: &[(&str, &str, &str)] = &[("let chains", "&& let ", "1.88")];

pub(crate) fn check() -> Result {
    let started = Instant::now();
    let metadata = metadata::load()?;
    let mut problems = Vec::new();

    let mut declared: Option<RustVersion> = None;
    for member in &metadata.members {
        match &member.rust_version {
            None => problems.push(format!(
                "{} declares no rust-version: add `rust-version.workspace = true` to its Cargo.toml",
                member.name
            )),
            Some(v) => {
                if declared.as_ref().is_none_or(|d| v < d) {
                    declared = Some(v.clone());
                }
            }
        }
    }
    let Some(declared) = declared else {
        return Err(format!("msrv: {}", problems.join("\n")));
    };

    // What the code needs: the edition, then language features.
    let mut needs = Vec::new();
    for member in &metadata.members {
        let (edition_needs, label) = match member.edition.as_str() {
            "2024" => ("1.85", "edition 2024"),
            "2021" => ("1.56", "edition 2021"),
            _ => ("1.31", "edition 2018"),
        };
        push_need(&mut needs, label, edition_needs, &member.name);
    }
    for (feature, marker, since) in LANGUAGE_FEATURES {
        if let Some(file) = first_file_containing(&root(), marker) {
            push_need(&mut needs, feature, since, &file);
        }
    }
    for (label, version, place) in &needs {
        if !declared.covers(version) {
            problems.push(format!(
                "{place} uses {label}, which needs Rust {version}: raise `rust-version` in the root Cargo.toml"
            ));
        }
    }

    // What the lock file's packages declare.
    let mut highest: Option<&metadata::Dependency> = None;
    for dependency in &metadata.dependencies {
        let Some(needed) = &dependency.rust_version else {
            continue;
        };
        if !declared.covers(needed) {
            problems.push(format!(
                "{} {} needs Rust {needed}: raise `rust-version` in the root Cargo.toml, or hold it back \
                 (`cargo update -p {} --precise <older version>`)",
                dependency.name, dependency.version, dependency.name
            ));
        }
        if highest.is_none_or(|h| h.rust_version.as_ref() < Some(needed)) {
            highest = Some(dependency);
        }
    }

    if !problems.is_empty() {
        return Err(format!(
            "msrv: the workspace declares rust-version {declared}, but:\n  {}",
            problems.join("\n  ")
        ));
    }
    let highest = highest.map_or_else(String::new, |h| {
        format!(
            "; highest: {} {} at {}",
            h.name,
            h.version,
            h.rust_version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        )
    });
    let code: Vec<String> = needs
        .iter()
        .map(|(label, version, _)| format!("{label} {version}"))
        .collect();
    println!(
        "xtask: msrv: rust-version {declared} covers the code ({}) and the {} packages of Cargo.lock{highest} \
         (not a build with {declared}: only the stable toolchain is here): {:.1?}",
        code.join(", "),
        metadata.dependencies.len(),
        started.elapsed()
    );
    Ok(())
}

/// Keeps the first place that needs each label.
fn push_need(
    needs: &mut Vec<(String, RustVersion, String)>,
    label: &str,
    version: &str,
    place: &str,
) {
    if needs.iter().any(|(l, _, _)| l == label) {
        return;
    }
    if let Some(version) = RustVersion::parse(version) {
        needs.push((label.to_owned(), version, place.to_owned()));
    }
}

/// The first `.rs` file of the workspace (`crates/`, `examples/`, `xtask/`)
/// whose text contains `marker`, relative to `root`.
fn first_file_containing(root: &Path, marker: &str) -> Option<String> {
    let mut stack: Vec<_> = ["crates", "examples", "xtask"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs")
                && path != root.join(file!()).as_path()
                && fs::read_to_string(&path).is_ok_and(|text| text.contains(marker))
            {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                return Some(relative.display().to_string());
            }
        }
    }
    None
}
