//! The chain's verifier on a good file and on each kind of tampering:
//! a changed line, a removed one, two swapped, one inserted, one repeated,
//! and a file checked with the wrong key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use common::{TempFile, summary};
use shieldwall_audit::testing;
use shieldwall_audit::{
    Auditor, BreakKind, BrokenLink, Chain, ChainLink, ChainVerifier, JsonLinesSink, verify_chain,
};
use shieldwall_core::Secret;

fn key(byte: u8) -> Chain {
    Chain::hmac(&Secret::from(vec![byte; 32])).unwrap()
}

/// Ten chained lines, as the file sink wrote them.
async fn chained_lines(chain: Chain) -> Vec<String> {
    let file = TempFile::new("chain");
    let auditor = Auditor::builder()
        .sink(JsonLinesSink::open(file.path()).unwrap())
        .chain(chain)
        .build()
        .unwrap();
    for i in 0..10 {
        testing::observe(&auditor, &summary(&format!("req-{i}"), 200));
    }
    auditor.shutdown().await.unwrap();
    file.lines()
}

fn broken(result: Result<usize, BrokenLink>) -> (usize, Option<u64>, BreakKind) {
    let link = result.unwrap_err();
    (link.line, link.seq, link.kind)
}

#[tokio::test]
async fn a_good_file_verifies() {
    let lines = chained_lines(key(1)).await;
    assert_eq!(verify_chain(&lines, &key(1)), Ok(10));
    // Read as bytes, with the file's final newline.
    let mut text = lines.join("\n");
    text.push('\n');
    assert_eq!(
        verify_chain(text.as_bytes().split(|&b| b == b'\n'), &key(1)),
        Ok(10)
    );
}

#[tokio::test]
async fn a_changed_line_breaks_at_that_line() {
    let mut lines = chained_lines(key(1)).await;
    lines[4] = lines[4].replace("\"status\":200", "\"status\":201");
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (5, Some(4), BreakKind::HashMismatch)
    );
    // Changing only the spelling of a value's JSON is not a change...
    let mut respelled = chained_lines(key(1)).await;
    respelled[2] = respelled[2].replace("\"GET\"", "\"\\u0047ET\"");
    assert_eq!(verify_chain(&respelled, &key(1)), Ok(10));
    // ...but adding a field is.
    let mut added = chained_lines(key(1)).await;
    added[2] = added[2].replacen('{', "{\"admin\":true,", 1);
    assert_eq!(
        broken(verify_chain(&added, &key(1))),
        (3, None, BreakKind::Unreadable)
    );
}

#[tokio::test]
async fn a_removed_line_breaks_at_the_next_one() {
    let mut lines = chained_lines(key(1)).await;
    lines.remove(3);
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (4, Some(4), BreakKind::OutOfSequence { expected: 3 })
    );
    // The first line removed.
    let mut lines = chained_lines(key(1)).await;
    lines.remove(0);
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (1, Some(1), BreakKind::OutOfSequence { expected: 0 })
    );
}

#[tokio::test]
async fn swapped_lines_break_at_the_first_of_them() {
    let mut lines = chained_lines(key(1)).await;
    lines.swap(6, 7);
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (7, Some(7), BreakKind::OutOfSequence { expected: 6 })
    );
}

#[tokio::test]
async fn an_inserted_line_breaks_where_it_stands() {
    let original = chained_lines(key(1)).await;
    // A forged event in the place of seq 5, made without the key.
    let mut forged: serde_json::Value = serde_json::from_str(&original[5]).unwrap();
    forged["request_id"] = "forged".into();
    forged["hash"] = "0".repeat(64).into();
    let mut lines = original.clone();
    lines.insert(5, forged.to_string());
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (6, Some(5), BreakKind::HashMismatch)
    );
    // A line that is no event, and one written with the chain off.
    let mut lines = original.clone();
    lines.insert(2, "hello".to_owned());
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (3, None, BreakKind::Unreadable)
    );
    let unsealed = serde_json::to_string(&testing::event(&summary("x", 200))).unwrap();
    let mut lines = original;
    lines.insert(2, unsealed);
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (3, None, BreakKind::Unsealed)
    );
}

#[tokio::test]
async fn a_repeated_line_breaks_at_the_copy() {
    let mut lines = chained_lines(key(1)).await;
    let copy = lines[8].clone();
    lines.insert(9, copy);
    assert_eq!(
        broken(verify_chain(&lines, &key(1))),
        (10, Some(8), BreakKind::OutOfSequence { expected: 9 })
    );
}

#[tokio::test]
async fn the_wrong_key_fails_at_the_first_line() {
    let lines = chained_lines(key(1)).await;
    assert_eq!(
        broken(verify_chain(&lines, &key(2))),
        (1, Some(0), BreakKind::HashMismatch)
    );
    assert_eq!(
        broken(verify_chain(&lines, &Chain::unkeyed_insecure())),
        (1, Some(0), BreakKind::HashMismatch)
    );
}

#[tokio::test]
async fn a_rotated_file_verifies_after_the_last_link_of_the_one_before() {
    let lines = chained_lines(key(1)).await;
    let (older, newer) = lines.split_at(6);
    let mut verifier = ChainVerifier::new(key(1));
    for line in older {
        verifier.push_line(line.as_bytes()).unwrap();
    }
    let kept = verifier.last().unwrap();
    assert_eq!(kept.seq, 5);

    let mut rotated = ChainVerifier::after(
        key(1),
        ChainLink::parse(kept.seq, &kept.hash_hex()).unwrap(),
    );
    for line in newer {
        rotated.push_line(line.as_bytes()).unwrap();
    }
    assert_eq!(rotated.verified(), 4);
    assert_eq!(rotated.last().unwrap().seq, 9);
    // Without the link, the rotated file does not start a chain.
    assert_eq!(
        broken(verify_chain(newer, &key(1))),
        (1, Some(6), BreakKind::OutOfSequence { expected: 0 })
    );
}

#[tokio::test]
async fn a_log_cut_short_at_its_end_verifies_so_keep_the_last_link_elsewhere() {
    let lines = chained_lines(key(1)).await;
    assert_eq!(verify_chain(&lines[..7], &key(1)), Ok(7));
}
