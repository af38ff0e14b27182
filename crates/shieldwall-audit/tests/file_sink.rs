//! The JSON-lines file sink end to end: one valid JSON object per line with
//! the fixed field set, client text that cannot forge a line, the chain
//! continued across a restart, flush and shutdown, and the two ways to run
//! the writer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::collections::BTreeSet;

use common::{TempFile, summary};
use shieldwall_audit::testing::{self, Summary};
use shieldwall_audit::{AuditConfigError, Auditor, Chain, JsonLinesSink, verify_chain};
use shieldwall_core::{Perimeter, Principal, Secret};

const FIELDS: [&str; 13] = [
    "time",
    "request_id",
    "method",
    "route",
    "status",
    "latency_us",
    "client_ip",
    "principal",
    "principal_kind",
    "key_id",
    "outcome",
    "reason",
    "user_agent",
];

fn chain() -> Chain {
    Chain::hmac(&Secret::from(vec![9_u8; 32])).unwrap()
}

#[tokio::test]
async fn every_event_is_one_valid_json_line_in_order() {
    let file = TempFile::new("lines");
    let auditor = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .build()
        .unwrap();
    let principal = Principal::api_key("user-7", "k_3x9");
    let ids: Vec<String> = (0..500).map(|i| format!("req-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let mut s = summary(id, if i % 2 == 0 { 200 } else { 401 });
        s.principal = Some(&principal);
        testing::observe(&auditor, &s);
    }
    auditor.flush().await.unwrap();

    let lines = file.lines();
    assert_eq!(lines.len(), 500);
    for (i, line) in lines.iter().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: BTreeSet<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, FIELDS.into_iter().collect(), "{line}");
        assert_eq!(value["request_id"], format!("req-{i}"));
        assert_eq!(value["route"], "/api/v1/users/{id}");
        assert_eq!(value["client_ip"], "203.0.113.7");
        assert_eq!(value["principal"], "user-7");
        assert_eq!(value["principal_kind"], "api_key");
        assert_eq!(value["key_id"], "k_3x9");
        assert_eq!(value["latency_us"], 250);
        let refused = i % 2 == 1;
        assert_eq!(
            value["outcome"],
            if refused { "refused" } else { "allowed" }
        );
    }
    let stats = auditor.stats();
    assert_eq!(
        (stats.written, stats.dropped, stats.lost, stats.queued),
        (500, 0, 0, 0)
    );
}

#[tokio::test]
async fn an_unknown_route_is_null_and_nothing_else_of_the_request_is_kept() {
    let file = TempFile::new("redaction");
    let auditor = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .build()
        .unwrap();
    // What an adapter knows of `GET /api/v1/users/42?token=s3cr3t` with
    // `Authorization: Bearer eyJ...`: no route matched, and no field exists
    // for the path, the query or any header but the user agent.
    let mut s = Summary::new("req-1", "GET", 404);
    s.user_agent = Some(b"curl/8.5.0");
    testing::observe(&auditor, &s);
    auditor.flush().await.unwrap();

    let text = std::fs::read_to_string(file.path()).unwrap();
    let value: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
    assert!(value["route"].is_null());
    assert_eq!(value["outcome"], "refused");
    let keys: BTreeSet<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, FIELDS.into_iter().collect());
    for absent in [
        "path",
        "query",
        "authorization",
        "cookie",
        "bearer",
        "x-api-key",
        "body",
        "/users/42",
        "token=",
    ] {
        assert!(!text.to_lowercase().contains(absent), "{absent} in {text}");
    }
}

#[tokio::test]
async fn client_text_cannot_forge_a_line_move_the_cursor_or_reorder_text() {
    let file = TempFile::new("escaping");
    let auditor = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .build()
        .unwrap();
    let forged = b"curl\r\n{\"request_id\":\"forged\",\"outcome\":\"allowed\"}\n\x1b[1A\x1b[2K\xe2\x80\xae\xe2\x81\xa6evil";
    let mut s = summary("req-1", 200);
    s.user_agent = Some(forged);
    s.route = Some("/a\r\n/b\u{1b}[31m\u{202e}");
    testing::observe(&auditor, &s);
    auditor.flush().await.unwrap();

    let bytes = std::fs::read(file.path()).unwrap();
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
    assert!(!bytes.contains(&b'\r'));
    assert!(!bytes.contains(&0x1b));
    let text = String::from_utf8(bytes).unwrap();
    for bidi in [
        '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ] {
        assert!(!text.contains(bidi));
    }
    let value: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(
        value["user_agent"],
        "curl\\r\\n{\"request_id\":\"forged\",\"outcome\":\"allowed\"}\\n\\u{1b}[1A\\u{1b}[2K\\u{202e}\\u{2066}evil"
    );
    assert_eq!(value["route"], "/a\\r\\n/b\\u{1b}[31m\\u{202e}");
}

#[tokio::test]
async fn user_agents_are_cut_at_the_limit_on_a_character() {
    let file = TempFile::new("cut");
    let auditor = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .user_agent_limit(64)
        .unwrap()
        .build()
        .unwrap();
    let agent = "\u{1f600}".repeat(40); // 160 bytes of 4-byte characters
    let mut s = summary("req-1", 200);
    s.user_agent = Some(agent.as_bytes());
    testing::observe(&auditor, &s);
    auditor.flush().await.unwrap();
    let value: serde_json::Value = serde_json::from_str(&file.lines()[0]).unwrap();
    let kept = value["user_agent"].as_str().unwrap();
    assert!(kept.len() <= 64);
    assert_eq!(kept, format!("{}\u{2026}", "\u{1f600}".repeat(15)));
    assert!(matches!(
        Auditor::builder().user_agent_limit(8),
        Err(AuditConfigError::UserAgentLimit(8))
    ));
}

#[tokio::test]
async fn the_chain_continues_across_a_restart_and_verifies() {
    let file = TempFile::new("restart");
    for run in 0..3 {
        let auditor = Auditor::builder()
            .sink(JsonLinesSink::open(file.path()).unwrap())
            .chain(chain())
            .build()
            .unwrap();
        for i in 0..10 {
            let id = format!("run{run}-{i}");
            testing::observe(&auditor, &summary(&id, 200));
        }
        auditor.shutdown().await.unwrap();
    }
    let lines = file.lines();
    assert_eq!(lines.len(), 30);
    assert_eq!(verify_chain(&lines, &chain()), Ok(30));
    let last: serde_json::Value = serde_json::from_str(&lines[29]).unwrap();
    assert_eq!(last["seq"], 29);
    assert_eq!(last["hash"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn shutdown_writes_what_is_queued_and_later_events_are_counted_dropped() {
    let file = TempFile::new("shutdown");
    let auditor = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .build()
        .unwrap();
    for i in 0..20 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
    }
    auditor.shutdown().await.unwrap();
    assert_eq!(file.lines().len(), 20);
    testing::observe(&auditor, &summary("late", 200));
    assert_eq!(auditor.dropped(), 1);
    assert!(auditor.flush().await.is_err());
    assert_eq!(auditor.stats().written, 20);
}

#[tokio::test]
async fn dropping_every_clone_writes_what_is_queued() {
    let file = TempFile::new("dropped");
    let (auditor, writer) = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .build_with_writer();
    let task = tokio::spawn(writer.run());
    for i in 0..5 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
    }
    drop(auditor);
    task.await.unwrap();
    assert_eq!(file.lines().len(), 5);
}

#[test]
fn building_outside_a_runtime_fails_and_the_writer_can_run_on_a_runtime_of_its_own() {
    assert!(matches!(
        Auditor::builder().build(),
        Err(AuditConfigError::NoRuntime)
    ));
    // As on actix-web: requests on threads of their own, the writer spawned
    // where the caller chooses (here a runtime on another thread).
    let file = TempFile::new("own-runtime");
    let (auditor, writer) = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .build_with_writer();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let writer_thread = std::thread::spawn(move || runtime.block_on(writer.run()));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let auditor = auditor.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    testing::observe(&auditor, &summary(&format!("w{w}-{i}"), 200));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let flush = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    flush.block_on(auditor.shutdown()).unwrap();
    writer_thread.join().unwrap();
    assert_eq!(file.lines().len(), 100);
}

#[tokio::test]
async fn an_auditor_is_a_perimeter_observer() {
    let auditor = Auditor::builder().build().unwrap();
    let perimeter = Perimeter::new().observer(auditor.clone());
    assert!(perimeter.request_observer().is_some());
    auditor.shutdown().await.unwrap();
}
