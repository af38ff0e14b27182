//! Decisions per second on Redis beside a bare `EVALSHA` loop on one
//! multiplexed connection and `redis-benchmark -t incr`, all in one run on a
//! redis-server of the benchmark's own; the script's server time from
//! `INFO commandstats`; the call count of a flood from one limited client;
//! the Redis memory held by one million keys.
//!
//! `cargo bench -p shieldwall-ratelimit --features redis --bench redis`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::print_stdout,
    missing_docs,
    reason = "benchmark"
)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shieldwall_ratelimit::{Algorithm, KeyBytes, Policy, RateLimiter, RateStore};
use shieldwall_redis::redis;
use shieldwall_redis::testing::OwnServer;
use shieldwall_redis::{Redis, RedisConfig};

const TASKS: usize = 64;
const ROUND: Duration = Duration::from_millis(1500);
/// Rounds of each, interleaved (the order alternating), so that the drift of
/// a shared machine falls on both alike; the ratio is the median of pairs.
const ROUNDS: usize = 8;

fn key(tag: &str) -> KeyBytes {
    KeyBytes::new(tag.as_bytes())
}

struct Round {
    per_second: f64,
    p50_us: u64,
    p99_us: u64,
    decisions: u64,
}

/// `TASKS` tasks call `step(task)` in a loop for `ROUND`.
async fn round<F, Fut>(step: F) -> Round
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let step = Arc::new(step);
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let step = Arc::clone(&step);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(100_000);
                while start.elapsed() < ROUND {
                    let before = Instant::now();
                    step(task).await;
                    latencies.push(u64::try_from(before.elapsed().as_micros()).unwrap_or(u64::MAX));
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Round {
        per_second: all.len() as f64 / elapsed,
        p50_us: at(0.50),
        p99_us: at(0.99),
        decisions: all.len() as u64,
    }
}

fn median(mut rounds: Vec<Round>) -> Round {
    rounds.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
    rounds.swap_remove(rounds.len() / 2)
}

/// `(calls, usec_per_call)` of one command in `INFO commandstats`.
async fn command_stats(redis: &Redis, command: &str) -> (u64, f64) {
    let stats = shieldwall_redis::testing::command_stats(redis)
        .await
        .unwrap();
    stats
        .get(command)
        .map_or((0, 0.0), |s| (s.calls, s.usec_per_call))
}

async fn reset_stats(redis: &Redis) {
    let _: () = redis
        .run(redis::cmd("CONFIG").arg("RESETSTAT"))
        .await
        .unwrap();
}

fn redis_benchmark(port: &str) -> f64 {
    let out = std::process::Command::new("redis-benchmark")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-t",
            "incr",
            "-c",
            "64",
            "-n",
            "300000",
            "-q",
        ])
        .output()
        .expect("redis-benchmark on the PATH");
    let text = String::from_utf8_lossy(&out.stdout);
    // "INCR: 48123.45 requests per second, p50=..." (after carriage-return progress lines)
    text.split(['\r', '\n'])
        .filter_map(|l| l.strip_prefix("INCR: "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .next_back()
        .expect("a requests-per-second figure")
}

fn used_memory(info: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = OwnServer::start();
    let url = server.url();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let redis = Redis::connect(&RedisConfig::new(&url).unwrap())
        .await
        .unwrap();
    // Far more than the run can spend: every decision is an allowed one
    // that writes, the common and dearer case.
    let policy = Policy::builder("bench", "1000000/1s".parse().unwrap())
        .build()
        .unwrap();
    let store = Arc::new(RateLimiter::redis(policy, redis.clone()).store().clone());
    let keys: Arc<Vec<KeyBytes>> =
        Arc::new((0..TASKS).map(|i| key(&format!("client-{i}"))).collect());
    store.check(&keys[0], 1).await.unwrap(); // loads the script

    let client = redis::Client::open(url.as_str()).unwrap();
    let bare = client.get_multiplexed_async_connection().await.unwrap();
    let sha = store.script_sha().to_owned();
    // Keys of the same shape and length as the store's (another policy name
    // of the same length, so the two never share state).
    let bare_keys: Arc<Vec<String>> = Arc::new(
        keys.iter()
            .map(|key| redis.tagged_key(&format!("rl-other-{}", key.to_hex()), "g"))
            .collect(),
    );

    let (mut ours, mut anchor, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut evalsha_calls, mut decisions, mut usec) = (0, 0, Vec::new());
    for pair in 0..ROUNDS {
        let mut ours_round = None;
        let mut anchor_round = None;
        for turn in 0..2 {
            if (turn + pair) % 2 == 0 {
                reset_stats(&redis).await;
                let (store, keys) = (Arc::clone(&store), Arc::clone(&keys));
                let r = round(move |task| {
                    let (store, keys) = (Arc::clone(&store), Arc::clone(&keys));
                    async move {
                        assert!(store.check(&keys[task], 1).await.unwrap().allowed);
                    }
                })
                .await;
                let (calls, per_call) = command_stats(&redis, "evalsha").await;
                evalsha_calls += calls;
                decisions += r.decisions;
                usec.push(per_call);
                ours_round = Some(r);
            } else {
                let (bare, sha, bare_keys) = (bare.clone(), sha.clone(), Arc::clone(&bare_keys));
                anchor_round = Some(
                    round(move |task| {
                        let (mut connection, sha, bare_keys) =
                            (bare.clone(), sha.clone(), Arc::clone(&bare_keys));
                        async move {
                            let answer: i64 = redis::cmd("EVALSHA")
                                .arg(&sha)
                                .arg(1)
                                .arg(&bare_keys[task])
                                .arg(&[1_u64, 1_000_000, 1])
                                .query_async(&mut connection)
                                .await
                                .unwrap();
                            assert!(answer > 0, "allowed");
                        }
                    })
                    .await,
                );
            }
        }
        let (o, a) = (ours_round.unwrap(), anchor_round.unwrap());
        ratios.push(o.per_second / a.per_second);
        ours.push(o);
        anchor.push(a);
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let incr = redis_benchmark(&port);
    usec.sort_by(f64::total_cmp);
    let (ours, anchor) = (median(ours), median(anchor));

    // A flood from one client over its limit.
    let strict = Policy::builder("flood", "50/1h".parse().unwrap())
        .algorithm(Algorithm::Gcra)
        .build()
        .unwrap();
    let limiter = RateLimiter::redis(strict, redis.clone());
    let flooder = key("flooder");
    limiter.check(&key("warm")).await.unwrap();
    reset_stats(&redis).await;
    let mut allowed = 0;
    for _ in 0..100_000 {
        allowed += usize::from(limiter.check(&flooder).await.is_ok());
    }
    let (flood_calls, _) = command_stats(&redis, "evalsha").await;

    // One million keys.
    let _: () = redis.run(&redis::cmd("FLUSHALL")).await.unwrap();
    let before: String = redis.run(redis::cmd("INFO").arg("memory")).await.unwrap();
    // A quota whose keys outlive the fill (each key expires when its bucket is full again).
    let lasting = Policy::builder("fill", "10/1h".parse().unwrap())
        .build()
        .unwrap();
    let filler = Arc::new(RateLimiter::redis(lasting, redis.clone()).store().clone());
    let mut fill = Vec::new();
    for task in 0..TASKS {
        let filler = Arc::clone(&filler);
        fill.push(tokio::spawn(async move {
            let mut i = task;
            while i < 1_000_000 {
                filler.check(&key(&format!("{i:x}")), 1).await.unwrap();
                i += TASKS;
            }
        }));
    }
    for task in fill {
        task.await.unwrap();
    }
    let after: String = redis.run(redis::cmd("INFO").arg("memory")).await.unwrap();
    let dbsize: u64 = redis.run(&redis::cmd("DBSIZE")).await.unwrap();
    let held = used_memory(&after).saturating_sub(used_memory(&before));

    println!("| what | figure |");
    println!("|---|---|");
    println!(
        "| shieldwall RedisStore::check, {TASKS} tasks | {:.0}/s, p50 {} µs, p99 {} µs |",
        ours.per_second, ours.p50_us, ours.p99_us
    );
    println!(
        "| anchor: bare EVALSHA loop, one multiplexed connection, {TASKS} tasks | {:.0}/s, p50 {} µs, p99 {} µs |",
        anchor.per_second, anchor.p50_us, anchor.p99_us
    );
    println!("| anchor: redis-benchmark -t incr -c 64 (no pipelining) | {incr:.0}/s |");
    println!(
        "| ratio to the bare loop (median of {ROUNDS} pairs) / to redis-benchmark | {ratio:.2} / {:.2} |",
        ours.per_second / incr
    );
    println!("| EVALSHA calls per decision (INFO commandstats) | {evalsha_calls} / {decisions} |");
    println!(
        "| script server time, usec_per_call (median of {ROUNDS} rounds) | {:.2} µs |",
        usec[usec.len() / 2]
    );
    println!(
        "| flood: 100 000 checks from one client, quota 50/1h | {allowed} allowed, {flood_calls} EVALSHA |"
    );
    println!(
        "| Redis memory for {dbsize} keys (used_memory delta) | {:.1} MiB, {} bytes a key |",
        held as f64 / 1_048_576.0,
        held / dbsize.max(1)
    );
}
