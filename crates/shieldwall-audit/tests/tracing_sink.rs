//! The default sink: one `INFO` event per request on the target
//! `shieldwall::audit`, with the event's fields, client text escaped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use common::{Captured, summary};
use shieldwall_audit::testing;
use shieldwall_audit::{Auditor, Chain};
use shieldwall_core::{ErrorCode, Principal, Refusal};
use shieldwall_errors::Problem;

#[tokio::test]
async fn each_request_is_one_info_event_on_the_audit_target() {
    let captured = Captured::default();
    let _guard = captured.install();
    let auditor = Auditor::builder()
        .chain(Chain::unkeyed_insecure())
        .build()
        .unwrap();
    let principal = Principal::user("u-1");
    let mut s = summary("req-1", 401);
    s.principal = Some(&principal);
    s.refusal = Some(Refusal::of(&Problem::new(ErrorCode::TokenRevoked)));
    s.user_agent = Some(b"evil\r\nINFO shieldwall::audit: forged\x1b[2K\xe2\x80\xae");
    testing::observe(&auditor, &s);
    testing::observe(&auditor, &summary("req-2", 200));
    auditor.flush().await.unwrap();

    let text = captured.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let first = lines[0];
    assert!(first.contains(" INFO shieldwall::audit: audit "), "{first}");
    for field in [
        "request_id=\"req-1\"",
        "method=\"GET\"",
        "route=\"/api/v1/users/{id}\"",
        "status=401",
        "latency_us=250",
        "client_ip=203.0.113.7",
        "principal=\"u-1\"",
        "principal_kind=\"user\"",
        "outcome=\"refused\"",
        "reason=\"token_revoked\"",
        "seq=0",
    ] {
        assert!(first.contains(field), "{field} missing in {first}");
    }
    assert!(first.contains("hash=\""), "{first}");
    assert!(
        !first.contains("key_id"),
        "absent fields are not recorded: {first}"
    );
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\r'));
    assert!(lines[1].contains("request_id=\"req-2\"") && lines[1].contains("seq=1"));
    assert_eq!(auditor.stats().written, 2);
}
