//! The canonical JSON of an event, written by hand: the writer renders one
//! per event, and the chain hashes exactly these bytes. The same bytes as
//! `serde_json::to_vec(&event)` (tested), without its per-field overhead.

use std::io::Write as _;

use crate::AuditEvent;

/// Appends the event's JSON object to `out`, with `hash` when `with_hash`
/// and the event has one.
pub(crate) fn write_event(out: &mut Vec<u8>, event: &AuditEvent, with_hash: bool) {
    out.extend_from_slice(b"{\"time\":");
    string(out, event.time());
    out.extend_from_slice(b",\"request_id\":");
    string(out, event.request_id());
    out.extend_from_slice(b",\"method\":");
    string(out, event.method());
    out.extend_from_slice(b",\"route\":");
    optional(out, event.route());
    out.extend_from_slice(b",\"status\":");
    number(out, u64::from(event.status()));
    out.extend_from_slice(b",\"latency_us\":");
    number(out, event.latency_us());
    out.extend_from_slice(b",\"client_ip\":");
    match event.client_ip() {
        Some(ip) => {
            out.push(b'"');
            // Writing to a `Vec` cannot fail.
            let _ = write!(out, "{ip}");
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"principal\":");
    optional(out, event.principal());
    out.extend_from_slice(b",\"principal_kind\":");
    optional(out, event.principal_kind());
    out.extend_from_slice(b",\"key_id\":");
    optional(out, event.key_id());
    out.extend_from_slice(b",\"outcome\":");
    string(out, event.outcome().as_str());
    out.extend_from_slice(b",\"reason\":");
    optional(out, event.reason());
    out.extend_from_slice(b",\"user_agent\":");
    optional(out, event.user_agent());
    if let Some(seq) = event.seq() {
        out.extend_from_slice(b",\"seq\":");
        number(out, seq);
    }
    if with_hash && let Some(hash) = event.hash() {
        out.extend_from_slice(b",\"hash\":");
        string(out, hash);
    }
    out.push(b'}');
}

fn optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => string(out, value),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    let bytes = value.as_bytes();
    if bytes.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.extend_from_slice(bytes);
    } else {
        let mut start = 0;
        for (at, &byte) in bytes.iter().enumerate() {
            let short: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            out.extend_from_slice(bytes.get(start..at).unwrap_or_default());
            if short.is_empty() {
                let _ = write!(out, "\\u{byte:04x}");
            } else {
                out.extend_from_slice(short);
            }
            start = at + 1;
        }
        out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    }
    out.push(b'"');
}

/// A number in decimal.
fn number(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0_u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(slot) = digits.get_mut(at) {
            // `value % 10` is a single digit.
            *slot = b'0' + (value % 10) as u8;
        }
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all = String::new();
        for code in 0..0x300 {
            all.push(char::from_u32(code).unwrap());
        }
        all.push_str("\u{202e}\u{1f600}\"\\");
        for value in [all.as_str(), "", "plain", "a\"b\\c\nd\u{1}"] {
            assert_eq!(json(value), serde_json::to_string(value).unwrap());
        }
    }

    #[test]
    fn numbers_are_decimal() {
        for value in [0, 7, 10, 999, 1_000_000, u64::MAX] {
            let mut out = Vec::new();
            number(&mut out, value);
            assert_eq!(out, value.to_string().as_bytes());
        }
    }
}
