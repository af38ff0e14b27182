//! The canonical JSON of an event, written by hand: the writer renders one
//! per event, and the chain hashes exactly these bytes. The same bytes as
//! `serde_json::to_vec(&event)` (tested), without its per-field overhead.

use std::io::Write as _;
use std::net::IpAddr;

use crate::AuditEvent;
use crate::escape::escape_into;
use crate::fields::{Fields, Text};
use crate::pending::Pending;
use crate::time::StampCache;

/// Appends the event's JSON object to `out`, with `hash` when `with_hash`
/// and the event has one.
pub(crate) fn write_event(out: &mut Vec<u8>, event: &AuditEvent, with_hash: bool) {
    write_fields(out, &Fields::of_event(event, with_hash), &mut String::new());
}

/// Appends the JSON object of the event of `pending` (with `seq`) to `out`,
/// escaping as it goes: the same bytes as building the event and writing it
/// (tested), without the event. `scratch` is reused for escaping.
pub(crate) fn write_pending(
    out: &mut Vec<u8>,
    pending: &Pending,
    seq: Option<u64>,
    scratch: &mut String,
    stamps: &mut StampCache,
) {
    let stamp = stamps.stamp(pending.started);
    let mut fields = Fields::of_pending(pending, stamp.as_str());
    fields.seq = seq;
    write_fields(out, &fields, scratch);
}

fn write_fields(out: &mut Vec<u8>, fields: &Fields<'_>, scratch: &mut String) {
    out.reserve(384);
    out.extend_from_slice(b"{\"time\":");
    string(out, fields.time);
    out.extend_from_slice(b",\"request_id\":");
    text(out, fields.request_id, scratch);
    out.extend_from_slice(b",\"method\":");
    text(out, fields.method, scratch);
    out.extend_from_slice(b",\"route\":");
    optional_text(out, fields.route, scratch);
    out.extend_from_slice(b",\"status\":");
    number(out, u64::from(fields.status));
    out.extend_from_slice(b",\"latency_us\":");
    number(out, fields.latency_us);
    out.extend_from_slice(b",\"client_ip\":");
    match fields.client_ip {
        Some(IpAddr::V4(ip)) => {
            out.push(b'"');
            for (at, octet) in ip.octets().into_iter().enumerate() {
                if at > 0 {
                    out.push(b'.');
                }
                number(out, u64::from(octet));
            }
            out.push(b'"');
        }
        Some(ip) => {
            out.push(b'"');
            // Writing to a `Vec` cannot fail.
            let _ = write!(out, "{ip}");
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"principal\":");
    optional_text(out, fields.principal, scratch);
    out.extend_from_slice(b",\"principal_kind\":");
    optional(out, fields.principal_kind);
    out.extend_from_slice(b",\"key_id\":");
    optional_text(out, fields.key_id, scratch);
    out.extend_from_slice(b",\"outcome\":");
    string(out, fields.outcome.as_str());
    out.extend_from_slice(b",\"reason\":");
    optional_text(out, fields.reason, scratch);
    out.extend_from_slice(b",\"user_agent\":");
    optional_text(out, fields.user_agent, scratch);
    if let Some(seq) = fields.seq {
        out.extend_from_slice(b",\"seq\":");
        number(out, seq);
    }
    if let Some(hash) = fields.hash {
        out.extend_from_slice(b",\"hash\":");
        string(out, hash);
    }
    out.push(b'}');
}

/// A text field as a JSON string. Client bytes that need no escaping of
/// either kind (printable ASCII without `\` or `"`, within the bound) are
/// copied as they are, which is what escaping them would give.
fn text(out: &mut Vec<u8>, value: Text<'_>, scratch: &mut String) {
    match value {
        Text::Escaped(value) => string(out, value),
        Text::Raw(raw, limit) => {
            let plain = raw.iter().fold(true, |plain, &b| {
                plain & (0x20..=0x7e).contains(&b) & (b != b'\\') & (b != b'"')
            });
            if plain && raw.len() <= limit {
                out.push(b'"');
                out.extend_from_slice(raw);
                out.push(b'"');
            } else {
                scratch.clear();
                escape_into(scratch, raw, limit);
                string(out, scratch);
            }
        }
    }
}

fn optional_text(out: &mut Vec<u8>, value: Option<Text<'_>>, scratch: &mut String) {
    match value {
        Some(value) => text(out, value, scratch),
        None => out.extend_from_slice(b"null"),
    }
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
    // Without a short circuit, so that the check runs many bytes at a time.
    let needs_escape = bytes.iter().fold(false, |found, &b| {
        found | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
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
    fn an_event_is_written_as_serde_json_writes_it() {
        use crate::testing::{self, Summary};
        use shieldwall_core::{ErrorCode, Principal, Refusal};

        let principal = Principal::api_key("user \"7\"", "k\\1");
        let mut summary = Summary::new("req-1", "GET", 429);
        summary.route = Some("/a/{id}");
        summary.client_ip = Some("2001:db8::1".parse().unwrap());
        summary.principal = Some(&principal);
        summary.refusal = Some(Refusal::of(&shieldwall_errors::Problem::new(
            ErrorCode::RateLimited,
        )));
        summary.user_agent = Some(b"q\"uote\\ \x1b\r\n \xff");
        let mut event = testing::event(&summary);
        for seq in [None, Some(0), Some(u64::MAX)] {
            event.seq = seq;
            let mut out = Vec::new();
            write_event(&mut out, &event, true);
            assert_eq!(out, serde_json::to_vec(&event).unwrap());
        }
        event.hash = Some([b'a'; 64]);
        let mut out = Vec::new();
        write_event(&mut out, &event, true);
        assert_eq!(out, serde_json::to_vec(&event).unwrap());
        let bare = testing::event(&Summary::new("r", "GET", 200));
        let mut out = Vec::new();
        write_event(&mut out, &bare, true);
        assert_eq!(out, serde_json::to_vec(&bare).unwrap());
    }

    #[test]
    fn a_line_written_from_the_request_is_the_line_of_its_event() {
        use crate::summary::Summary;
        use shieldwall_core::{ErrorCode, Principal, Refusal};

        let emoji = "\u{1f600}".repeat(100);
        let texts: [&[u8]; 9] = [
            b"",
            b"plain",
            b"with \"quotes\" and \\",
            b"\r\n\x1b[31m",
            b"\xff\xfe",
            "caf\u{e9} \u{202e}\u{2066}".as_bytes(),
            &[b'x'; 300],
            &[b'"'; 300],
            emoji.as_bytes(),
        ];
        let principals = [
            None,
            Some(Principal::user("u\"1")),
            Some(Principal::api_key("o\n", "k\u{1b}")),
            Some(Principal::service("s")),
        ];
        let refusals = [
            None,
            Some(Refusal::of(&shieldwall_errors::Problem::new(
                ErrorCode::InvalidToken,
            ))),
        ];
        let mut scratch = String::new();
        let mut stamps = StampCache::default();
        let mut cases = 0;
        for (i, text) in texts.iter().enumerate() {
            let text = String::from_utf8_lossy(text).into_owned();
            for (j, principal) in principals.iter().enumerate() {
                for refusal in refusals {
                    for limit in [16, 64, 256] {
                        let mut summary = Summary::new(&text, &text, [200, 401, 503][i % 3]);
                        summary.route = (j % 2 == 0).then_some(text.as_str());
                        summary.user_agent = Some(text.as_bytes());
                        summary.principal = principal.as_ref();
                        summary.refusal = refusal;
                        summary.client_ip = [
                            None,
                            Some("10.0.0.1".parse().unwrap()),
                            Some("::1".parse().unwrap()),
                        ]
                        .get(i % 3)
                        .copied()
                        .flatten();
                        let pending = Pending::capture(&summary, limit);
                        let seq = (j % 2 == 1).then_some(u64::try_from(i).unwrap());
                        let mut direct = Vec::new();
                        write_pending(&mut direct, &pending, seq, &mut scratch, &mut stamps);
                        let mut event = AuditEvent::from_pending(&pending);
                        event.seq = seq;
                        let mut via_event = Vec::new();
                        write_event(&mut via_event, &event, false);
                        assert_eq!(
                            String::from_utf8(direct).unwrap(),
                            String::from_utf8(via_event).unwrap()
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 9 * 4 * 2 * 3);
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
