//! [`AuditEvent`]: one finished request, as every sink records it.

use std::net::IpAddr;

use serde::Serialize;

use crate::escape::escape_into;
use crate::fields::{Fields, KINDS, Text};
use crate::pending::Pending;
use crate::time::Stamp;

/// How a request ended, from its status.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 1xx, 2xx and 3xx, with no shieldwall refusal.
    Allowed,
    /// 4xx, or any answer shieldwall refused with below 500.
    Refused,
    /// 5xx, whoever answered (a fail-closed 503 of shieldwall included: its
    /// reason still says why).
    Error,
}

impl Outcome {
    /// The outcome of an answer with `status`, refused by shieldwall or not.
    #[must_use]
    pub fn of(status: u16, refused: bool) -> Self {
        if status >= 500 {
            Self::Error
        } else if status >= 400 || refused {
            Self::Refused
        } else {
            Self::Allowed
        }
    }

    /// `allowed`, `refused` or `error`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Refused => "refused",
            Self::Error => "error",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "allowed" => Some(Self::Allowed),
            "refused" => Some(Self::Refused),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// A piece of an event's text buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

/// One finished request, as every sink records it.
///
/// Built once per request from what core's `RequestSummary` carries, and
/// only from that: there is no field for a header other than the user
/// agent, for a body, a query or a raw path, so none can be filled by
/// mistake. Every string that a client or a token issuer chose (request id,
/// method, route, principal id, key id, user agent) is escaped when the
/// event is built (see the crate docs), and each is cut to a bound.
///
/// Serialized (JSON lines, Redis fields) with the field names of the
/// getters, every field present (`null` when absent) except `seq` and
/// `hash`, which exist only when the chain is on.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Every text field, back to back.
    text: String,
    time: Span,
    request_id: Span,
    method: Span,
    route: Option<Span>,
    principal: Option<Span>,
    key_id: Option<Span>,
    reason: Option<Span>,
    user_agent: Option<Span>,
    status: u16,
    latency_us: u64,
    client_ip: Option<IpAddr>,
    principal_kind: Option<&'static str>,
    outcome: Outcome,
    pub(crate) seq: Option<u64>,
    /// The hash in lowercase hex.
    pub(crate) hash: Option<[u8; 64]>,
}

/// An event's fields as read back from a log, unescaped and unchecked.
pub(crate) struct Parts<'a> {
    pub(crate) time: &'a str,
    pub(crate) request_id: &'a str,
    pub(crate) method: &'a str,
    pub(crate) route: Option<&'a str>,
    pub(crate) status: u16,
    pub(crate) latency_us: u64,
    pub(crate) client_ip: Option<IpAddr>,
    pub(crate) principal: Option<&'a str>,
    pub(crate) principal_kind: Option<&'a str>,
    pub(crate) key_id: Option<&'a str>,
    pub(crate) outcome: &'a str,
    pub(crate) reason: Option<&'a str>,
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) seq: Option<u64>,
}

impl std::fmt::Debug for AuditEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditEvent")
            .field("time", &self.time())
            .field("request_id", &self.request_id())
            .field("method", &self.method())
            .field("route", &self.route())
            .field("status", &self.status)
            .field("latency_us", &self.latency_us)
            .field("client_ip", &self.client_ip)
            .field("principal", &self.principal())
            .field("principal_kind", &self.principal_kind)
            .field("key_id", &self.key_id())
            .field("outcome", &self.outcome)
            .field("reason", &self.reason())
            .field("user_agent", &self.user_agent())
            .field("seq", &self.seq)
            .field("hash", &self.hash())
            .finish()
    }
}

impl Default for AuditEvent {
    fn default() -> Self {
        Self {
            text: String::new(),
            time: Span::default(),
            request_id: Span::default(),
            method: Span::default(),
            route: None,
            principal: None,
            key_id: None,
            reason: None,
            user_agent: None,
            status: 0,
            latency_us: 0,
            client_ip: None,
            principal_kind: None,
            outcome: Outcome::Allowed,
            seq: None,
            hash: None,
        }
    }
}

fn offset(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl AuditEvent {
    /// The event of `pending`.
    pub(crate) fn from_pending(pending: &Pending) -> Self {
        let mut event = Self::default();
        event.fill(pending);
        event
    }

    /// Makes `self` the event of `pending`, reusing its buffer.
    pub(crate) fn fill(&mut self, pending: &Pending) {
        self.text.clear();
        let stamp = Stamp::new(pending.started);
        let fields = Fields::of_pending(pending, stamp.as_str());
        self.time = self.span(|text| text.push_str(fields.time));
        self.request_id = self.put(fields.request_id);
        self.method = self.put(fields.method);
        self.route = fields.route.map(|value| self.put(value));
        self.principal = fields.principal.map(|value| self.put(value));
        self.key_id = fields.key_id.map(|value| self.put(value));
        self.reason = fields.reason.map(|value| self.put(value));
        self.user_agent = fields.user_agent.map(|value| self.put(value));
        self.status = fields.status;
        self.latency_us = fields.latency_us;
        self.client_ip = fields.client_ip;
        self.principal_kind = fields
            .principal_kind
            .and_then(|kind| KINDS.iter().copied().find(|known| *known == kind));
        self.outcome = fields.outcome;
        self.seq = None;
        self.hash = None;
    }

    /// Appends a text field, escaping client bytes.
    fn put(&mut self, value: Text<'_>) -> Span {
        self.span(|text| match value {
            Text::Escaped(value) => text.push_str(value),
            Text::Raw(raw, limit) => escape_into(text, raw, limit),
        })
    }

    /// An event as read back from a log (for the verifier): the values are
    /// taken as they are. `None` for an unknown outcome or principal kind.
    pub(crate) fn from_parts(parts: &Parts<'_>) -> Option<Self> {
        let mut event = Self::default();
        let mut put = |value: &str| event.span(|text| text.push_str(value));
        let time = put(parts.time);
        let request_id = put(parts.request_id);
        let method = put(parts.method);
        let route = parts.route.map(&mut put);
        let principal = parts.principal.map(&mut put);
        let key_id = parts.key_id.map(&mut put);
        let reason = parts.reason.map(&mut put);
        let user_agent = parts.user_agent.map(&mut put);
        let principal_kind = match parts.principal_kind {
            None => None,
            Some(kind) => Some(*KINDS.iter().find(|known| **known == kind)?),
        };
        Some(Self {
            time,
            request_id,
            method,
            route,
            principal,
            key_id,
            reason,
            user_agent,
            status: parts.status,
            latency_us: parts.latency_us,
            client_ip: parts.client_ip,
            principal_kind,
            outcome: Outcome::from_name(parts.outcome)?,
            seq: parts.seq,
            hash: None,
            ..event
        })
    }

    /// Appends what `write` writes to the text and returns where it went.
    fn span(&mut self, write: impl FnOnce(&mut String)) -> Span {
        let start = offset(self.text.len());
        write(&mut self.text);
        Span {
            start,
            end: offset(self.text.len()),
        }
    }

    fn get(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }

    /// When the request arrived: RFC 3339 in UTC with milliseconds
    /// (`2026-12-07T06:12:47.123Z`).
    #[must_use]
    pub fn time(&self) -> &str {
        self.get(self.time)
    }

    /// The request id (escaped; core only keeps `A-Z a-z 0-9 - _ . :` anyway).
    #[must_use]
    pub fn request_id(&self) -> &str {
        self.get(self.request_id)
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> &str {
        self.get(self.method)
    }

    /// The route template (`/api/v1/users/{id}`); `None` when no route
    /// matched. Never the raw path, which carries ids and other values.
    #[must_use]
    pub fn route(&self) -> Option<&str> {
        self.route.map(|span| self.get(span))
    }

    /// The status of the answer.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// How long the answer took, in whole microseconds.
    #[must_use]
    pub fn latency_us(&self) -> u64 {
        self.latency_us
    }

    /// The client address after trusted-proxy resolution.
    #[must_use]
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.client_ip
    }

    /// The principal's id (a user id, or the owner of an API key).
    #[must_use]
    pub fn principal(&self) -> Option<&str> {
        self.principal.map(|span| self.get(span))
    }

    /// `user`, `api_key`, `service` (or `other` for a kind added later).
    #[must_use]
    pub fn principal_kind(&self) -> Option<&str> {
        self.principal_kind
    }

    /// The public id of the API key that identified the principal.
    #[must_use]
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.map(|span| self.get(span))
    }

    /// How the request ended.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Why it was refused: the refusal's private reason when it has one
    /// (`nonce_replayed`), else its code in lowercase (`invalid_token`).
    /// `None` for an allowed request and for an error answer that was not
    /// shieldwall's.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.reason.map(|span| self.get(span))
    }

    /// The user agent, escaped and cut.
    #[must_use]
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.map(|span| self.get(span))
    }

    /// The place in the chain, when the chain is on (set by the writer).
    #[must_use]
    pub fn seq(&self) -> Option<u64> {
        self.seq
    }

    /// The chain hash in lowercase hex, when the chain is on (set by the writer).
    #[must_use]
    pub fn hash(&self) -> Option<&str> {
        self.hash
            .as_ref()
            .and_then(|hex| std::str::from_utf8(hex).ok())
    }
}

/// The same JSON as the JSON-lines sink writes.
impl Serialize for AuditEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("AuditEvent", 15)?;
        out.serialize_field("time", self.time())?;
        out.serialize_field("request_id", self.request_id())?;
        out.serialize_field("method", self.method())?;
        out.serialize_field("route", &self.route())?;
        out.serialize_field("status", &self.status)?;
        out.serialize_field("latency_us", &self.latency_us)?;
        out.serialize_field("client_ip", &self.client_ip)?;
        out.serialize_field("principal", &self.principal())?;
        out.serialize_field("principal_kind", &self.principal_kind)?;
        out.serialize_field("key_id", &self.key_id())?;
        out.serialize_field("outcome", &self.outcome)?;
        out.serialize_field("reason", &self.reason())?;
        out.serialize_field("user_agent", &self.user_agent())?;
        match self.seq {
            Some(seq) => out.serialize_field("seq", &seq)?,
            None => out.skip_field("seq")?,
        }
        match self.hash() {
            Some(hash) => out.serialize_field("hash", hash)?,
            None => out.skip_field("hash")?,
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Summary;
    use shieldwall_core::{ErrorCode, Principal, Refusal};
    use shieldwall_errors::Problem;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    fn build(summary: &Summary<'_>, limit: usize) -> AuditEvent {
        AuditEvent::from_pending(&Pending::capture(summary, limit))
    }

    fn refusal(code: ErrorCode, reason: Option<&'static str>) -> Refusal {
        let mut problem = Problem::new(code);
        problem.reason = reason;
        Refusal::of(&problem)
    }

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    #[test]
    fn fields_come_from_the_summary() {
        let principal = Principal::api_key("user-7", "k_3x9");
        let mut summary = Summary::new("req-1", "GET", 200);
        summary.started = at(1_700_000_000, 42);
        summary.latency = Duration::from_micros(1834);
        summary.route = Some("/api/v1/users/{id}");
        summary.client_ip = Some("203.0.113.7".parse().unwrap());
        summary.principal = Some(&principal);
        summary.user_agent = Some(b"curl/8.5.0");
        let event = build(&summary, 256);
        assert_eq!(event.time(), "2023-11-14T22:13:20.042Z");
        assert_eq!(event.request_id(), "req-1");
        assert_eq!(event.method(), "GET");
        assert_eq!(event.route(), Some("/api/v1/users/{id}"));
        assert_eq!(event.status(), 200);
        assert_eq!(event.latency_us(), 1834);
        assert_eq!(event.client_ip(), Some("203.0.113.7".parse().unwrap()));
        assert_eq!(event.principal(), Some("user-7"));
        assert_eq!(event.principal_kind(), Some("api_key"));
        assert_eq!(event.key_id(), Some("k_3x9"));
        assert_eq!(event.outcome(), Outcome::Allowed);
        assert_eq!(event.reason(), None);
        assert_eq!(event.user_agent(), Some("curl/8.5.0"));
        assert_eq!((event.seq(), event.hash()), (None, None));
    }

    #[test]
    fn the_json_shape_is_fixed() {
        let mut summary = Summary::new("req-1", "POST", 404);
        summary.started = at(0, 5);
        let event = build(&summary, 256);
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            json,
            r#"{"time":"1970-01-01T00:00:00.005Z","request_id":"req-1","method":"POST","route":null,"status":404,"latency_us":0,"client_ip":null,"principal":null,"principal_kind":null,"key_id":null,"outcome":"refused","reason":null,"user_agent":null}"#
        );
    }

    #[test]
    fn outcomes_follow_the_status_and_the_refusal() {
        assert_eq!(Outcome::of(200, false), Outcome::Allowed);
        assert_eq!(Outcome::of(101, false), Outcome::Allowed);
        assert_eq!(Outcome::of(304, false), Outcome::Allowed);
        assert_eq!(Outcome::of(404, false), Outcome::Refused);
        assert_eq!(Outcome::of(429, true), Outcome::Refused);
        assert_eq!(Outcome::of(500, false), Outcome::Error);
        assert_eq!(Outcome::of(503, true), Outcome::Error);
        for outcome in [Outcome::Allowed, Outcome::Refused, Outcome::Error] {
            assert_eq!(Outcome::from_name(outcome.as_str()), Some(outcome));
        }
    }

    #[test]
    fn the_reason_is_the_private_reason_or_the_code() {
        let mut summary = Summary::new("r", "GET", 401);
        summary.refusal = Some(refusal(ErrorCode::InvalidToken, None));
        assert_eq!(build(&summary, 256).reason(), Some("invalid_token"));
        summary.refusal = Some(refusal(ErrorCode::InvalidSignature, Some("nonce_replayed")));
        assert_eq!(build(&summary, 256).reason(), Some("nonce_replayed"));
        summary.status = 429;
        summary.refusal = Some(refusal(ErrorCode::RateLimited, None));
        let event = build(&summary, 256);
        assert_eq!(
            (event.outcome(), event.reason()),
            (Outcome::Refused, Some("rate_limited"))
        );
        summary.status = 503;
        summary.refusal = Some(refusal(ErrorCode::ServiceUnavailable, None));
        let event = build(&summary, 256);
        assert_eq!(
            (event.outcome(), event.reason()),
            (Outcome::Error, Some("service_unavailable"))
        );
        // A handler's own 404: refused, no reason.
        summary.status = 404;
        summary.refusal = None;
        assert_eq!(build(&summary, 256).reason(), None);
    }

    #[test]
    fn principals_of_each_kind() {
        let user = Principal::user("u1");
        let service = Principal::service("billing");
        let mut summary = Summary::new("r", "GET", 200);
        summary.principal = Some(&user);
        let event = build(&summary, 256);
        assert_eq!(
            (event.principal(), event.principal_kind(), event.key_id()),
            (Some("u1"), Some("user"), None)
        );
        summary.principal = Some(&service);
        assert_eq!(build(&summary, 256).principal_kind(), Some("service"));
    }

    #[test]
    fn client_text_is_escaped_everywhere() {
        let sneaky = Principal::user("eve\r\n\u{1b}[2J");
        let mut summary = Summary::new("id\r\nx", "GET\u{1b}", 200);
        summary.route = Some("/a\r\n{id}\u{202e}");
        summary.principal = Some(&sneaky);
        summary.user_agent = Some(b"ua\r\nFAKE 200\x1b[31m\xe2\x80\xae");
        let event = build(&summary, 256);
        assert_eq!(event.request_id(), "id\\r\\nx");
        assert_eq!(event.method(), "GET\\u{1b}");
        assert_eq!(event.route(), Some("/a\\r\\n{id}\\u{202e}"));
        assert_eq!(event.principal(), Some("eve\\r\\n\\u{1b}[2J"));
        assert_eq!(
            event.user_agent(),
            Some("ua\\r\\nFAKE 200\\u{1b}[31m\\u{202e}")
        );
    }

    #[test]
    fn user_agents_are_cut_on_a_character_boundary() {
        let agent = "\u{e9}".repeat(200); // 400 bytes
        let mut summary = Summary::new("r", "GET", 200);
        summary.user_agent = Some(agent.as_bytes());
        let event = build(&summary, 256);
        let kept = event.user_agent().unwrap();
        assert!(kept.len() <= 256);
        assert!(kept.ends_with('\u{2026}'));
        assert!(
            kept.trim_end_matches('\u{2026}')
                .chars()
                .all(|c| c == '\u{e9}')
        );
        assert_eq!(kept.trim_end_matches('\u{2026}').len(), 252);
    }

    #[test]
    fn latency_saturates() {
        let mut summary = Summary::new("r", "GET", 200);
        summary.latency = Duration::MAX;
        assert_eq!(build(&summary, 256).latency_us(), u64::MAX);
        summary.latency = Duration::from_nanos(1_999);
        assert_eq!(build(&summary, 256).latency_us(), 1);
    }
}
