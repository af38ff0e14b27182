//! The builds users make that `--all-features` hides: each JWT backend alone,
//! each published crate without its default features and with them, the
//! facade with each of its features alone.

use std::time::Instant;

use crate::metadata;
use crate::{Result, cargo, quiet};

/// Published crates that cannot build with no feature at all, and the
/// feature their `--no-default-features` build takes instead.
const NO_DEFAULT_NEEDS: &[(&str, &str)] = &[
    // A JWT backend is required (a `compile_error!` says so); the default is
    // rust-crypto, so the other one stands in.
    ("shieldwall-tokens", "aws-lc-rs"),
];

/// The crate whose features are each checked alone.
const FACADE: &str = "shieldwall";

/// `cargo test -p shieldwall-tokens` with each JWT backend alone: with both
/// on (as under `--all-features`) the provider picks aws-lc-rs, and the
/// default rust-crypto backend would go untested. The rust-crypto run adds
/// `jwks`, whose tests verify signatures with keys read from a JWK set and
/// would otherwise run on aws-lc-rs only; `redis` changes no signature.
pub(crate) fn backends() -> Result {
    let runs: [(&str, &[&str]); 2] = [
        (
            "rust-crypto alone (default features, with jwks)",
            &["--features", "jwks"],
        ),
        (
            "aws-lc-rs alone",
            &["--no-default-features", "--features", "aws-lc-rs"],
        ),
    ];
    for (label, args) in runs {
        let name = format!("test shieldwall-tokens, {label}");
        let (output, took) = quiet(
            &name,
            cargo()
                .args(["test", "--quiet", "-p", "shieldwall-tokens"])
                .args(args),
        )?;
        println!("xtask: {name}: {} ({took:.1?})", test_summary(&output));
    }
    Ok(())
}

/// `cargo check` of every published crate with `--no-default-features` and
/// with its default features (once when it has none), and of the facade with
/// each feature alone. Warnings fail the step: a warning that shows only in
/// one feature set is one that clippy, which runs with all of them, misses.
pub(crate) fn features() -> Result {
    let started = Instant::now();
    let metadata = metadata::load()?;
    let mut builds = 0;
    for member in metadata.members.iter().filter(|m| m.is_published_crate()) {
        let crate_started = Instant::now();
        let mut sets: Vec<Vec<&str>> = Vec::new();
        sets.push(
            match NO_DEFAULT_NEEDS
                .iter()
                .find(|(name, _)| *name == member.name)
            {
                Some((_, feature)) => vec!["--no-default-features", "--features", feature],
                None => vec!["--no-default-features"],
            },
        );
        if member.has_default_features {
            sets.push(Vec::new());
        }
        if member.name == FACADE {
            for feature in &member.features {
                sets.push(vec!["--no-default-features", "--features", feature]);
            }
        }
        let mut labels = Vec::new();
        for args in &sets {
            let label = if args.is_empty() {
                "default features".to_owned()
            } else {
                args.join(" ")
            };
            quiet(
                &format!("check -p {} ({label})", member.name),
                cargo()
                    .args(["check", "--quiet", "-p", &member.name])
                    .args(args),
            )?;
            labels.push(label);
            builds += 1;
        }
        let labels = if member.name == FACADE {
            format!(
                "no default features, then each of {} alone",
                member.features.join(", ")
            )
        } else if member.has_default_features {
            labels.join("; ")
        } else {
            format!("{} (its default features are none)", labels.join("; "))
        };
        println!(
            "xtask: features: {}: {labels} ({:.1?})",
            member.name,
            crate_started.elapsed()
        );
    }
    println!(
        "xtask: features: {builds} checks passed in {:.1?}",
        started.elapsed()
    );
    Ok(())
}

/// `N passed, N ignored` over every `test result:` line of `cargo test`.
fn test_summary(output: &str) -> String {
    let mut passed = 0_u64;
    let mut ignored = 0_u64;
    for line in output.lines().filter(|l| l.starts_with("test result:")) {
        for part in line.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(count)) = (words.next(), words.next()) else {
                continue;
            };
            let count: u64 = count.parse().unwrap_or(0);
            match what {
                "passed" => passed += count,
                "ignored" => ignored += count,
                _ => {}
            }
        }
    }
    format!("{passed} passed, {ignored} ignored")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_results_are_added_up() {
        let output = "running 3 tests\n...\ntest result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
                      test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
        assert_eq!(test_summary(output), "5 passed, 1 ignored");
    }
}
