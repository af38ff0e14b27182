//! The memory one million distinct keys hold in the memory store, beside
//! governor's keyed limiter: resident memory of a fresh process before and
//! after, one process per store (each measurement re-runs this binary).
//!
//! `cargo bench -p shieldwall-ratelimit --bench footprint`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::print_stdout,
    missing_docs,
    reason = "benchmark"
)]

use std::net::{IpAddr, Ipv4Addr};
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use shieldwall_ratelimit::{Algorithm, Policy, Quota, RateLimiter};

const KEYS: u32 = 1_000_000;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    pages * 4096
}

fn key(i: u32) -> [u8; 6] {
    let [a, b, c, d] = (0x0a00_0000 | i).to_be_bytes();
    [b'i', 32, a, b, c, d]
}

/// Fills one store in this process and prints the resident growth.
fn child(which: &str) {
    let quota = Quota::new(NonZeroU32::new(100).unwrap(), Duration::from_secs(60)).unwrap();
    let before = resident_bytes();
    let keep: Box<dyn std::any::Any> = match which {
        "governor" => {
            let limiter = governor::DefaultKeyedRateLimiter::<IpAddr>::keyed(
                governor::Quota::per_minute(NonZeroU32::new(100).unwrap()),
            );
            for i in 0..KEYS {
                let _ = limiter.check_key(&IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | i)));
            }
            Box::new(limiter)
        }
        _ => {
            let algorithm = if which == "gcra" {
                Algorithm::Gcra
            } else {
                Algorithm::SlidingWindow
            };
            let policy = Policy::builder("footprint", quota)
                .algorithm(algorithm)
                .build()
                .unwrap();
            let limiter = RateLimiter::builder(policy)
                .memory_keys(NonZeroUsize::new(2 * KEYS as usize).unwrap())
                .memory();
            let store = limiter.store();
            for i in 0..KEYS {
                store.check_now(&key(i), 1).unwrap();
            }
            assert_eq!(store.len(), KEYS as usize);
            Box::new(limiter)
        }
    };
    let grown = resident_bytes().saturating_sub(before);
    println!("{grown}");
    drop(keep);
}

fn main() {
    let mut args = std::env::args().skip_while(|a| a != "--child");
    if args.next().is_some() {
        child(&args.next().unwrap_or_default());
        return;
    }
    println!("| {KEYS} distinct keys | resident growth | bytes a key |");
    println!("|---|---|---|");
    for (which, label) in [
        (
            "governor",
            "anchor: governor keyed (`DashMap`, `IpAddr` keys)",
        ),
        ("gcra", "shieldwall MemoryStore, GCRA"),
        ("sliding", "shieldwall MemoryStore, sliding window"),
    ] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--child", which])
            .output()
            .unwrap();
        let grown: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("the child's figure");
        println!(
            "| {label} | {:.1} MiB | {} |",
            grown as f64 / 1_048_576.0,
            grown / u64::from(KEYS)
        );
    }
}
