//! End to end, `SHIELDWALL_METRICS_ADDR` on both servers as processes: the
//! families of DEMO_API.md on a listener of their own, counted the same on
//! both frameworks, and a number of series that does not grow when 10 000
//! distinct client addresses, keys, tokens and paths arrive.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::collections::BTreeSet;
use std::net::SocketAddr;

use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{Observed, TestRequest, client};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const WARM_UP: u32 = 400;
const SPRAY: u32 = 10_000;

fn start(name: &str) -> (ServerProcess, SocketAddr) {
    start_with(
        name,
        &[
            // The test talks from loopback: its X-Forwarded-For is believed,
            // so every request below comes from a client address of its own.
            ("SHIELDWALL_TRUSTED_PROXIES", "127.0.0.1/32"),
            ("SHIELDWALL_LIMIT_PUBLIC", "2/15m"),
        ],
    )
}

fn start_with(name: &str, env: &[(&str, &str)]) -> (ServerProcess, SocketAddr) {
    let mut all = vec![
        ("SHIELDWALL_METRICS_ADDR", "127.0.0.1:0"),
        ("SHIELDWALL_AUDIT", "off"),
    ];
    all.extend_from_slice(env);
    let server = ServerProcess::start(&binary(name), &all).unwrap();
    let metrics = server
        .output()
        .iter()
        .find_map(|line| line.strip_prefix("metrics on http://")?.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "{name} did not print its metrics address: {:?}",
                server.output()
            )
        });
    (server, metrics)
}

/// The `i`th request of the spray: a client address, a key, a token and a
/// path that no other request has.
fn hostile(i: u32) -> TestRequest {
    let ip = format!("198.18.{}.{}", i / 250, i % 250);
    let request = match i % 4 {
        0 => TestRequest::get("/api/v1/users").header(
            "x-api-key",
            format!("sk_spray{i:08}abcdefghijklmnopqrstuvwxyz"),
        ),
        1 => TestRequest::get("/api/v1/protected/me")
            .header("authorization", format!("Bearer garbage.token{i}.value")),
        2 => TestRequest::get(&format!("/api/v1/nope-{i}")),
        _ => TestRequest::get(&format!("/health?probe={i}")),
    };
    request.header("x-forwarded-for", ip)
}

fn scrape(metrics: SocketAddr) -> (Observed, String) {
    let answer = client::send(metrics, &TestRequest::get("/metrics")).unwrap();
    let text = answer.text();
    (answer, text)
}

/// The series of a scrape: every sample line without its value.
fn series(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect()
}

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

#[test]
fn the_families_are_served_apart_and_their_series_stay_bounded() {
    let mut all_series = Vec::new();
    for name in SERVERS {
        let (server, metrics) = start(name);
        // Never on the API's address.
        let on_api = server.send(&TestRequest::get("/metrics")).unwrap();
        assert_eq!(on_api.status, 404, "{name}: /metrics on the API address");

        // One of each answer first, then a client over its limit.
        let login = server
            .bearer("alice@example.com", "alice-password-1")
            .unwrap();
        let me = server
            .send(&TestRequest::get("/api/v1/protected/me").header("authorization", &login))
            .unwrap();
        assert_eq!(me.status, 200, "{name}: {}", me.text());
        for _ in 0..3 {
            server
                .send(&TestRequest::get("/api/v1/nope").header("x-forwarded-for", "192.0.2.1"))
                .unwrap();
        }
        for i in 0..WARM_UP {
            server.send(&hostile(i)).unwrap();
        }
        let (answer, before) = scrape(metrics);
        assert_eq!(answer.status, 200, "{name}");
        assert_eq!(
            answer.header("content-type").as_deref(),
            Some("text/plain; version=0.0.4"),
            "{name}"
        );

        for i in WARM_UP..WARM_UP + SPRAY {
            let answer = server.send(&hostile(i)).unwrap();
            assert!(
                [200, 401, 404].contains(&answer.status),
                "{name}: request {i}: {} {}",
                answer.status,
                answer.text()
            );
        }
        let (_, after) = scrape(metrics);

        // Bounded by construction: not one series more.
        assert_eq!(series(&before), series(&after), "{name}: the series grew");
        for leaked in ["198.18.", "sk_spray", "garbage", "nope-", "probe", "alice"] {
            assert!(
                !after.contains(leaked),
                "{name}: `{leaked}` reached a label:\n{after}"
            );
        }

        // The contract's families, counted from the decisions.
        // /metrics on the API, login, me, three times /api/v1/nope, then the rest.
        let requests = 1 + 1 + 1 + 3 + WARM_UP + SPRAY;
        let counted: f64 = series(&after)
            .iter()
            .filter(|s| s.starts_with("shieldwall_requests_total{"))
            .map(|s| sample(&after, s))
            .sum();
        assert_eq!(counted, f64::from(requests), "{name}: requests_total");
        assert_eq!(
            sample(&after, "shieldwall_request_duration_seconds_count"),
            f64::from(requests),
            "{name}"
        );
        assert_eq!(
            sample(&after, r#"shieldwall_requests_total{status="404"}"#),
            f64::from(1 + 2 + (WARM_UP + SPRAY) / 4),
            "{name}: /metrics on the API, two /api/v1/nope (the third is over the public limit), the spray's"
        );
        assert_eq!(
            sample(&after, r#"shieldwall_requests_total{status="429"}"#),
            1.0,
            "{name}"
        );
        assert_eq!(
            sample(
                &after,
                r#"shieldwall_rate_limit_decisions_total{policy="public",outcome="limited"}"#
            ),
            1.0,
            "{name}"
        );
        assert!(
            sample(
                &after,
                r#"shieldwall_rate_limit_decisions_total{policy="public",outcome="allowed"}"#
            ) >= f64::from(SPRAY / 2),
            "{name}"
        );
        assert_eq!(
            sample(
                &after,
                r#"shieldwall_auth_failures_total{code="INVALID_API_KEY"}"#
            ),
            f64::from((WARM_UP + SPRAY) / 4),
            "{name}"
        );
        assert_eq!(
            sample(
                &after,
                r#"shieldwall_auth_failures_total{code="INVALID_TOKEN"}"#
            ),
            f64::from((WARM_UP + SPRAY) / 4),
            "{name}"
        );
        assert!(
            after.contains("# TYPE shieldwall_request_duration_seconds histogram"),
            "{name}"
        );

        // Only /metrics there.
        let elsewhere = client::send(metrics, &TestRequest::get("/")).unwrap();
        assert_eq!(elsewhere.status, 404, "{name}");
        let posted = client::send(metrics, &TestRequest::post("/metrics")).unwrap();
        assert_eq!(posted.status, 405, "{name}");

        all_series.push((name, series(&after)));
    }
    // The same series on both frameworks.
    assert_eq!(
        all_series[0].1, all_series[1].1,
        "axum and actix-web count differently"
    );
}

/// On Redis: the key store's cache and the verified-token cache counted,
/// then Redis gone: every failed decision counted as `store_error`, the
/// store failures by store, and the breaker opening.
#[test]
fn caches_store_failures_and_the_breaker_are_counted_on_redis() {
    for name in SERVERS {
        let mut redis = shieldwall_redis::testing::OwnServer::start();
        let url = redis.url();
        let (server, metrics) = start_with(name, &[("REDIS_URL", url.as_str())]);
        let bearer = server
            .bearer("alice@example.com", "alice-password-1")
            .unwrap();
        for _ in 0..2 {
            let me = server
                .send(&TestRequest::get("/api/v1/protected/me").header("authorization", &bearer))
                .unwrap();
            assert_eq!(me.status, 200, "{name}: {}", me.text());
        }
        let created = server
            .send(&TestRequest::post("/api/v1/protected/keys").header("authorization", &bearer))
            .unwrap();
        assert_eq!(created.status, 201, "{name}: {}", created.text());
        let key = created.json().unwrap()["key"].as_str().unwrap().to_owned();
        for _ in 0..2 {
            let users = server
                .send(&TestRequest::get("/api/v1/users").header("x-api-key", &key))
                .unwrap();
            assert_eq!(users.status, 200, "{name}: {}", users.text());
        }
        let (_, before) = scrape(metrics);
        assert!(
            sample(
                &before,
                r#"shieldwall_cache_lookups_total{cache="keys",result="miss"}"#
            ) >= 1.0,
            "{name}"
        );
        assert!(
            sample(
                &before,
                r#"shieldwall_cache_lookups_total{cache="keys",result="hit"}"#
            ) >= 1.0,
            "{name}"
        );
        assert!(
            sample(
                &before,
                r#"shieldwall_cache_lookups_total{cache="tokens",result="hit"}"#
            ) >= 1.0,
            "{name}"
        );
        // Each verification is one lookup, however it was answered (at
        // once from the cache, or through the store): three tokens checked
        // (two `/me`, the key's creation), two keys.
        let lookups = |cache: &str| {
            ["hit", "miss"]
                .iter()
                .filter_map(|result| {
                    let series = format!(
                        r#"shieldwall_cache_lookups_total{{cache="{cache}",result="{result}"}}"#
                    );
                    before.lines().find_map(|line| {
                        line.strip_prefix(series.as_str())?
                            .trim()
                            .parse::<f64>()
                            .ok()
                    })
                })
                .sum::<f64>()
        };
        assert_eq!(lookups("tokens"), 3.0, "{name}");
        assert_eq!(lookups("keys"), 2.0, "{name}");

        redis.kill();
        for _ in 0..8 {
            let answer = server.send(&TestRequest::get("/api/v1/nope")).unwrap();
            assert_eq!(
                answer.status,
                503,
                "{name}: fails closed: {}",
                answer.text()
            );
        }
        let (_, after) = scrape(metrics);
        assert!(
            sample(
                &after,
                r#"shieldwall_rate_limit_decisions_total{policy="public",outcome="store_error"}"#
            ) >= 1.0,
            "{name}: {after}"
        );
        assert!(
            sample(
                &after,
                r#"shieldwall_store_errors_total{store="rate_limit"}"#
            ) >= 1.0,
            "{name}"
        );
        assert!(
            sample(
                &after,
                r#"shieldwall_breaker_transitions_total{state="open"}"#
            ) >= 1.0,
            "{name}: {after}"
        );
        assert!(
            sample(&after, r#"shieldwall_requests_total{status="503"}"#) >= 8.0,
            "{name}"
        );
    }
}
